"""The minimum fraud intensity of Klimek et al.'s model, shared by its two fits (issue 11).

Incremental fraud of intensity ``x ~ |N(0, θ)|`` moves a station's turnout by ``x (1 − τ)``, on
average ``θ E|N(0, 1)| (1 − τ) = θ √(2/π) (1 − τ)``. Below about one honest sd ``σ_τ`` that is a
widening of the honest peak, not a second mode (a mixture of two normals of equal sd is unimodal
while their means are less than two sds apart: Behboodian 1970), so fi and θ trade along a "no
fraud" ridge. Both the Klimek fit (:func:`analysis.stats.klimek.intensity_floor`) and the finite
mixture (:class:`analysis.stats.mixture.optimize.IntensityFloor`) therefore bound θ below by the
intensity whose mean stuffing is ``k`` honest sds, each within its own box.
"""

from __future__ import annotations

import numpy as np

#: E|N(0, 1)| = √(2/π): the mean of a half-normal of unit scale.
MEAN_HALF_NORMAL = float(np.sqrt(2.0 / np.pi))


def mean_stuffing_intensity(turnout_mean, turnout_sd, k: float) -> float:
    """θ at which incremental fraud stuffs on average ``k`` honest sds of turnout.

    θ_k = k σ_τ / (√(2/π) (1 − τ)); with one honest peak per station (per unit) the median over
    the stations of σ_τ / (1 − τ), which is unbounded as τ → 1, so that units whose mode is near
    100 % turnout do not set the whole election's value.

    Parameters
    ----------
    turnout_mean, turnout_sd : array_like
        Honest turnout mode τ and width σ_τ: scalars, or one pair per station.
    k : float
        Mean stuffing in honest sds (0 gives 0).

    Returns
    -------
    float
        θ_k, unbounded (each fit applies its own box).

    References
    ----------
    Behboodian, J. (1970). On the modes of a mixture of two normal distributions.
    *Technometrics* 12(1), 131-139; Klimek, P. et al. (2012), *PNAS* 109(41), 16469-16473 (the
    fraud intensity ``|N(0, θ)|``); docs/fraud_mixture.md, "Count overdispersion and a minimum
    fraud intensity".

    Examples
    --------
    >>> round(mean_stuffing_intensity(0.6, 0.05, 1.0), 4)  # √(π/2) · 0.05 / 0.4
    0.1567
    >>> round(mean_stuffing_intensity([0.6, 0.6, 0.99], [0.05, 0.05, 0.05], 1.0), 4)  # the median
    0.1567
    """
    ratio = np.asarray(turnout_sd, float) / (1.0 - np.asarray(turnout_mean, float))
    return float(k * np.median(ratio) / MEAN_HALF_NORMAL)
