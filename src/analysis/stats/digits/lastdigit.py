"""Last-digit and second-digit tests of vote counts, each with a textbook and a size-aware null.

Every test reports the textbook p-value and, when station sizes are given, a Monte Carlo
p-value under the null that each count is Binomial(station size, observed rate)
(:func:`~analysis.stats.montecarlo.binomial_redraws`), pushed through the same statistic,
filter included (see :mod:`analysis.stats.digits`).

References
----------
Beber, B. & Scacco, A. (2012). What the numbers say: a digit-based test for election fraud.
*Political Analysis* 20(2), 211-234, section 3.

Mebane, W. R. Jr. (2006). Election forensics: vote counts and Benford's law. Political
Methodology Summer Meeting; Hicken, A. & Mebane, W. R. Jr. (2017). A guide to election
forensics. USAID DRG Center (the Election Forensics Toolkit, EFT).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.results import FlatResult
from analysis.stats.digits.benford import (
    _q_last_digit,
    _q_second_digit,
    _row_chi2,
    _row_means,
    last_digit,
)
from analysis.stats.montecarlo import ALTERNATIVES, binomial_redraws, mc_pvalue

BEBER_SCACCO = "Beber & Scacco (2012), Political Analysis 20(2), 211-234"
MEBANE_EFT = (
    "Mebane (2006) 'Election forensics: vote counts and Benford's law'; Hicken & Mebane (2017), "
    "A Guide to Election Forensics (Election Forensics Toolkit), USAID DRG Center"
)


@dataclass(frozen=True)
class DigitTestResult(FlatResult):
    """One digit test: statistic, textbook and size-aware p-values, bootstrap interval.

    ``as_dict(prefix)`` gives ``statistic``, ``null_value``, ``pvalue``,
    ``pvalue_sizeaware``, ``ci_low``, ``ci_high``, ``n_used`` and ``n_excluded``.

    Attributes
    ----------
    statistic : float
        The test statistic (a mean, a share, or the chi-square).
    pvalue : float
        Textbook p-value.
    test : str
        The test's name.
    null_value : float
        The statistic's textbook null value.
    pvalue_sizeaware : float
        Binomial(size, rate) Monte Carlo p-value; NaN when not computed.
    ci_low, ci_high : float
        Bootstrap 95 % percentile interval of the statistic (NaN for the chi-square).
    n_used, n_excluded : int
        Counts used and left out by the filter.
    filter_applied : str
        The filter.
    n_sims : int
        Size-aware Monte Carlo draws.
    null_statistics : numpy.ndarray
        The statistic on each redraw.
    digit_counts : numpy.ndarray
        Frequencies of the digit (or indicator) values used.
    source : str
        The paper.
    alternative : str
        Direction of both p-values.

    Examples
    --------
    >>> from analysis.stats.digits import lastc
    >>> lastc([11, 12, 23, 45, 50, 55], n_boot=0).as_dict("lastc_")["lastc_n_used"]
    6
    """

    statistic: float
    pvalue: float  # textbook null
    test: str
    null_value: float
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
    alternative: str = "two-sided"

    _flat_fields = (
        "statistic",
        "null_value",
        "pvalue",
        "pvalue_sizeaware",
        "ci_low",
        "ci_high",
        "n_used",
        "n_excluded",
    )


def _validate(counts, sizes, name):
    c = np.asarray(pd.array(counts, dtype="Int64").to_numpy(dtype=float, na_value=np.nan))
    if np.isnan(c).any():
        raise ValueError(
            f"{name}: counts hold {int(np.isnan(c).sum())} missing values (rows {np.flatnonzero(np.isnan(c))[:5].tolist()}...); drop them explicitly"
        )
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
    """Percentile 95 % bootstrap interval of the mean (Efron & Tibshirani 1993, section 13.3).

    The values are digits or 0/1 indicators, a handful of distinct levels: a resample of the
    n values with replacement is then Multinomial(n, observed level frequencies), and its mean
    the frequency-weighted mean of the levels, so the resamples are drawn as multinomials (the
    same bootstrap distribution as ``scipy.stats.bootstrap``'s index resampling, without
    materialising n values per resample; ``tests/test_digits.py`` compares the two).
    """
    if values.size < 2 or n_boot <= 0 or np.all(values == values[0]):
        v = float(values.mean()) if values.size else float("nan")
        return v, v
    levels, freq = np.unique(values, return_counts=True)
    means = rng.multinomial(values.size, freq / values.size, size=n_boot) @ levels / values.size
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _mean_test(
    name,
    quantity,
    null_value,
    null_var,
    counts,
    sizes,
    totals,
    min_count,
    n_sims,
    n_boot,
    seed,
    filter_text,
    source,
    textbook="z",
    alternative="two-sided",
) -> DigitTestResult:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"{name}: alternative={alternative!r}, expected one of {ALTERNATIVES}")
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
        p_text = float(stats.binomtest(int(round(used.sum())), n_used, null_value, alternative=alternative).pvalue)
    else:
        z = (stat - null_value) / np.sqrt(null_var / n_used)
        if alternative == "two-sided":
            p_text = float(2 * stats.norm.sf(abs(z)))
        else:
            p_text = float(stats.norm.sf(z) if alternative == "greater" else stats.norm.cdf(z))
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
        p_size = mc_pvalue(stat, sim_stats, alternative)
    digit_counts = np.bincount(
        used.astype(np.int64), minlength=10 if quantity in (_q_last_digit, _q_second_digit) else 2
    )
    return DigitTestResult(
        test=name,
        statistic=stat,
        null_value=float(null_value),
        pvalue=p_text,
        pvalue_sizeaware=p_size,
        ci_low=lo,
        ci_high=hi,
        n_used=n_used,
        n_excluded=int(counts.size - n_used),
        filter_applied=filter_text,
        n_sims=int(n_sims if redraw_sizes is not None else 0),
        null_statistics=sim_stats,
        digit_counts=digit_counts,
        source=source,
        alternative=alternative,
    )


_PARAMETERS = """
    Parameters
    ----------
    counts : array_like of int
        Vote counts, one per station (no missing values).
    sizes : array_like of int, optional
        Station sizes (e.g. valid + invalid ballots) for the size-aware null; without them
        only the textbook p-value is computed.
    min_count : int, optional
        Counts below it are excluded (and reported in ``n_excluded``).
    n_sims : int, optional
        Binomial redraws of the size-aware null (default 999; 0: none).
    n_boot : int, optional
        Bootstrap resamples of the interval (default 999; 0: none, the interval collapses).
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None, optional
        Seed of ``numpy.random.default_rng``.
    alternative : {'two-sided', 'greater', 'less'}, optional
        Direction of both p-values (default 'two-sided').

    Returns
    -------
    DigitTestResult

