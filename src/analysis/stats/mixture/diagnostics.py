"""What the fraud components take: the honest model's misfit where the fitted mixture finds fraud."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from analysis.core.results import FlatResult
from analysis.stats.mixture.honest import honest_classes, honest_moments
from analysis.stats.mixture.posterior import StationPosterior


@dataclass(frozen=True)
class HonestMisfitResult(FlatResult):
    """Residuals of the stations from their honest distribution, and where the incremental
    component's stations lie among them.

    Attributes
    ----------
    share_beyond_3 : float
        Share of stations whose honest Mahalanobis distance exceeds 3; a bivariate normal gives
        ``normal_share_beyond_3 = exp(−9/2) = 0.0111`` (χ² with 2 degrees of freedom).
    normal_share_beyond_3 : float
        That reference.
    skewness_turnout, skewness_share : float
        Sample skewness of the standardised residuals ``z_τ = (t − m_τ) / s_τ`` and
        ``z_ν = (v − m_ν) / s_ν`` (0 for a normal).
    high_p_stations : int
        Stations with ``P(incremental) > threshold``.
    high_p_median_z_turnout, high_p_median_z_share : float
        Their median standardised residuals: ballot stuffing moves turnout up (``z_τ > 0``); a
        leader-share tail without a turnout excess is ``z_ν`` large with ``z_τ`` near 0.
    manufactured_share : float
        Manufactured votes' share of the expected fraudulent votes (the rest are stolen).
    p_incremental_smallest_fifth, p_incremental_largest_fifth : float
        Mean ``P(incremental)`` of the fifth of stations with the fewest and with the most
        registered voters.
    by_group : dict
        ``{group: (stations, mean P(incremental), stations above threshold)}`` for the ``groups``
        given (station types, say; empty without).
    turnout_excess : bool (property)
        The incremental component looks like the ballot stuffing it models: its stations' median
        ``z_τ`` exceeds 1 or most of its fraudulent votes are manufactured. False: it takes stations
        in the leader-share tail with no turnout excess, i.e. the honest model's misfit.
    """

    _flat_extra: ClassVar[tuple[str, ...]] = ("turnout_excess",)

    share_beyond_3: float
    normal_share_beyond_3: float
    skewness_turnout: float
    skewness_share: float
    high_p_stations: int
    high_p_median_z_turnout: float
    high_p_median_z_share: float
    manufactured_share: float
    p_incremental_smallest_fifth: float
    p_incremental_largest_fifth: float
    by_group: dict

    @property
    def turnout_excess(self) -> bool:
        return bool(self.high_p_median_z_turnout > 1.0 or self.manufactured_share > 0.5)


def honest_misfit(
    params, t, v, posterior: StationPosterior, registered, *, noise=None, threshold: float = 0.5, groups=None
) -> HonestMisfitResult:
    """Standardised residuals of the stations from the honest model at ``params``, and where the
    stations the incremental component takes lie among them.

    The residuals use each station's honest moments (its unit's shift and count variance,
    :func:`~analysis.stats.mixture.honest.honest_moments`; with a scale mixture those of the
    narrow class). Under the model an honest station's Mahalanobis distance ``d`` has
    ``d² ~ χ²₂`` (truncation to [0, 1]² aside), so ``P(d > 3) = exp(−9/2)`` and the residuals have
    skewness 0: an excess of either says the honest model misfits, and the fraud components may be
    taking that misfit (Mebane 2016 reads the components' posterior probabilities per station).

    Parameters
    ----------
    params : MixtureParameters
        The fitted parameters.
    t, v : array_like
        Station turnout and leader share (rates inside (0, 1)).
    posterior : StationPosterior
        The stations' posterior at ``params`` (:func:`~analysis.stats.mixture.station_posterior`).
    registered : array_like
        Registered voters (for the size fifths).
    noise : tuple, optional
        The fit's ``honest_context``.
    threshold : float
        ``P(incremental)`` above which a station counts as taken by the incremental component.
    groups : array_like, optional
        A label per station (its type: ordinary, institution, …): ``by_group`` breaks the
        incremental component's stations down by it.

    Returns
    -------
    HonestMisfitResult

    References
    ----------
    Mebane, W. R. (2016). Election forensics: frauds tests and observation-level frauds
    probabilities. Midwest Political Science Association.

    Examples
    --------
    >>> from analysis.stats.mixture import MixtureParameters, simulate, station_posterior
    >>> p = MixtureParameters(0.0, 0.0, 2.0, 0.6, 0.45, 0.05, 0.06, 0.2)
    >>> sim = simulate(p, 20000, seed=1)
    >>> reg = np.full(20000, 1000.0)
    >>> post = station_posterior(p, sim.turnout, sim.leader_share, reg)
    >>> res = honest_misfit(p, sim.turnout, sim.leader_share, post, reg)
    >>> bool(abs(res.share_beyond_3 - res.normal_share_beyond_3) < 0.003), bool(abs(res.skewness_share) < 0.1)
    (True, True)
    """
    t, v, registered = (np.asarray(a, dtype=float) for a in (t, v, registered))
    m_t, m_v, s_t, s_v, r = honest_moments(honest_classes(params)[0][1], noise)
    z_t, z_v = (t - m_t) / s_t, (v - m_v) / s_v
    distance2 = (z_t * z_t - 2.0 * r * z_t * z_v + z_v * z_v) / (1.0 - r * r)
    high = posterior.p_incremental > threshold
    fifths = np.array_split(np.argsort(registered, kind="stable"), 5)
    fraud_votes = posterior.fraud_votes.sum()
    labels = np.asarray(groups).astype(str) if groups is not None else np.array([], dtype=str)
    p_inc = posterior.p_incremental
    by_group = {
        str(g): (int((labels == g).sum()), float(p_inc[labels == g].mean()), int(high[labels == g].sum()))
        for g in np.unique(labels)
    }
    return HonestMisfitResult(
        share_beyond_3=float(np.mean(distance2 > 9.0)),
        normal_share_beyond_3=float(np.exp(-4.5)),
        skewness_turnout=float(stats.skew(z_t)),
        skewness_share=float(stats.skew(z_v)),
        high_p_stations=int(high.sum()),
        high_p_median_z_turnout=float(np.median(z_t[high])) if high.any() else np.nan,
        high_p_median_z_share=float(np.median(z_v[high])) if high.any() else np.nan,
        manufactured_share=float(posterior.manufactured.sum() / fraud_votes) if fraud_votes > 0 else np.nan,
        p_incremental_smallest_fifth=float(posterior.p_incremental[fifths[0]].mean()),
        p_incremental_largest_fifth=float(posterior.p_incremental[fifths[-1]].mean()),
        by_group=by_group,
    )
