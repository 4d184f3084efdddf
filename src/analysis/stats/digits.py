"""Last-digit and second-digit tests of vote counts, each with a textbook and a size-aware null.

References
----------
Beber, B. & Scacco, A. (2012). What the numbers say: a digit-based test for election fraud.
*Political Analysis* 20(2), 211-234. Last digits of counts are uniform (section 3; counts
too small to have a uniform last digit are excluded); the last two digits are a repeated
pair (11, 22 ...) with probability 0.10 and an adjacent pair (12, 21 ..., no wrap-around
from 9 to 0, so 18 of the 100 pairs) with probability 0.18.

Mebane, W. R. Jr. (2006). Election forensics: vote counts and Benford's law. Political
Methodology Summer Meeting; and Hicken, A. & Mebane, W. R. Jr. (2017). A guide to election
forensics. USAID DRG Center (the Election Forensics Toolkit, EFT). EFT statistics: ``_2BL``
(mean second digit, Benford's second-digit law gives 4.187), ``LastC`` (mean last digit,
4.5), ``C05s`` (share of counts whose last digit is 0 or 5, 0.2) and ``P05s`` (share of the
leader's rounded integer percentages whose last digit is 0 or 5, 0.2).

Percentage grid (:func:`percentage_grid_test`): whether regional counts equal a total times a
two-decimal percentage, rounded, more often than multinomial counting allows; an extension of
Kobak, Shpilkin & Pshenichnikov's (2016) integer-percentage idea, not a published test.

Size-aware null
---------------
The textbook nulls hold only for large counts: a count of 23 out of 40 ballots cannot have a
uniform last digit, and binomial counts of stations of similar size do not follow Benford's
second-digit law. Every test therefore also reports a Monte Carlo p-value under the null
that each count is Binomial(station size, station's observed rate), drawn afresh
``n_sims`` times (vectorized, in chunks of draws) and pushed through the same statistic,
filter included.

Limitation: the redraw is centred on the observed count, so where a station's binomial sd
is small (a few votes) the redrawn last digit partly inherits the observed one; the
size-aware null is then conservative against fabricated last digits in such counts (its
chi-square is centred above 9 on ru2011, for instance). Tests in ``tests/test_digits.py``
check that its p-values are close to uniform on simulated clean elections.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats
from analysis.stats import measures
from analysis.stats.montecarlo import binomial_redraws, mc_pvalue
from analysis.stats.poisson_binomial import poisson_binomial_sf

BEBER_SCACCO = "Beber & Scacco (2012), Political Analysis 20(2), 211-234"
MEBANE_EFT = (
    "Mebane (2006) 'Election forensics: vote counts and Benford's law'; Hicken & Mebane (2017), "
    "A Guide to Election Forensics (Election Forensics Toolkit), USAID DRG Center"
)

_POW10 = 10 ** np.arange(19, dtype=np.int64)


def benford_second_digit_probabilities() -> np.ndarray:
    """P(second significant digit = d), d = 0..9, under Benford's law.

    P(d) = sum_{k=1}^{9} log10(1 + 1 / (10 k + d)) (Hill 1995; Mebane 2006, eq. 1).
    """
    k = np.arange(1, 10)[:, None]
    d = np.arange(10)[None, :]
    return np.log10(1.0 + 1.0 / (10 * k + d)).sum(axis=0)


BENFORD_SECOND = benford_second_digit_probabilities()
BENFORD_SECOND_MEAN = float(np.dot(np.arange(10), BENFORD_SECOND))  # 4.18738...
BENFORD_SECOND_VAR = float(np.dot(np.arange(10) ** 2, BENFORD_SECOND) - BENFORD_SECOND_MEAN**2)


def last_digit(counts) -> np.ndarray:
    return np.mod(np.asarray(counts, dtype=np.int64), 10)


def second_digit(counts) -> np.ndarray:
    """Second significant digit of each count (counts below 10 get -1: they have none)."""
    x = np.asarray(counts, dtype=np.int64)
    n_digits = np.searchsorted(_POW10, x, side="right")  # 10 -> 2, 99 -> 2, 100 -> 3
    divisor = _POW10[np.clip(n_digits - 2, 0, None)]
    return np.where(x >= 10, np.mod(x // divisor, 10), -1)


def integer_percentage(counts, totals) -> np.ndarray:
    """round(100 counts / totals) with halves rounded up, in exact integer arithmetic."""
    c = np.asarray(counts, dtype=np.int64)
    t = np.asarray(totals, dtype=np.int64)
    return (200 * c + t) // (2 * t)


# ------------------------------------------------------------------ per-station quantities
# Each returns (value, eligible) arrays of the shape of x (draws x stations); the statistic
# is the mean of value over eligible entries, so the filter is re-applied to every redraw.


def _q_last_digit(x, totals, min_count):
    return last_digit(x).astype(float), x >= min_count


def _q_c05(x, totals, min_count):
    return (np.mod(last_digit(x), 5) == 0).astype(float), x >= min_count


def _q_p05(x, totals, min_count):
    pct = integer_percentage(x, totals)
    return (np.mod(pct, 5) == 0).astype(float), np.broadcast_to(totals > 0, x.shape)


def _q_second_digit(x, totals, min_count):
    return second_digit(x).astype(float), x >= max(10, min_count)


def _q_repeated(x, totals, min_count):
    return ((np.mod(x // 10, 10)) == np.mod(x, 10)).astype(float), x >= max(10, min_count)


def _q_adjacent(x, totals, min_count):
    return (np.abs(np.mod(x // 10, 10) - np.mod(x, 10)) == 1).astype(float), x >= max(10, min_count)


def _row_means(value, eligible):
    n = eligible.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(eligible, value, 0.0).sum(axis=-1) / n


def _row_chi2(x, totals, min_count):
    digits = last_digit(x)
    eligible = x >= min_count
    rows = x.shape[0]
    flat = np.where(eligible, digits + 10 * np.arange(rows)[:, None], -1).ravel()
    hist = np.bincount(flat[flat >= 0], minlength=10 * rows).reshape(rows, 10)
    n = hist.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = n / 10.0
        return ((hist - expected) ** 2 / expected).sum(axis=1)


# ------------------------------------------------------------------ size-aware Monte Carlo


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class DigitTestResult:
    """One digit test: statistic, textbook null and p-value, size-aware p-value, interval."""

    test: str
    statistic: float
    null_value: float
    pvalue: float  # textbook null
    pvalue_sizeaware: float  # Binomial(size, rate) Monte Carlo; NaN when not computed
    ci_low: float  # bootstrap 95 % interval of the statistic (NaN for chi-square)
    ci_high: float
    n_used: int
    n_excluded: int
    filter_applied: str
    n_sims: int
    null_statistics: np.ndarray = field(repr=False)  # size-aware Monte Carlo statistics
    digit_counts: np.ndarray = field(repr=False)  # frequencies of the digit/indicator values
    source: str = ""

    def as_dict(self, prefix: str = "") -> dict:
        keys = ("statistic", "null_value", "pvalue", "pvalue_sizeaware", "ci_low", "ci_high", "n_used", "n_excluded")
        return {f"{prefix}{k}": getattr(self, k) for k in keys}


def _validate(counts, sizes, name):
    c = np.asarray(pd.array(counts, dtype="Int64").to_numpy(dtype=float, na_value=np.nan))
    if np.isnan(c).any():
        raise ValueError(f"{name}: counts hold {int(np.isnan(c).sum())} missing values (rows {np.flatnonzero(np.isnan(c))[:5].tolist()}...); drop them explicitly")
    if (c < 0).any():
        raise ValueError(f"{name}: negative count at rows {np.flatnonzero(c < 0)[:5].tolist()}")
    c = c.astype(np.int64)
    s = None
    if sizes is not None:
        s = np.asarray(pd.array(sizes, dtype="Int64").to_numpy(dtype=float, na_value=np.nan))
        if s.shape != c.shape:
            raise ValueError(f"{name}: counts and sizes differ in length ({c.size} vs {s.size})")
        if np.isnan(s).any():
            raise ValueError(f"{name}: sizes hold missing values at rows {np.flatnonzero(np.isnan(s))[:5].tolist()}")
        s = s.astype(np.int64)
        bad = s < c
        if bad.any():
            raise ValueError(f"{name}: size smaller than count at rows {np.flatnonzero(bad)[:5].tolist()}")
    return c, s


def _bootstrap_ci(values: np.ndarray, n_boot: int, rng) -> tuple[float, float]:
    if values.size < 2 or n_boot <= 0 or np.all(values == values[0]):
        v = float(values.mean()) if values.size else float("nan")
        return v, v
    batch = max(1, 4_000_000 // values.size)
    res = stats.bootstrap(
        (values,), np.mean, vectorized=True, n_resamples=n_boot, method="percentile", batch=batch, rng=rng
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _mean_test(
    name, quantity, null_value, null_var, counts, sizes, totals, min_count, n_sims, n_boot, seed,
    filter_text, source, textbook="z",
) -> DigitTestResult:
    rng = np.random.default_rng(seed)
    aux = totals if totals is not None else sizes
    value, eligible = quantity(counts[None, :], aux, min_count)
    value, eligible = value[0], np.asarray(eligible[0])
    used = value[eligible]
    n_used = int(used.size)
    stat = float(used.mean()) if n_used else float("nan")
    if n_used == 0:
        p_text = float("nan")
    elif textbook == "binom":
        p_text = float(stats.binomtest(int(round(used.sum())), n_used, null_value).pvalue)
    else:
        z = (stat - null_value) / np.sqrt(null_var / n_used)
        p_text = float(2 * stats.norm.sf(abs(z)))
    lo, hi = _bootstrap_ci(used, n_boot, rng) if n_used else (float("nan"), float("nan"))
    sim_stats = np.empty(0)
    p_size = float("nan")
    redraw_sizes = totals if totals is not None else sizes
    if redraw_sizes is not None and n_sims > 0:
        parts = []
        for x in binomial_redraws(counts, redraw_sizes, n_sims, rng):
            v, e = quantity(x, aux, min_count)
            parts.append(_row_means(v, e))
        sim_stats = np.concatenate(parts)
        p_size = mc_pvalue(stat, sim_stats, "two-sided")
    digit_counts = np.bincount(used.astype(np.int64), minlength=10 if quantity in (_q_last_digit, _q_second_digit) else 2)
    return DigitTestResult(
        test=name, statistic=stat, null_value=float(null_value), pvalue=p_text, pvalue_sizeaware=p_size,
        ci_low=lo, ci_high=hi, n_used=n_used, n_excluded=int(counts.size - n_used), filter_applied=filter_text,
        n_sims=int(n_sims if redraw_sizes is not None else 0), null_statistics=sim_stats,
        digit_counts=digit_counts, source=source,
    )


# ------------------------------------------------------------------ public tests


def last_digit_chi2(counts, sizes=None, min_count: int = 100, n_sims: int = 999, seed=None) -> DigitTestResult:
    """Chi-square test of uniform last digits (Beber & Scacco 2012, section 3).

    Null hypothesis (textbook): the last digits of the counts >= ``min_count`` are
    independent and uniform on 0..9; statistic sum (O_d - n/10)^2 / (n/10), p-value from
    chi-square with 9 degrees of freedom (``scipy.stats.chisquare``). Counts below
    ``min_count`` are excluded and reported (``n_excluded``). Size-aware null (when
    ``sizes`` is given): each count ~ Binomial(size, count / size); p-value =
    (1 + #{chi2* >= chi2}) / (n_sims + 1).
    """
    c, s = _validate(counts, sizes, "last_digit_chi2")
    rng = np.random.default_rng(seed)
    eligible = c >= min_count
    digits = last_digit(c[eligible])
    hist = np.bincount(digits, minlength=10)
    n_used = int(eligible.sum())
    if n_used:
        chi = stats.chisquare(hist)
        stat, p_text = float(chi.statistic), float(chi.pvalue)
    else:
        stat, p_text = float("nan"), float("nan")
    sim_stats, p_size = np.empty(0), float("nan")
    if s is not None and n_sims > 0:
        sim_stats = np.concatenate([_row_chi2(x, s, min_count) for x in binomial_redraws(c, s, n_sims, rng)])
        p_size = mc_pvalue(stat, sim_stats, "greater")
    return DigitTestResult(
        test="last_digit_chi2", statistic=stat, null_value=9.0, pvalue=p_text, pvalue_sizeaware=p_size,
        ci_low=float("nan"), ci_high=float("nan"), n_used=n_used, n_excluded=int(c.size - n_used),
        filter_applied=f"counts >= {min_count}", n_sims=int(n_sims if s is not None else 0),
        null_statistics=sim_stats, digit_counts=hist, source=BEBER_SCACCO,
    )


def lastc(counts, sizes=None, min_count: int = 10, n_sims: int = 999, n_boot: int = 999, seed=None) -> DigitTestResult:
    """Mebane's ``LastC``: mean last digit of counts >= ``min_count`` (EFT; Beber & Scacco 2012).

    Null hypothesis (textbook): uniform last digits, mean 4.5, variance 8.25; two-sided
    z-test on the mean. Bootstrap 95 % percentile interval (``scipy.stats.bootstrap``).
    Size-aware: two-sided Monte Carlo p-value under Binomial(size, count / size) redraws.
    """
    c, s = _validate(counts, sizes, "lastc")
    return _mean_test("lastc", _q_last_digit, 4.5, 8.25, c, s, None, min_count, n_sims, n_boot, seed,
                      f"counts >= {min_count}", MEBANE_EFT)


def c05s(counts, sizes=None, min_count: int = 10, n_sims: int = 999, n_boot: int = 999, seed=None) -> DigitTestResult:
    """Mebane's ``C05s``: share of counts >= ``min_count`` whose last digit is 0 or 5.

    Null hypothesis (textbook): uniform last digits, so the share is 0.2; exact two-sided
    binomial test (``scipy.stats.binomtest``). Bootstrap interval and size-aware Monte Carlo
    p-value as in :func:`lastc`. Source: Mebane's EFT; Beber & Scacco (2012).
    """
    c, s = _validate(counts, sizes, "c05s")
    return _mean_test("c05s", _q_c05, 0.2, 0.16, c, s, None, min_count, n_sims, n_boot, seed,
                      f"counts >= {min_count}", MEBANE_EFT, textbook="binom")


def p05s(counts, totals, n_sims: int = 999, n_boot: int = 999, seed=None) -> DigitTestResult:
    """Mebane's ``P05s``: share of rounded integer percentages round(100 count / total) ending in 0 or 5.

    Null hypothesis (textbook): the last digit of the leader's integer percentage is uniform,
    share 0.2; exact two-sided binomial test. Stations with total > 0. Size-aware: counts
    redrawn as Binomial(total, count / total), the percentage recomputed. Source: Mebane's EFT.
    """
    c, t = _validate(counts, totals, "p05s")
    return _mean_test("p05s", _q_p05, 0.2, 0.16, c, None, t, 0, n_sims, n_boot, seed,
                      "total > 0", MEBANE_EFT, textbook="binom")


def twobl(counts, sizes=None, min_count: int = 10, n_sims: int = 999, n_boot: int = 999, seed=None) -> DigitTestResult:
    """Mebane's ``_2BL``: mean second significant digit of counts >= 10 (Mebane 2006).

    Null hypothesis (textbook): second digits follow Benford's second-digit law
    P(d) = sum_k log10(1 + 1/(10k + d)), mean 4.187, variance 8.254; two-sided z-test.
    Bootstrap interval; size-aware Monte Carlo p-value under Binomial(size, count / size).
    """
    c, s = _validate(counts, sizes, "twobl")
    return _mean_test("twobl", _q_second_digit, BENFORD_SECOND_MEAN, BENFORD_SECOND_VAR, c, s, None,
                      min_count, n_sims, n_boot, seed, f"counts >= {max(10, min_count)}", MEBANE_EFT)


def repeated_digits(counts, sizes=None, min_count: int = 10, n_sims: int = 999, n_boot: int = 999, seed=None) -> DigitTestResult:
    """Beber & Scacco (2012) pair test: share of counts >= 10 whose last two digits repeat (00, 11 ...).

    Null hypothesis (textbook): the last two digits are independent and uniform, so 10 of
    100 pairs repeat: share 0.10; exact two-sided binomial test. Size-aware Monte Carlo as
    in :func:`lastc`.
    """
    c, s = _validate(counts, sizes, "repeated_digits")
    return _mean_test("repeated_digits", _q_repeated, 0.10, 0.09, c, s, None, min_count, n_sims, n_boot, seed,
                      f"counts >= {max(10, min_count)}", BEBER_SCACCO, textbook="binom")


def adjacent_digits(counts, sizes=None, min_count: int = 10, n_sims: int = 999, n_boot: int = 999, seed=None) -> DigitTestResult:
    """Beber & Scacco (2012) pair test: share of counts >= 10 whose last two digits are adjacent.

    Adjacent means |tens - units| = 1 without wrap-around (01, 10, 12, 21 ... 89, 98: 18 of
    100 pairs; 0 and 9 are not adjacent, which is what gives Beber & Scacco's 0.18).
    Null hypothesis (textbook): uniform independent last two digits, share 0.18; exact
    two-sided binomial test. Size-aware Monte Carlo as in :func:`lastc`.
    """
    c, s = _validate(counts, sizes, "adjacent_digits")
    return _mean_test("adjacent_digits", _q_adjacent, 0.18, 0.18 * 0.82, c, s, None, min_count, n_sims, n_boot,
                      seed, f"counts >= {max(10, min_count)}", BEBER_SCACCO, textbook="binom")


_SHARED = {  # test -> (per-draw statistic, alternative of the size-aware p-value)
    "last_digit_chi2": ("chi2", "greater"),
    "lastc": (_q_last_digit, "two-sided"),
    "c05s": (_q_c05, "two-sided"),
    "p05s": (_q_p05, "two-sided"),
    "twobl": (_q_second_digit, "two-sided"),
    "repeated_digits": (_q_repeated, "two-sided"),
    "adjacent_digits": (_q_adjacent, "two-sided"),
}


def all_digit_tests(counts, sizes, min_count_chi2: int = 100, min_count: int = 10, n_sims: int = 999,
                    n_boot: int = 999, seed=None) -> dict:
    """Every digit test on one set of counts, the size-aware nulls sharing one set of redraws.

    ``sizes`` are the station sizes of the binomial redraw and the denominators of ``P05s``.
    Each test's statistic, textbook p-value and interval are those of its own function; the
    size-aware p-values come from the same ``n_sims`` Binomial(size, count / size) redraws of
    the whole vector (so they are dependent across tests, as the tests are on the same data).
    """
    c, s = _validate(counts, sizes, "all_digit_tests")
    if isinstance(seed, np.random.Generator):
        seeds = seed.spawn(8)
    else:
        seeds = (seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)).spawn(8)
    results = {
        "last_digit_chi2": last_digit_chi2(c, s, min_count_chi2, 0, seeds[0]),
        "lastc": lastc(c, s, min_count, 0, n_boot, seeds[1]),
        "c05s": c05s(c, s, min_count, 0, n_boot, seeds[2]),
        "p05s": p05s(c, s, 0, n_boot, seeds[3]),
        "twobl": twobl(c, s, min_count, 0, n_boot, seeds[4]),
        "repeated_digits": repeated_digits(c, s, min_count, 0, n_boot, seeds[5]),
        "adjacent_digits": adjacent_digits(c, s, min_count, 0, n_boot, seeds[6]),
    }
    if n_sims <= 0:
        return results
    parts = {name: [] for name in results}
    for x in binomial_redraws(c, s, n_sims, np.random.default_rng(seeds[7])):
        for name, (quantity, _) in _SHARED.items():
            if quantity == "chi2":
                parts[name].append(_row_chi2(x, s, min_count_chi2))
            else:
                mc = 0 if name == "p05s" else min_count
                parts[name].append(_row_means(*quantity(x, s, mc)))
    out = {}
    for name, r in results.items():
        sims = np.concatenate(parts[name])
        out[name] = replace(r, null_statistics=sims, n_sims=int(n_sims),
                            pvalue_sizeaware=mc_pvalue(r.statistic, sims, _SHARED[name][1]))
    return out


def results_table(results: dict) -> pd.DataFrame:
    """One row per test (for display)."""
    rows = []
    for name, r in results.items():
        rows.append({
            "test": name, "statistic": r.statistic, "null": r.null_value, "ci_low": r.ci_low, "ci_high": r.ci_high,
            "p_textbook": r.pvalue, "p_sizeaware": r.pvalue_sizeaware, "n_used": r.n_used,
            "n_excluded": r.n_excluded, "filter": r.filter_applied,
        })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ canonical tables


def _leader_counts_and_sizes(stations, votes, leader):

    lv = measures.leader_votes(stations, votes, leader)
    size = measures.ballots_counted(stations)
    ok = np.isfinite(lv) & np.isfinite(size) & (size > 0)
    return lv[ok].astype(np.int64), size[ok].astype(np.int64)


def calibration_tests() -> dict:
    """Digit tests for ``analysis.synthetic.calibration``: {name: fn(stations, votes, leader, rng) -> p-value}.

    Leader votes per station against valid + invalid ballots. Textbook p-values are analytic;
    size-aware ones use 49 Monte Carlo draws (p-values on a grid of 1/50, smallest 0.02 one-
    sided, 0.04 two-sided: enough to estimate rejection rates at alpha = 0.05, and cheap).
    """

    def _run(test, sizeaware, **kw):
        def fn(stations, votes, leader, rng):
            c, s = _leader_counts_and_sizes(stations, votes, leader)
            r = test(c, s, n_sims=49 if sizeaware else 0, seed=rng, **kw)
            return r.pvalue_sizeaware if sizeaware else r.pvalue

        return fn

    return {
        "last_digit_chi2": _run(last_digit_chi2, False),
        "last_digit_sizeaware": _run(last_digit_chi2, True),
        "lastc": _run(lastc, False, n_boot=0),
        "lastc_sizeaware": _run(lastc, True, n_boot=0),
        "c05s": _run(c05s, False, n_boot=0),
        "twobl": _run(twobl, False, n_boot=0),
        "twobl_sizeaware": _run(twobl, True, n_boot=0),
    }


# ------------------------------------------------------------------ percentage grid (regional tables)


def on_percentage_grid(counts, totals, decimals: int = 2) -> np.ndarray:
    """True where ``count == round(total * k / 10**(decimals + 2))`` for some integer ``k``.

    That is, the count is what one gets by applying a percentage with ``decimals`` decimals
    (``k`` hundredths of a point for ``decimals=2``) to the total and rounding to a whole vote
    (halves up). Exact integer arithmetic: with ``s = 10**(decimals + 2)``, only
    ``k = floor(s c / T)`` and ``k + 1`` can round to ``c`` when ``T > s``; for ``T <= s`` every
    count is on the grid (the grid is finer than one vote).
    """
    c = np.asarray(counts, dtype=np.int64)
    t = np.asarray(totals, dtype=np.int64)
    if np.any(t <= 0) or np.any((c < 0) | (c > t)):
        raise ValueError("on_percentage_grid: need 0 <= counts <= totals and totals > 0")
    s = 10 ** (decimals + 2)
    k0 = (s * c) // t
    hit = np.zeros(np.broadcast(c, t).shape, dtype=bool)
    for k in (k0, k0 + 1):
        hit |= (2 * t * k + s) // (2 * s) == c
    return hit | (t <= s)


def percentage_grid_probability(totals, rates, decimals: int = 2) -> np.ndarray:
    """P(X on the grid of :func:`on_percentage_grid`) for X ~ Binomial(total, rate), exactly.

    Sum of the binomial pmf over the distinct grid counts round(T k / s), k = 0..s
    (``scipy.stats.binom.pmf``), restricted to the Bernstein window of the binomial (the mass
    left out is below 2 exp(-37)). For T much larger than s and a binomial spread of several grid
    steps this is close to (number of grid counts) / (T + 1), about s / T.
    """
    t = np.asarray(totals, dtype=np.int64).ravel()
    r = np.asarray(rates, dtype=float).ravel()
    s = 10 ** (decimals + 2)
    k = np.arange(s + 1, dtype=np.int64)
    out = np.ones(t.size)
    # only grid counts within the Bernstein window mu +/- m matter (neglected mass < 2 exp(-37))
    mu, var = t * r, t * r * (1 - r)
    margin = 37 / 3 + np.sqrt(37**2 / 9 + 74 * var)
    for i in np.flatnonzero(t > s):
        k_lo = max(0, int((mu[i] - margin[i] - 1) * s // t[i]))
        k_hi = min(s, int((mu[i] + margin[i] + 1) * s // t[i]) + 1)
        grid = np.unique((2 * t[i] * k[k_lo : k_hi + 1] + s) // (2 * s))
        out[i] = stats.binom.pmf(grid, t[i], r[i]).sum()
    return np.minimum(out, 1.0)


@dataclass(frozen=True)
class PercentageGridResult:
    """Counts that equal round(total x a ``decimals``-decimal percentage), against honest counting."""

    statistic: int  # counts on the grid
    expected: float  # null mean: sum of the exact per-count probabilities
    null_sd: float  # Monte Carlo (multinomial) null sd
    pvalue: float  # Monte Carlo, multinomial null (counts of a unit sum to its total)
    pvalue_bound: float  # upper bound from the counts that are free of the sum constraint
    units_all_on_grid: int  # units (regions) whose every count is on the grid
    units_all_expected: float  # Monte Carlo null mean of that number
    n_counts: int
    n_sims: int
    on_grid: np.ndarray = field(repr=False)  # units x candidates
    probability: np.ndarray = field(repr=False)  # units x candidates, exact per-count null probability
    null_statistics: np.ndarray = field(repr=False)
    decimals: int = 2


def percentage_grid_test(counts, decimals: int = 2, n_sims: int = 99_999, seed=None, chunk: int = 10_000) -> PercentageGridResult:
    """Are the candidates' counts of each unit what two-decimal percentages of its total give?

    ``counts``: units x candidates (e.g. 16 regions x 4 candidates); the total T of a unit is
    the sum of its row. Statistic: number of counts c with c == round(T k / 10**(decimals + 2))
    for an integer k (:func:`on_percentage_grid`).

    Null hypothesis (honest counting, size-aware as in Kobak et al. 2016): each unit's counts are
    Multinomial(T, observed shares), independently across units. The sum constraint makes the
    last count of a unit a function of the others (if the other counts are on the grid, the
    last one is too whenever their rounding errors sum to at most half a vote: about 2/3 of
    the time with three others), so the null is simulated: ``n_sims`` multinomial redraws,
    one-sided p-value (1 + #{null >= observed}) / (n_sims + 1), never below 1 / (n_sims + 1).
    Also returned: the exact null mean sum(q) with q = P(Binomial(T, share) on the grid)
    (:func:`percentage_grid_probability`, about s / T per count), and ``pvalue_bound``, which
    resolves far tails: leave out each unit's largest count (the one the constraint ties to
    the rest), so that S <= S_free + units and P(S >= obs) <= P(S_free >= obs - units), the
    latter exact Poisson-binomial treating the free counts as independent (their multinomial
    correlation is of order sqrt(p_i p_j), and grid hits depend on the counts modulo about
    T / s votes). No published source defines this check; it carries Kobak et al.'s
    integer-percentage idea to two-decimal percentages of regional totals.
    """

    c = np.asarray(counts, dtype=np.int64)
    if c.ndim != 2 or np.any(c < 0):
        raise ValueError("percentage_grid_test: counts must be a units x candidates array of non-negative integers")
    totals = c.sum(axis=1)
    if np.any(totals <= 0):
        raise ValueError(f"percentage_grid_test: units {np.flatnonzero(totals <= 0).tolist()} have no votes")
    rng = np.random.default_rng(seed)
    on = on_percentage_grid(c, totals[:, None], decimals)
    observed = int(on.sum())
    shares = c / totals[:, None]
    q = percentage_grid_probability(np.broadcast_to(totals[:, None], c.shape), shares, decimals).reshape(c.shape)
    null = np.empty(n_sims, dtype=np.int64)
    null_all = np.empty(n_sims, dtype=np.int64)
    done = 0
    while done < n_sims:
        m = min(chunk, n_sims - done)
        x = rng.multinomial(totals, shares, size=(m, totals.size))  # m x units x candidates
        hit = on_percentage_grid(x, totals[None, :, None], decimals)
        null[done : done + m] = hit.sum(axis=(1, 2))
        null_all[done : done + m] = hit.all(axis=2).sum(axis=1)
        done += m
    free = np.ones(c.shape, dtype=bool)
    free[np.arange(c.shape[0]), np.argmax(c, axis=1)] = False
    bound = poisson_binomial_sf(observed - c.shape[0], q[free]) if c.shape[1] > 1 else float("nan")
    return PercentageGridResult(
        statistic=observed,
        expected=float(q.sum()),
        null_sd=float(null.std(ddof=1)) if n_sims > 1 else float("nan"),
        pvalue=mc_pvalue(observed, null.astype(float), "greater") if n_sims else float("nan"),
        pvalue_bound=bound,
        units_all_on_grid=int(on.all(axis=1).sum()),
        units_all_expected=float(null_all.mean()) if n_sims else float("nan"),
        n_counts=int(c.size),
        n_sims=int(n_sims),
        on_grid=on,
        probability=q,
        null_statistics=null,
        decimals=int(decimals),
    )
