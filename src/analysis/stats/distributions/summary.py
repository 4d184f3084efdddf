"""The key numbers of one election's distributions, and their calibration tests.

:func:`summary_statistics` gathers the statistics of notebook 03 for one election; the
functions registered with :func:`analysis.core.registry.calibration_test` let
:mod:`analysis.synthetic.calibration` run the tests of this family on synthetic elections.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis.core import registry
from analysis.stats import measures
from analysis.stats.distributions.correlation import correlation, sobyanin_sukhovolsky
from analysis.stats.distributions.shape import dip_test, shape
from analysis.stats.distributions.stations import (
    DEFAULT_THRESHOLDS,
    StationMeasures,
    leader_votes_at_high_turnout,
    station_measures,
)


def summary_statistics(
    m: StationMeasures,
    *,
    rng: np.random.Generator,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    jitter: bool = True,
    cluster_by_region: bool = True,
) -> dict:
    """The flat key numbers of notebook 03 for one election (station-counted unless noted).

    Parameters
    ----------
    m : StationMeasures
        Stations from :func:`analysis.stats.distributions.station_measures`.
    rng : numpy.random.Generator
        Random numbers of the dip tests' jitter (turnout first, then leader share).
    thresholds : sequence of float
        Turnout thresholds of the high-turnout vote shares.
    jitter : bool
        Jitter values by half a ballot before the dip tests
        (:func:`analysis.stats.distributions.dip_test`).
    cluster_by_region : bool
        Cluster-robust (CR1) standard errors by region where there are >= 2 regions.

    Returns
    -------
    dict
        Dip tests of turnout and leader share; shape; correlations (Pearson; voters-weighted);
        the Sobyanin–Sukhovolsky slope, pooled (the classic figure) and within regions
        (region fixed effects, the honest test); the share of the leader's votes at turnout
        >= each threshold (``leader_votes_share_turnout_ge_<percent>``).

    References
    ----------
    See :func:`~analysis.stats.distributions.dip_test` (Hartigan & Hartigan 1985),
    :func:`~analysis.stats.distributions.sobyanin_sukhovolsky` (Myagkov et al. 2009, eq. 3.1)
    and :func:`~analysis.stats.distributions.leader_votes_at_high_turnout` (Kobak et al. 2016).

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> registered = rng.integers(200, 2000, 300)
    >>> issued = rng.binomial(registered, 0.6)
    >>> stations = pd.DataFrame({"region": np.repeat(["a", "b", "c"], 100), "registered": registered,
    ...                          "ballots_issued": issued, "valid": issued, "invalid": 0})
    >>> m = station_measures(stations, rng.binomial(issued, 0.5))
    >>> out = summary_statistics(m, rng=np.random.default_rng(1))
    >>> out["n_stations"], out["sobyanin_slope_covariance"], 0 <= out["dip_turnout_pvalue"] <= 1
    (300, 'CR1', True)
    """
    dip_t = dip_test(m.turnout, jitter_halfwidth=0.5 / m.registered if jitter else None, rng=rng)
    dip_l = dip_test(m.leader_share, jitter_halfwidth=0.5 / m.voters if jitter else None, rng=rng)
    sh_t, sh_l = shape(m.turnout), shape(m.leader_share)
    corr = correlation(m.turnout, m.leader_share, weights=m.voters)
    by_region = np.unique(m.region).size >= 2
    clusters = m.region if cluster_by_region and by_region else None
    pooled = sobyanin_sukhovolsky(m.turnout, m.leader_votes, m.registered, clusters=clusters)
    within = (
        sobyanin_sukhovolsky(m.turnout, m.leader_votes, m.registered, regions=m.region, clusters=clusters)
        if by_region
        else pooled
    )
    high = leader_votes_at_high_turnout(m.turnout, m.leader_votes, thresholds=thresholds)
    out = {
        "n_stations": m.n,
        "n_stations_excluded": m.n_input - m.n,
        "turnout_definition": m.turnout_definition,
        "dip_turnout": dip_t.statistic,
        "dip_turnout_pvalue": dip_t.pvalue,
        "dip_leader": dip_l.statistic,
        "dip_leader_pvalue": dip_l.pvalue,
        "skew_turnout": sh_t.skewness,
        "kurt_turnout": sh_t.kurtosis,
        "skew_leader": sh_l.skewness,
        "kurt_leader": sh_l.kurtosis,
        "corr_turnout_leader": corr.statistic,
        "corr_turnout_leader_weighted": corr.weighted,
        "sobyanin_slope": pooled.slope,
        "sobyanin_slope_se": pooled.se,
        "sobyanin_slope_covariance": pooled.covariance,
        "sobyanin_null_slope": pooled.null_slope,
        "sobyanin_pvalue": pooled.pvalue,
        "sobyanin_pvalue_vs_1": pooled.pvalue_vs_1,
        "sobyanin_within_slope": within.slope,
        "sobyanin_within_slope_se": within.se,
        "sobyanin_within_null_slope": within.null_slope,
        "sobyanin_within_pvalue": within.pvalue,
    }
    for t, share in zip(high.thresholds, high.shares):
        out[f"leader_votes_share_turnout_ge_{round(100 * t)}"] = share
    return out


# Calibration tests: fn(stations, votes, leader, rng) -> p-value on canonical tables
# (docs/ARCHITECTURE.md, "Calibration registry").


def _measures_for_calibration(stations, votes, leader) -> StationMeasures:
    return station_measures(stations, measures.leader_votes(stations, votes, leader))


@registry.calibration_test("dip_turnout")
def _calibration_dip_turnout(stations, votes, leader, rng) -> float:
    """Hartigan's dip test (H0: unimodal) on turnout jittered by half a ballot."""
    m = _measures_for_calibration(stations, votes, leader)
    return dip_test(m.turnout, jitter_halfwidth=0.5 / m.registered, rng=rng).pvalue


@registry.calibration_test("dip_leader")
def _calibration_dip_leader(stations, votes, leader, rng) -> float:
    """Hartigan's dip test (H0: unimodal) on the leader share jittered by half a ballot."""
    m = _measures_for_calibration(stations, votes, leader)
    return dip_test(m.leader_share, jitter_halfwidth=0.5 / m.voters, rng=rng).pvalue


@registry.calibration_test("sobyanin_slope")
def _calibration_sobyanin_slope(stations, votes, leader, rng) -> float:
    """One-sided test of slope > null slope (H0: share independent of turnout).

    Within regions (region fixed effects, cluster-robust by region) where there are >= 2
    regions, pooled HC1 otherwise.
    """
    m = _measures_for_calibration(stations, votes, leader)
    if np.unique(m.region).size >= 2:
        return sobyanin_sukhovolsky(m.turnout, m.leader_votes, m.registered, regions=m.region, clusters=m.region).pvalue
    return sobyanin_sukhovolsky(m.turnout, m.leader_votes, m.registered).pvalue