"""


def last_digit_chi2(counts, sizes=None, *, min_count: int = 100, n_sims: int = 999, seed=None) -> DigitTestResult:
    """Chi-square test of uniform last digits (Beber & Scacco 2012, section 3).

    Null hypothesis (textbook): the last digits of the counts >= ``min_count`` are
    independent and uniform on 0..9; statistic sum (O_d - n/10)^2 / (n/10), p-value from
    chi-square with 9 degrees of freedom (``scipy.stats.chisquare``). Counts below
    ``min_count`` are excluded and reported (``n_excluded``). Size-aware null (when
    ``sizes`` is given): each count ~ Binomial(size, count / size); p-value =
    (1 + #{chi2* >= chi2}) / (n_sims + 1). Both are upper-tail (no ``alternative``).

    Parameters
    ----------
    counts : array_like of int
        Vote counts, one per station.
    sizes : array_like of int, optional
        Station sizes for the size-aware null.
    min_count : int, optional
        Counts below it are excluded (default 100).
    n_sims : int, optional
        Binomial redraws of the size-aware null (default 999).
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None, optional
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    DigitTestResult

    References
    ----------
    Beber & Scacco (2012), Political Analysis 20(2), 211-234, section 3.

    Examples
    --------
    >>> r = last_digit_chi2([1000 + d for d in range(10)] * 3 + [3])
    >>> r.statistic, r.pvalue, r.n_used, r.n_excluded
    (0.0, 1.0, 30, 1)
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
        test="last_digit_chi2",
        statistic=stat,
        null_value=9.0,
        pvalue=p_text,
        pvalue_sizeaware=p_size,
        ci_low=float("nan"),
        ci_high=float("nan"),
        n_used=n_used,
        n_excluded=int(c.size - n_used),
        filter_applied=f"counts >= {min_count}",
        n_sims=int(n_sims if s is not None else 0),
        null_statistics=sim_stats,
        digit_counts=hist,
        source=BEBER_SCACCO,
        alternative="greater",
    )
