"""Every digit test on one set of counts, the size-aware nulls sharing one set of binomial redraws.

References
----------
Beber, B. & Scacco, A. (2012). *Political Analysis* 20(2), 211-234, section 3; Mebane, W. R.
Jr. (2006), Election forensics: vote counts and Benford's law; Hicken, A. & Mebane, W. R. Jr.
(2017), A Guide to Election Forensics, USAID DRG Center.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.stats.digits.benford import (
    _on_five_percent,
    _q_adjacent,
    _q_c05,
    _q_last_digit,
    _q_p05,
    _q_repeated,
    _q_second_digit,
)
from analysis.stats.digits.eft import c05s, lastc, p05s, twobl
from analysis.stats.digits.lastdigit import _validate, last_digit_chi2
from analysis.stats.digits.pairs import adjacent_digits, repeated_digits
from analysis.stats.montecarlo import mc_pvalue

_QUANTITIES = {  # test -> per-station quantity whose mean is the statistic ("chi2": the chi-square)
    "last_digit_chi2": "chi2",
    "lastc": _q_last_digit,
    "c05s": _q_c05,
    "p05s": _q_p05,
    "twobl": _q_second_digit,
    "repeated_digits": _q_repeated,
    "adjacent_digits": _q_adjacent,
}


def all_digit_tests(
    counts, sizes, *, min_count_chi2: int = 100, min_count: int = 10, n_sims: int = 999, n_boot: int = 999, seed=None
) -> dict:
    """Every digit test on one set of counts, the size-aware nulls sharing one set of redraws.

    Each test's statistic, textbook p-value and interval are those of its own function
    (with its default ``alternative``); the size-aware p-values come from the same ``n_sims``
    Binomial(size, count / size) redraws of the whole vector (so they are dependent across
    tests, as the tests are on the same data). Seeds: ``seed`` spawns eight independent
    streams, one per test and one for the shared redraws.

    Parameters
    ----------
    counts, sizes : array_like of int
        Vote counts and station sizes (the binomial redraw's sizes and the denominators of
        ``P05s``).
    min_count_chi2 : int, optional
        Filter of :func:`~analysis.stats.digits.lastdigit.last_digit_chi2` (default 100).
    min_count : int, optional
        Filter of the other tests except ``P05s`` (default 10).
    n_sims : int, optional
        Shared binomial redraws (default 999; 0: textbook p-values only).
    n_boot : int, optional
        Bootstrap resamples of each interval (default 999).
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None, optional

    Returns
    -------
    dict
        Test name -> :class:`~analysis.stats.digits.lastdigit.DigitTestResult`, in the order
        last_digit_chi2, lastc, c05s, p05s, twobl, repeated_digits, adjacent_digits.

    References
    ----------
    Beber & Scacco (2012), section 3; Mebane (2006); Hicken & Mebane (2017).

    Examples
    --------
    >>> res = all_digit_tests([123, 456, 789, 1011, 1213, 1415], [400, 900, 1500, 2000, 2400, 2800],
    ...                       n_sims=19, n_boot=0, seed=1)
    >>> list(res)[:3], res["lastc"].n_sims
    (['last_digit_chi2', 'lastc', 'c05s'], 19)
    """
    c, s = _validate(counts, sizes, "all_digit_tests")
    if isinstance(seed, np.random.Generator):
        seeds = seed.spawn(8)
    else:
        seeds = (seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)).spawn(8)
    results = {
        "last_digit_chi2": last_digit_chi2(c, s, min_count=min_count_chi2, n_sims=0, seed=seeds[0]),
        "lastc": lastc(c, s, min_count=min_count, n_sims=0, n_boot=n_boot, seed=seeds[1]),
        "c05s": c05s(c, s, min_count=min_count, n_sims=0, n_boot=n_boot, seed=seeds[2]),
        "p05s": p05s(c, s, n_sims=0, n_boot=n_boot, seed=seeds[3]),
        "twobl": twobl(c, s, min_count=min_count, n_sims=0, n_boot=n_boot, seed=seeds[4]),
        "repeated_digits": repeated_digits(c, s, min_count=min_count, n_sims=0, n_boot=n_boot, seed=seeds[5]),
        "adjacent_digits": adjacent_digits(c, s, min_count=min_count, n_sims=0, n_boot=n_boot, seed=seeds[6]),
    }
    if n_sims <= 0:
        return results
    null = _sizeaware_null_statistics(c, s, n_sims, np.random.default_rng(seeds[7]), min_count_chi2, min_count)
    out = {}
    for name, r in results.items():
        out[name] = replace(
            r,
            null_statistics=null[name],
            n_sims=int(n_sims),
            pvalue_sizeaware=mc_pvalue(r.statistic, null[name], r.alternative),
        )
    return out


def _count_value_tables(max_count: int, min_count_chi2: int, min_count: int) -> dict:
    """Per possible count x = 0..max_count, the columns whose sums over a redraw give each
    statistic: the chi-square's ten digit indicators, and (value x eligible, eligible) of each
    mean test, from the same per-station quantity functions as the observed statistics."""
    x = np.arange(max_count + 1, dtype=np.int64)[None, :]
    digit = np.mod(x[0], 10)
    tables = {"last_digit_chi2": ((digit[:, None] == np.arange(10)) & (x[0] >= min_count_chi2)[:, None]).astype(float)}
    for name, quantity in _QUANTITIES.items():
        if quantity == "chi2" or name == "p05s":
            continue
        value, eligible = quantity(x, None, min_count)
        tables[name] = np.column_stack([np.where(eligible[0], value[0], 0.0), eligible[0].astype(float)])
    return tables


def _sizeaware_null_statistics(c, s, n_sims, rng, min_count_chi2, min_count) -> dict:
    """Each test's statistic on ``n_sims`` shared Binomial(size, count / size) redraws.

    Every statistic except ``P05s`` is a function of the histogram of the redrawn counts
    (how many stations drew each count x), so each chunk of redraws is histogrammed once
    and the statistics are the products of that histogram with per-x tables
    (:func:`_count_value_tables`): one pass over the redraws instead of one per test and
    quantity. ``P05s`` also depends on each station's total and is computed per station.
    The statistics equal those of the quantity functions applied to every redraw
    (``tests/test_digits.py`` checks the two draw by draw), and the redraws have the
    distribution of :func:`~analysis.stats.montecarlo.binomial_redraws` (drawn station-major,
    so the random stream differs).
    """
    width = int(s.max()) + 1 if s.size else 1
    tables = _count_value_tables(width - 1, min_count_chi2, min_count)
    parts = {name: [] for name in _QUANTITIES}
    rate = np.divide(c, s, out=np.zeros(c.shape), where=s > 0)
    chunk = max(1, min(n_sims, 2_000_000 // max(1, c.size)))
    done = 0
    while done < n_sims:
        rows = min(chunk, n_sims - done)
        # stations x redraws: numpy's binomial sampler keeps its set-up for repeated (n, p),
        # so drawing a station's redraws one after the other is faster than station by station
        x = rng.binomial(s[:, None], rate[:, None], size=(c.size, rows))
        flat = (x + width * np.arange(rows)[None, :]).ravel()
        hist = np.bincount(flat, minlength=rows * width).reshape(rows, width).astype(float)
        observed = hist @ tables["last_digit_chi2"]
        n = observed.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            parts["last_digit_chi2"].append(((observed - n / 10) ** 2 / (n / 10)).sum(axis=1))
            for name, table in tables.items():
                if name != "last_digit_chi2":
                    sums = hist @ table
                    parts[name].append(sums[:, 0] / sums[:, 1])
        # P05s' eligibility (total > 0) is the same in every redraw and its value is 0 where it
        # fails, so the mean over eligible stations is a column sum over a fixed count
        with np.errstate(invalid="ignore", divide="ignore"):
            parts["p05s"].append(np.count_nonzero(_on_five_percent(x, s[:, None]), axis=0) / np.count_nonzero(s > 0))
        done += rows
    return {name: np.concatenate(p) for name, p in parts.items()}


def results_table(results: dict) -> pd.DataFrame:
    """One row per test, for display.

    Parameters
    ----------
    results : dict
        Test name -> DigitTestResult (e.g. from :func:`all_digit_tests`).

    Returns
    -------
    pandas.DataFrame
        Columns test, statistic, null, ci_low, ci_high, p_textbook, p_sizeaware, n_used,
        n_excluded, filter.

    References
    ----------
    Beber & Scacco (2012), section 3; Hicken & Mebane (2017) (the tests tabulated).

    Examples
    --------
    >>> from analysis.stats.digits import lastc
    >>> results_table({"lastc": lastc([11, 12, 23], n_boot=0)})[["test", "n_used"]]
        test  n_used
    0  lastc       3
    """
    rows = []
    for name, r in results.items():
        rows.append(
            {
                "test": name,
                "statistic": r.statistic,
                "null": r.null_value,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "p_textbook": r.pvalue,
                "p_sizeaware": r.pvalue_sizeaware,
                "n_used": r.n_used,
                "n_excluded": r.n_excluded,
                "filter": r.filter_applied,
            }
        )
    return pd.DataFrame(rows)
