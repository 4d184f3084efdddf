"""Polling stations at 100 % turnout and their size-aware null.

A station of n registered voters reaches exactly 100 % turnout only if every voter turns
out. Under a binomial model with turnout rate r that happens with probability r**n, so
honest 100 % stations are small ones; a large number of large 100 % stations is the
"100 % turnout" anomaly described by Myagkov, Ordeshook & Shakin (2009, ch. 3) and by
Kobak, Shpilkin & Pshenichnikov (2016, section 5) for Russia, and by the OSCE/ODIHR for the
military units of Kazakhstan 2011.

Nulls (``null=``):

* ``binomial``: each station's ballot count X_i ~ Binomial(n_i, r_g), r_g the pooled
  turnout of its region g. Station turnouts are far more variable than binomial
  (overdispersed), so this null is extremely anti-conservative; it is reported as a
  reference only.
* ``betabinomial``: X_i ~ BetaBinomial(n_i, a_g, b_g), fitted per region by the method of
  moments (Kleinman 1973, "Proportions with extraneous variance: single and independent
  samples", JASA 68(341):46–54, eqs. 2.1–2.3, with the overdispersion ρ estimated from the
  squared residuals). P(X_i = n_i) = B(a + n_i, b) / B(a, b). The fit uses all stations of
  the region, 100 % ones included, which inflates ρ. Even so the Beta family ties the
  tail at 100 % to the mean and variance, and it underpredicts 100 % stations when honest
  turnouts pile up near 100 % (tests/test_full_turnout.py simulates this; the clean Polish
  control's single ordinary 100 % station gets p ≈ 1e-5).
* ``empirical`` (the default): the turnout rate of a station is drawn from the region's
  observed turnout distribution, the empirical-Bayes plug-in of Robbins (1956, "An
  empirical Bayes approach to statistics", Proc. Third Berkeley Symp. 1:157–163), so
  P(100 %) = E[T^n]; the distribution is binned below 97 % (bins at their upper edge) and
  taken as locally uniform in [97 %, 100 %), and the stations at 100 % are not used. This
  construction is the project's own; its calibration is checked by simulation in the
  tests and by ``analysis.synthetic.calibration``.

The count of stations at 100 % is then Poisson-binomial (independent, non-identical
Bernoulli(p_i)); :func:`poisson_binomial_sf` gives P(count >= k) exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.stats.distributions import StationMeasures, station_measures
from analysis.stats import measures

NULLS = ("binomial", "betabinomial", "empirical")
#: Station types whose electoral roll is fixed before election day: the ones a turnout null fits.
NULL_STATION_TYPES = ("ordinary",)


# --------------------------------------------------------------------------------------------
# Poisson-binomial tail
# --------------------------------------------------------------------------------------------


def poisson_binomial_sf(k: int, p, block: int = 256) -> float:
    """P(S >= k) for S = sum of independent Bernoulli(p_i), computed exactly.

    The recursion of Chen & Liu (1997), "Statistical applications of the Poisson-binomial
    and conditional Bernoulli distributions", Statistica Sinica 7, eq. (5), run on blocks of
    ``block`` stations at once (each block's own distribution, vectorized across blocks),
    then the blocks' distributions convolved in turn. Only P(S = 0..k-1) is carried, with
    one absorbing cell for S >= k, so the tail is a sum of positive terms (no 1 - cdf
    cancellation) and stays accurate down to the smallest floats. Stations with p_i = 0
    are skipped.
    """
    p = np.asarray(p, dtype=float)
    if ((p < 0) | (p > 1) | np.isnan(p)).any():
        raise ValueError("poisson_binomial_sf: probabilities must lie in [0, 1]")
    k = int(k)
    if k <= 0:
        return 1.0
    p = p[p > 0]
    if p.size < k:
        return 0.0
    n_blocks = -(-p.size // block)
    mat = np.zeros(n_blocks * block)
    mat[: p.size] = p
    mat = mat.reshape(n_blocks, block)
    dist = np.zeros((n_blocks, block + 1))
    dist[:, 0] = 1.0
    for col in range(block):
        pc = mat[:, col : col + 1]
        moved = dist[:, :-1] * pc
        dist *= 1.0 - pc
        dist[:, 1:] += moved
    pmf = np.zeros(k)
    pmf[0] = 1.0
    tail = 0.0
    for q in dist:
        full = np.convolve(pmf, q)
        tail += full[k:].sum()
        pmf = full[:k]
    return float(min(1.0, tail))


# --------------------------------------------------------------------------------------------
# Null probabilities per station
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BetaBinomialFit:
    """Method-of-moments beta-binomial fit: mean ``mu``, intra-station correlation ``rho``.

    a = mu (1 - rho) / rho, b = (1 - mu)(1 - rho) / rho; ``rho`` = 0 means binomial.
    """

    mu: float
    rho: float
    a: float
    b: float
    n_stations: int


RHO_FLOOR = 1e-9


def fit_beta_binomial(x, n) -> BetaBinomialFit:
    """Kleinman (1973) moment estimator of (mu, rho) from counts x_i out of n_i.

    mu = sum x / sum n (pooled). Var(x_i) = n_i mu (1 - mu) [1 + (n_i - 1) rho], so rho is
    the ratio sum[(x_i - n_i mu)^2 - n_i mu (1 - mu)] / sum[n_i (n_i - 1) mu (1 - mu)],
    floored at 1e-9 (binomial) and capped below 1.
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    if (x < 0).any() or (x > n).any():
        raise ValueError("fit_beta_binomial: counts must satisfy 0 <= x <= n")
    mu = x.sum() / n.sum()
    q = mu * (1 - mu)
    if q <= 0:
        raise ValueError(f"fit_beta_binomial: pooled rate {mu} leaves no variation to fit")
    num = ((x - n * mu) ** 2 - n * q).sum()
    den = (n * (n - 1) * q).sum()
    rho = float(np.clip(num / den if den > 0 else 0.0, RHO_FLOOR, 1 - 1e-6))
    return BetaBinomialFit(mu=float(mu), rho=rho, a=mu * (1 - rho) / rho, b=(1 - mu) * (1 - rho) / rho, n_stations=int(x.size))


def prob_at_least(n, k, *, rate=None, fit: BetaBinomialFit | None = None) -> np.ndarray:
    """P(X_i >= k_i) under Binomial(n_i, rate) or the beta-binomial ``fit``.

    For k_i = n_i (100 % turnout) the closed forms rate**n_i and B(a + n_i, b) / B(a, b)
    are used; otherwise scipy.stats.binom / betabinom survival functions.
    """
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    full = k >= n
    out = np.empty_like(n)
    if fit is None:
        r = np.broadcast_to(np.asarray(rate, dtype=float), n.shape)
        out[full] = r[full] ** n[full]
        out[~full] = stats.binom.sf(k[~full] - 1, n[~full], r[~full])
    else:
        out[full] = np.exp(special.betaln(fit.a + n[full], fit.b) - special.betaln(fit.a, fit.b))
        if (~full).any():
            out[~full] = _betabinom_upper_tail(n[~full], k[~full], fit.a, fit.b)
    return out


def _betabinom_upper_tail(n: np.ndarray, k: np.ndarray, a: float, b: float) -> np.ndarray:
    """Sum of beta-binomial pmf over j = k..n, one flat vector for all stations.

    scipy.stats.betabinom.sf is exact but slow (~0.1 ms per station); the tails needed
    here (turnout >= 99 %) hold only n - k + 1 terms each, so summing the pmf
    C(n, j) B(j + a, n - j + b) / B(a, b) is both exact and fast.
    """
    n_terms = (n - k + 1).astype(np.int64)
    owner = np.repeat(np.arange(n.size), n_terms)
    starts = np.cumsum(n_terms) - n_terms
    j = k[owner] + (np.arange(owner.size) - starts[owner])
    nn = n[owner]
    log_pmf = (
        special.gammaln(nn + 1) - special.gammaln(j + 1) - special.gammaln(nn - j + 1)
        + special.betaln(j + a, nn - j + b) - special.betaln(a, b)
    )
    return np.bincount(owner, weights=np.exp(log_pmf), minlength=n.size)


@dataclass(frozen=True)
class EmpiricalTurnoutNull:
    """Nonparametric null of one region for P(every voter of a station turns out).

    ``bin_mass[b]``: fraction of the region's stations whose observed turnout lies in bin b
    of width ``bin_width`` below 1 - ``window``; ``density_at_1``: stations per unit of
    turnout in [1 - window, 1) among stations with >= ``min_registered`` voters, divided by
    their number (an estimate of the turnout density just below 100 %).
    """

    bin_mass: np.ndarray
    bin_width: float
    window: float
    density_at_1: float
    min_registered: int
    n_stations: int


def fit_empirical_null(x, n, *, window: float = 0.03, bin_width: float = 0.005) -> EmpiricalTurnoutNull:
    """Fit :class:`EmpiricalTurnoutNull` from ballot counts x_i out of n_i (stations at 100 % are not used)."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    if not 0 < window < 1 or not 0 < bin_width <= 1 - window:
        raise ValueError(f"window {window} and bin_width {bin_width} must satisfy 0 < bin_width <= 1 - window < 1")
    t = x / n
    min_reg = int(np.ceil(3 / window))  # smaller stations cannot land in the window: their turnout jumps from (n-1)/n to 1
    big = n >= min_reg
    in_window = big & (t >= 1 - window) & (t < 1)
    density = float(in_window.sum() / big.sum() / window) if big.any() else 0.0
    n_bins = int(np.ceil((1 - window) / bin_width))
    below = t < 1 - window
    idx = np.minimum((t[below] / bin_width).astype(np.int64), n_bins - 1)
    mass = np.bincount(idx, minlength=n_bins) / t.size
    return EmpiricalTurnoutNull(mass, float(bin_width), float(window), density, min_reg, int(t.size))


def prob_full_empirical(n, fit: EmpiricalTurnoutNull) -> np.ndarray:
    """P(X_i = n_i) = E[T^n_i] under the empirical null.

    Robbins' (1956) empirical-Bayes plug-in: the turnout rates T of the region's stations
    are drawn from their observed distribution, so E[T^n] = ∫ t^n dF(t). Below
    1 - window, F is the binned empirical distribution with each bin at its upper edge
    (rounding up: conservative); on [1 - window, 1) the density is taken as constant,
    f(1), giving f(1) (1 - (1 - window)^(n + 1)) / (n + 1). The stations at 100 %
    themselves do not enter, so the null is not inflated by the anomaly it tests.
    """
    n = np.asarray(n, dtype=float)
    upper = (np.arange(fit.bin_mass.size) + 1) * fit.bin_width
    uniq, inv = np.unique(n, return_inverse=True)
    below = np.exp(np.outer(uniq, np.log(upper))) @ fit.bin_mass
    near = fit.density_at_1 * (1 - (1 - fit.window) ** (uniq + 1)) / (uniq + 1)
    return np.clip(below + near, 0.0, 1.0)[inv]


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FullTurnoutTest:
    """Observed vs expected number of stations at turnout >= ``threshold`` (1.0 = exactly 100 %).

    ``statistic`` = observed count; ``expected`` = sum of per-station null probabilities;
    ``pvalue`` = exact Poisson-binomial P(count >= observed) under the null;
    ``pvalue_poisson`` = Poisson(expected) approximation, whose total-variation error is at
    most ``lecam_bound`` = sum p_i^2 (Le Cam 1960, Pacific J. Math. 10(4)).
    ``by_region``: the same per region (regional p-values, not corrected for multiplicity).
    ``n_over_100``: stations with more ballots than registered voters, impossible under the
    null and left out of observed and expected (reported, not dropped silently).
    """

    statistic: int
    expected: float
    excess: float
    pvalue: float
    pvalue_poisson: float
    lecam_bound: float
    null: str
    threshold: float
    n_stations: int
    n_over_100: int
    by_region: pd.DataFrame


def _min_count(registered: np.ndarray, threshold: float) -> np.ndarray:
    # Smallest ballot count at or above threshold · n; the epsilon keeps 0.99 · 100 = 99.
    return np.ceil(threshold * registered - 1e-9)


def full_turnout_test(
    turnout_numerator,
    registered,
    region=None,
    *,
    threshold: float = 1.0,
    null: str = "empirical",
    window: float = 0.03,
) -> FullTurnoutTest:
    """Size-aware test of an excess of stations at (or above ``threshold``) full turnout.

    H0: station ballot counts are independent, X_i ~ Binomial(n_i, r_g) (``binomial``),
    BetaBinomial(n_i, a_g, b_g) (``betabinomial``), or Binomial(n_i, T_i) with T_i drawn
    from the region's observed turnout distribution (``empirical``, exactly 100 % only,
    see :func:`prob_full_empirical`; ``window`` is its locally-uniform band below 100 %),
    fitted per region g (see the module docstring for sources). H1: more stations at
    turnout >= threshold than the null predicts. The count is Poisson-binomial; its upper
    tail is computed exactly with :func:`poisson_binomial_sf`. Pass only stations whose
    electoral roll is fixed in advance (not abroad stations whose lists are built on the day).
    Sources: Kobak et al. (2016, AoAS 10(1)) for the 100 % anomaly; Kleinman (1973,
    Biometrics 29(4)) for the beta-binomial moment fit; Robbins (1956) for the empirical null.
    """
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
    reg = np.zeros(x.size, dtype=object) if region is None else np.asarray(region, dtype=object)
    over = x > n
    x, n, reg = x[~over], n[~over], reg[~over]
    k = _min_count(n, threshold)
    hit = x >= k
    labels, code = np.unique(reg.astype(str), return_inverse=True)
    p = np.empty_like(n)
    rows = []
    for g, label in enumerate(labels):
        sel = code == g
        if null == "binomial":
            rate = x[sel].sum() / n[sel].sum()
            p[sel] = prob_at_least(n[sel], k[sel], rate=rate)
            rho = 0.0
        elif null == "empirical":
            fit_e = fit_empirical_null(x[sel], n[sel], window=window)
            p[sel] = prob_full_empirical(n[sel], fit_e)
            rate, rho = x[sel].sum() / n[sel].sum(), float("nan")
        elif x[sel].sum() in (0.0, n[sel].sum()):
            # Everyone or no one voted in every station of the region: nothing to fit, and
            # the degenerate null reproduces the data exactly.
            rate, rho = x[sel].sum() / n[sel].sum(), 0.0
            p[sel] = np.where(k[sel] > 0, rate, 1.0)
        else:
            fit = fit_beta_binomial(x[sel], n[sel])
            p[sel] = prob_at_least(n[sel], k[sel], fit=fit)
            rate, rho = fit.mu, fit.rho
        observed = int(hit[sel].sum())
        expected = float(p[sel].sum())
        rows.append(
            {
                "region": label,
                "n_stations": int(sel.sum()),
                "rate": float(rate),
                "rho": float(rho),
                "observed": observed,
                "expected": expected,
                "excess": observed - expected,
                "pvalue": poisson_binomial_sf(observed, p[sel]),
            }
        )
    observed = int(hit.sum())
    expected = float(p.sum())
    return FullTurnoutTest(
        statistic=observed,
        expected=expected,
        excess=observed - expected,
        pvalue=poisson_binomial_sf(observed, p),
        pvalue_poisson=float(stats.poisson.sf(observed - 1, expected)),
        lecam_bound=float((p * p).sum()),
        null=null,
        threshold=float(threshold),
        n_stations=int(n.size),
        n_over_100=int(over.sum()),
        by_region=pd.DataFrame(rows),
    )


# --------------------------------------------------------------------------------------------
# Descriptive tables
# --------------------------------------------------------------------------------------------


def full_turnout_table(m: StationMeasures, by: str = "region", threshold: float = 0.99) -> pd.DataFrame:
    """Stations at exactly 100 % and at turnout >= ``threshold``, grouped by region or station type.

    Columns: stations, registered, n_turnout_100, registered_turnout_100,
    leader_votes_turnout_100, leader_share_turnout_100 (leader votes / ballots counted
    there), leader_share_elsewhere, n_turnout_ge (>= threshold), leader_share_turnout_ge.
    The last row, ``all``, totals every group.
    """
    if by not in ("region", "station_type"):
        raise ValueError(f"by={by!r}: expected 'region' or 'station_type'")
    full = m.turnout_numerator == m.registered
    ge = m.turnout_numerator >= _min_count(m.registered, threshold)
    df = pd.DataFrame(
        {
            by: getattr(m, by),
            "stations": 1,
            "registered": m.registered,
            "voters": m.voters,
            "leader_votes": m.leader_votes,
            "n_turnout_100": full.astype(int),
            "registered_turnout_100": np.where(full, m.registered, 0.0),
            "voters_turnout_100": np.where(full, m.voters, 0.0),
            "leader_votes_turnout_100": np.where(full, m.leader_votes, 0.0),
            "n_turnout_ge": ge.astype(int),
            "voters_turnout_ge": np.where(ge, m.voters, 0.0),
            "leader_votes_turnout_ge": np.where(ge, m.leader_votes, 0.0),
        }
    )
    g = df.groupby(by, sort=True).sum(numeric_only=True)
    g.loc["all"] = g.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        g["leader_share_turnout_100"] = g["leader_votes_turnout_100"] / g["voters_turnout_100"]
        g["leader_share_elsewhere"] = (g["leader_votes"] - g["leader_votes_turnout_100"]) / (
            g["voters"] - g["voters_turnout_100"]
        )
        g["leader_share_turnout_ge"] = g["leader_votes_turnout_ge"] / g["voters_turnout_ge"]
    return g.reset_index()


def count_extreme(m: StationMeasures, *, turnout_min: float = 0.99, share_min: float = 0.99, min_registered: int = 100) -> int:
    """Stations with >= ``min_registered`` voters, turnout >= ``turnout_min`` and leader share >= ``share_min``."""
    return int(((m.registered >= min_registered) & (m.turnout >= turnout_min) & (m.leader_share >= share_min)).sum())


def max_candidate_share(stations: pd.DataFrame, votes: pd.DataFrame) -> np.ndarray:
    """Largest candidate's votes / valid ballots per stations row (NaN where valid is 0 or missing).

    The OSCE/ODIHR's "more than 99 per cent for one candidate" (Kazakhstan 2011, section
    XIV) is a share of valid votes, so the reference elections use the same denominator.
    """
    key = [c for c in ("election", "region", "district", "station") if c in stations and c in votes]
    top = votes.groupby(key, sort=False)["votes"].max()
    aligned = top.reindex(pd.MultiIndex.from_frame(stations[key])).to_numpy(dtype=float, na_value=np.nan)
    valid = pd.to_numeric(stations["valid"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = aligned / valid
    out[~(valid > 0)] = np.nan
    return out


# --------------------------------------------------------------------------------------------
# Rates among special stations (Kazakhstan military units)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateResult:
    """Proportion k / n with an exact Clopper–Pearson interval.

    Clopper & Pearson (1934), Biometrika 26(4): the interval inverts two one-sided exact
    binomial tests, via ``scipy.stats.binomtest(k, n).proportion_ci(method='exact')``.
    """

    rate: float
    ci_low: float
    ci_high: float
    k: int
    n: int
    confidence: float


def rate_with_ci(k: int, n: int, confidence: float = 0.95) -> RateResult:
    if not (0 <= k <= n and n > 0):
        raise ValueError(f"rate_with_ci: need 0 <= k <= n, n > 0 (got k={k}, n={n})")
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="exact")
    return RateResult(rate=k / n, ci_low=float(ci.low), ci_high=float(ci.high), k=int(k), n=int(n), confidence=confidence)


@dataclass(frozen=True)
class RateComparison:
    """Fisher's exact test of rate 1 (k1/n1) > rate 2 (k2/n2).

    H0: both groups share one rate (conditional on the margins, the count k1 is
    hypergeometric; Fisher 1935, The Design of Experiments, section 12); ``pvalue`` is
    one-sided (H1: rate 1 > rate 2), ``statistic`` the sample odds ratio.
    """

    statistic: float
    pvalue: float
    rate1: float
    rate2: float


def compare_rates(k1: int, n1: int, k2: int, n2: int) -> RateComparison:
    """One-sided Fisher exact test that rate k1/n1 exceeds rate k2/n2.

    Fisher (1922, J. R. Stat. Soc. 85(1)), via ``scipy.stats.fisher_exact``. H0: both groups
    share one rate (conditional on the margins, k1 is hypergeometric); H1: group 1's rate is
    higher. ``statistic`` is the sample odds ratio.
    """
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    if (table < 0).any():
        raise ValueError("compare_rates: need 0 <= k <= n in both groups")
    res = stats.fisher_exact(table, alternative="greater")
    return RateComparison(statistic=float(res.statistic), pvalue=float(res.pvalue), rate1=k1 / n1, rate2=k2 / n2)


# --------------------------------------------------------------------------------------------
# Calibration registry
# --------------------------------------------------------------------------------------------


def _cal_turnout_100(stations, votes, leader, rng) -> float:
    m = station_measures(stations, measures.leader_votes(stations, votes, leader))
    keep = np.isin(m.station_type, NULL_STATION_TYPES)
    return full_turnout_test(m.turnout_numerator[keep], m.registered[keep], m.region[keep], null="empirical").pvalue


def calibration_tests() -> dict[str, Callable]:
    """{test name: fn(stations, votes, leader, rng) -> p-value} for ``analysis.synthetic.calibration``.

    ``turnout_100_excess``: excess of stations at exactly 100 % turnout over the per-region
    empirical null, exact Poisson-binomial p-value, on the stations of
    :data:`NULL_STATION_TYPES` (abroad stations and institutions draw up their lists on
    the day, so 100 % turnout is ordinary there).
    """
    return {"turnout_100_excess": _cal_turnout_100}


def special_station_rates(m: StationMeasures, types: Sequence[str]) -> pd.DataFrame:
    """Per station type in ``types``: stations, number at exactly 100 % turnout, rate, CI."""
    rows = []
    for t in types:
        sel = m.station_type == t
        n = int(sel.sum())
        if n == 0:
            continue
        k = int((m.turnout_numerator[sel] == m.registered[sel]).sum())
        r = rate_with_ci(k, n)
        rows.append({"station_type": t, "stations": n, "n_turnout_100": k, "rate": r.rate, "ci_low": r.ci_low, "ci_high": r.ci_high})
    return pd.DataFrame(rows, columns=["station_type", "stations", "n_turnout_100", "rate", "ci_low", "ci_high"])
