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
    _q_adjacent,
    _q_c05,
    _q_last_digit,
    _q_p05,
    _q_repeated,
    _q_second_digit,
    _row_chi2,
    _row_means,
)
from analysis.stats.digits.eft import c05s, lastc, p05s, twobl
from analysis.stats.digits.lastdigit import _validate, last_digit_chi2
from analysis.stats.digits.pairs import adjacent_digits, repeated_digits
from analysis.stats.montecarlo import binomial_redraws, mc_pvalue

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
    parts = {name: [] for name in results}
    for x in binomial_redraws(c, s, n_sims, np.random.default_rng(seeds[7])):
        for name, quantity in _QUANTITIES.items():
            if quantity == "chi2":
                parts[name].append(_row_chi2(x, s, min_count_chi2))
            else:
                mc = 0 if name == "p05s" else min_count
                parts[name].append(_row_means(*quantity(x, s, mc)))
    out = {}
    for name, r in results.items():
        sims = np.concatenate(parts[name])
        out[name] = replace(
            r, null_statistics=sims, n_sims=int(n_sims), pvalue_sizeaware=mc_pvalue(r.statistic, sims, r.alternative)
        )
    return out


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
