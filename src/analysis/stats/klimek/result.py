"""The result of a Klimek et al. (2012) fraud-model fit (:func:`analysis.stats.klimek.fit_klimek`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.core.results import FlatResult
from analysis.stats.klimek.model import THETA_BOUNDS, HonestParameters


@dataclass(frozen=True)
class KlimekFitResult(FlatResult):
    """Fitted fraud-model parameters with bootstrap intervals (NaN without bootstrap).

    A descriptive model fit, not a test.

    Attributes
    ----------
    fi, fe, alpha : float
        Incremental and extreme fraud probabilities and the vote-transfer exponent α.
    fi_ci, fe_ci, alpha_ci : tuple of float
        Bootstrap intervals (:func:`~analysis.stats.klimek.interval.bootstrap_interval`: percentile,
        one-sided at a boundary, always holding the estimate; NaN without bootstrap).
    distance : float
        Squared Hellinger distance between the observed and fitted fingerprints.
    honest : HonestParameters
        The honest parameters used (held fixed, or fitted with ``joint``).
    theta : float
        The width θ of the fraud intensity distribution (fitted with ``fit_theta``, else fixed).
    theta_ci : tuple of float
        Its bootstrap interval (NaN when fixed or without bootstrap).
    theta_min : float
        The fitted θ's lower bound (:func:`~analysis.stats.klimek.model.intensity_floor`; the
        point fit's, each refit takes its resample's).
    honest_model : str
        ``"national"`` (one honest peak, Klimek et al.) or ``"per unit"`` (a peak per region or other unit).
    n_stations, bins : int
        Stations fitted and fingerprint bins a side.
    observed, fitted : numpy.ndarray
        The normalised observed and fitted fingerprints (``bins`` × ``bins``).
    bootstrap : numpy.ndarray
        (4, n_bootstrap): the refits' fi, fe, α, θ.
    """

    fi: float
    fe: float
    alpha: float
    fi_ci: tuple
    fe_ci: tuple
    alpha_ci: tuple
    distance: float
    honest: HonestParameters
    theta: float
    theta_ci: tuple
    honest_model: str
    n_stations: int
    bins: int
    observed: np.ndarray
    fitted: np.ndarray
    bootstrap: np.ndarray  # (4, n_bootstrap): fi, fe, α, θ
    theta_min: float = THETA_BOUNDS[0]

    @property
    def statistic(self) -> float:
        """The fitted distance (squared Hellinger) between observed and fitted fingerprints."""
        return self.distance
