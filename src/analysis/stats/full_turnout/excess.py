"""The size-aware test of an excess of stations at full turnout, and its calibration test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core import registry
from analysis.core.results import FlatResult
from analysis.stats import measures
from analysis.stats.distributions import station_measures
from analysis.stats.full_turnout.nulls import fit_beta_binomial, fit_empirical_null, prob_at_least, prob_full_empirical
from analysis.stats.poisson_binomial import poisson_binomial_sf
from analysis.stats.tails import check_alternative, combine_tails

NULLS = ("binomial", "betabinomial", "empirical")
#: Station types whose electoral roll is fixed before election day: the ones a turnout null fits.
NULL_STATION_TYPES = ("ordinary",)
#: Default of ``max_added_share``: a station whose roll is more than this share voters added on
#: election day is left out of the null (see :func:`full_turnout_test`).
MAX_ADDED_SHARE = 0.1


@dataclass(frozen=True)
class FullTurnoutResult(FlatResult):
    """Observed vs expected number of stations at turnout >= ``threshold`` (1.0 = exactly 100 %).

    Attributes
    ----------
    statistic : int
        Observed count.
    pvalue : float
        Exact Poisson-binomial p-value of the count under the null (by default the upper
        tail P(count >= observed)).
    expected : float
        Sum of the per-station null probabilities.
    excess : float
        ``statistic - expected``.
    pvalue_poisson : float
        The Poisson(expected) approximation of ``pvalue``, whose total-variation error is at
        most ``lecam_bound``.
    lecam_bound : float
        Σ p_i² (Le Cam 1960, *Pacific J. Math.* 10(4)).
    null : str
        ``"binomial"``, ``"betabinomial"`` or ``"empirical"``.
    threshold : float
        Turnout threshold.
    n_stations : int
        Stations tested.
    n_over_100 : int
        Stations with more ballots than registered voters, impossible under the null and left
        out of observed and expected (reported, not dropped silently).
    n_added_excluded : int
        Stations left out because voters added on election day exceed ``max_added_share`` of
        their roll (0 without ``added_on_day``).
    n_added_excluded_observed : int
        Of those, the stations at turnout >= ``threshold`` (reported, not dropped silently).
    max_added_share : float
        The share used (NaN without ``added_on_day``).
    by_region : pandas.DataFrame
        The same per region (regional p-values, not corrected for multiplicity).
    """

    statistic: int
    pvalue: float
    expected: float
    excess: float
    pvalue_poisson: float
    lecam_bound: float
    null: str
    threshold: float
    n_stations: int
    n_over_100: int
    n_added_excluded: int
    n_added_excluded_observed: int
    max_added_share: float
    by_region: pd.DataFrame


def _min_count(registered: np.ndarray, threshold: float) -> np.ndarray:
    # Smallest ballot count at or above threshold · n; the epsilon keeps 0.99 · 100 = 99.
    return np.ceil(threshold * registered - 1e-9)


def _count_pvalue(observed: int, p: np.ndarray, alternative: str) -> float:
    """Exact Poisson-binomial p-value of a count; P(S <= k) is P(n - S >= n - k) with 1 - p."""
    upper = poisson_binomial_sf(observed, p) if alternative != "less" else 1.0
    lower = poisson_binomial_sf(p.size - observed, 1.0 - p) if alternative != "greater" else 1.0
    return combine_tails(upper, lower, alternative)


def _added_voters(added_on_day, n: np.ndarray, max_added_share: float) -> np.ndarray:
    if not 0 <= max_added_share <= 1:
        raise ValueError(f"max_added_share {max_added_share} must be in [0, 1]")
    if added_on_day is None:
        return np.zeros_like(n)
    a = np.asarray(added_on_day, dtype=float)
    if a.shape != n.shape:
        raise ValueError("added_on_day must have one value per station")
    if not np.isfinite(a).all() or (a < 0).any():
        raise ValueError(
            "added_on_day: counts must be finite and >= 0 (a station whose count is missing cannot be modelled)"
        )
    return a


def full_turnout_test(
    turnout_numerator,
    registered,
    region=None,
    *,
    added_on_day=None,
    max_added_share: float = MAX_ADDED_SHARE,
    threshold: float = 1.0,
    null: str = "empirical",
    window: float = 0.03,
    alternative: str = "greater",
) -> FullTurnoutResult:
    """Size-aware test of an excess of stations at (or above ``threshold``) full turnout.

    A station of n registered voters reaches exactly 100 % turnout only if every voter turns
    out, which under a binomial model with turnout rate r happens with probability r**n;
    honest 100 % stations are small ones. H0: station ballot counts are independent,
    X_i ~ Binomial(n_i, r_g) (``"binomial"``; overdispersed real turnouts make it extremely
    anti-conservative, a reference only), BetaBinomial(n_i, a_g, b_g) fitted by moments
    (``"betabinomial"``; underpredicts 100 % stations when honest turnouts pile up near
    100 %), or Binomial(n_i, T_i) with T_i drawn from the region's observed turnout
    distribution (``"empirical"``, the default; exactly 100 % only, see
    :func:`~analysis.stats.full_turnout.prob_full_empirical`), fitted per region g. H1
    (``alternative="greater"``): more stations at turnout >= threshold than the null
    predicts. The count is Poisson-binomial; its tail is computed exactly
    (:func:`analysis.stats.poisson_binomial.poisson_binomial_sf`). Pass only stations whose
    electoral roll is fixed in advance (not abroad stations whose lists are made on the day).

    **Voters added on election day** (``added_on_day``, A_i per station). Certificate voters
    in Poland (Electoral Code art. 32) and absentee-certificate voters in Russia (Federal Law
    67-FZ art. 62) are added to the roll of the station where they vote: each of them is both
    registered and a voter, with certainty. The null is then stated for the roll fixed in
    advance: of its n_i - A_i voters, X_i - A_i vote as above (fitted on those rolls), so the
    station is at 100 % iff all n_i - A_i pre-registered voters vote, probability
    E[T^(n_i - A_i)] (1 where the whole roll was added). That model alone is not enough where
    the roll is largely made of visitors: Polish voters may also ask to be put on the roll of
    their place of stay before the day (Electoral Code art. 28), the protocol does not count
    them apart, and they vote almost surely. In the summer round of 2020 such resort stations
    (e.g. Rowy: 3,200 registered, 2,098 by certificate, all voted) reach 100 % with many
    pre-registered voters, and the mean turnout of the rest is 0.61-0.70 where up to 20 % of
    the roll was added but 0.68-0.81 above 30 % (PKW station results, rounds 1 and 2). So
    stations where A_i exceeds ``max_added_share`` of the roll are left out of observed and
    expected alike, like abroad stations, and counted in ``n_added_excluded`` (with those at
    100 % in ``n_added_excluded_observed``). The default, 10 %, is a cautious choice, not
    an estimate, below the 20 % where that rise starts (the resort stations at 100 % in
    both Polish rounds have 33-66 % added). It leaves out 2 % of
    Poland's ordinary stations in round 2, 0.6 % in round 1 and 1.5 % in Russia 2011; any
    share from 5 % to 30 % gives both Polish controls p = 1 (0.08-0.10 at 50 %; none left out:
    p = 7.7e-5 on round 2). Simulated honest elections with added voters
    (tests/test_full_turnout.py) check that the null stays calibrated with the adjustment
    and is not without it.

    Parameters
    ----------
    turnout_numerator, registered : array_like
        Ballots (issued or in the boxes) and registered voters (> 0) per station.
    region : array_like, optional
        Region labels; the null is fitted per region (one region when None).
    added_on_day : array_like, optional
        Voters added to each station's roll on election day, all of whom voted there (finite,
        >= 0; counted in ``registered`` and in the ballots). None: no voter was added.
    max_added_share : float
        Stations with ``added_on_day`` > ``max_added_share`` * ``registered`` are left out of
        the null (1.0: none; the others are modelled as above).
    threshold : float
        Turnout threshold in (0, 1]; 1.0 counts stations at exactly 100 %.
    null : {"empirical", "betabinomial", "binomial"}
        The null model.
    window : float
        The empirical null's locally uniform band below 100 %.
    alternative : {"greater", "less", "two-sided"}
        ``"less"``: fewer stations than the null predicts; ``"two-sided"``: twice the smaller tail.

    Returns
    -------
    FullTurnoutResult
        Observed count, p-value, expected count, the stations left out and the per-region table.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 5,
    and Myagkov, Ordeshook & Shakin (2009), *The Forensics of Election Fraud*, ch. 3 (the
    100 % anomaly); Kleinman (1973), *JASA* 68(341), eqs. 2.1-2.3 (beta-binomial moment
    fit); Robbins (1956), *Proc. Third Berkeley Symp.* 1 (empirical Bayes); Hong (2013),
    *Comput. Stat. Data Anal.* 59 (Poisson-binomial distribution); Kodeks wyborczy (Poland,
    5 January 2011) art. 28 and 32; Federal Law 67-FZ (Russia, 12 June 2002) art. 62.

    Examples
    --------
    >>> n = np.full(8, 10)
    >>> x = np.array([5, 6, 7, 10, 10, 10, 6, 5])
    >>> r = full_turnout_test(x, n, null="binomial")
    >>> r.statistic, round(r.expected, 4), round(r.pvalue, 6)
    (3, 0.3808, 0.005041)
    >>> r = full_turnout_test(x, n, added_on_day=[0, 0, 0, 0, 2, 8, 0, 0], max_added_share=0.5, null="binomial")
    >>> r.statistic, r.n_added_excluded, r.n_added_excluded_observed, round(r.expected, 4)
    (2, 1, 1, 0.2014)
    """
    check_alternative(alternative)
    if null not in NULLS:
        raise ValueError(f"null {null!r}: expected one of {NULLS}")
    x = np.asarray(turnout_numerator, dtype=float)
    n = np.asarray(registered, dtype=float)
    if x.shape != n.shape:
        raise ValueError("turnout_numerator and registered must have the same shape")
    if np.isnan(x).any() or np.isnan(n).any() or (n <= 0).any() or (x < 0).any():
        raise ValueError("full_turnout_test: counts must be finite, registered > 0, ballots >= 0")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold {threshold} must be in (0, 1]")
    if null == "empirical" and threshold != 1.0:
        raise ValueError("the empirical null models exactly 100 % turnout only (threshold=1.0)")
    added = _added_voters(added_on_day, n, max_added_share)
    reg = np.zeros(x.size, dtype=object) if region is None else np.asarray(region, dtype=object)
    over = x > n
    made_on_day = ~over & (added > max_added_share * n)
    k = _min_count(n, threshold)
    n_added_observed = int((made_on_day & (x >= k)).sum())
    keep = ~over & ~made_on_day
    x, n, reg, k, added = x[keep], n[keep], reg[keep], k[keep], added[keep]
    hit = x >= k
    # The pre-registered roll (all of it when nobody was added); more added voters than
    # ballots is a clerical error, so at most the ballots count as added.
    added = np.minimum(added, x)
    x, n, k = x - added, n - added, np.maximum(k - added, 0.0)
    # Regions as sorted labels and, per region, its stations in input order (one stable sort
    # instead of a boolean mask over every station per region).
    code, labels = pd.factorize(pd.Series(reg, dtype=object).astype(str), sort=True)
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(labels) + 1))
    p = np.empty_like(n)
    rows = []
    for g, label in enumerate(labels):
        sel = order[bounds[g] : bounds[g + 1]]
        fit_sel = sel[n[sel] > 0]
        if not fit_sel.size:  # every voter of the region's stations was added on the day
            rate, rho = float("nan"), float("nan")
            p[sel] = 1.0
        elif null == "binomial":
            rate = x[fit_sel].sum() / n[fit_sel].sum()
            p[sel] = prob_at_least(n[sel], k[sel], rate=rate)
            rho = 0.0
        elif null == "empirical":
            fit_e = fit_empirical_null(x[fit_sel], n[fit_sel], window=window)
            p[sel] = prob_full_empirical(n[sel], fit_e)
            rate, rho = x[fit_sel].sum() / n[fit_sel].sum(), float("nan")
        elif x[fit_sel].sum() in (0.0, n[fit_sel].sum()):
            # Everyone or no one voted in every station of the region: nothing to fit, and
            # the degenerate null reproduces the data exactly.
            rate, rho = x[fit_sel].sum() / n[fit_sel].sum(), 0.0
            p[sel] = np.where(k[sel] > 0, rate, 1.0)
        else:
            fit = fit_beta_binomial(x[fit_sel], n[fit_sel])
            p[sel] = prob_at_least(n[sel], k[sel], fit=fit)
            rate, rho = fit.mu, fit.rho
        p[sel[n[sel] == 0]] = 1.0  # a roll made entirely on the day is at 100 % with certainty
        observed = int(hit[sel].sum())
        expected = float(p[sel].sum())
        rows.append(
            {
                "region": label,
                "n_stations": int(sel.size),
                "rate": float(rate),
                "rho": float(rho),
                "observed": observed,
                "expected": expected,
                "excess": observed - expected,
                "pvalue": _count_pvalue(observed, p[sel], alternative),
            }
        )
    observed = int(hit.sum())
    expected = float(p.sum())
    return FullTurnoutResult(
        statistic=observed,
        pvalue=_count_pvalue(observed, p, alternative),
        expected=expected,
        excess=observed - expected,
        pvalue_poisson=combine_tails(
            float(stats.poisson.sf(observed - 1, expected)), float(stats.poisson.cdf(observed, expected)), alternative
        ),
        lecam_bound=float((p * p).sum()),
        null=null,
        threshold=float(threshold),
        n_stations=int(n.size),
        n_over_100=int(over.sum()),
        n_added_excluded=int(made_on_day.sum()),
        n_added_excluded_observed=n_added_observed,
        max_added_share=float(max_added_share) if added_on_day is not None else float("nan"),
        by_region=pd.DataFrame(rows),
    )


@registry.calibration_test("turnout_100_excess")
def _calibration_turnout_100(stations, votes, leader, rng) -> float:
    """Excess of stations at exactly 100 % turnout over the per-region empirical null.

    Exact Poisson-binomial p-value (H0: no more 100 % stations than the null predicts), on
    the stations of :data:`NULL_STATION_TYPES` (abroad stations and institutions draw up
    their lists on the day, so 100 % turnout is ordinary there), with the voters added on the
    day where the tables carry them (``added_on_day``, default ``max_added_share``).
    """
    m = station_measures(stations, measures.leader_votes(stations, votes, leader))
    keep = np.isin(m.station_type, NULL_STATION_TYPES)
    added = None if m.added_on_day is None else m.added_on_day[keep]
    return full_turnout_test(
        m.turnout_numerator[keep], m.registered[keep], m.region[keep], added_on_day=added, null="empirical"
    ).pvalue
