"""Mebane's Election Forensics Toolkit mean statistics: LastC, C05s, P05s and _2BL.

Each is the mean of a per-count quantity (last digit, last digit in {0, 5}, second digit)
against its textbook value, with the size-aware null of :mod:`analysis.stats.digits`
(the shared machinery, :func:`~analysis.stats.digits.lastdigit._mean_test`, is in
:mod:`~analysis.stats.digits.lastdigit`).

References
----------
Mebane, W. R. Jr. (2006). Election forensics: vote counts and Benford's law. Political
Methodology Summer Meeting; Hicken, A. & Mebane, W. R. Jr. (2017). A guide to election
forensics. USAID DRG Center (the Election Forensics Toolkit).
"""

from __future__ import annotations

from analysis.stats.digits.benford import (
    BENFORD_SECOND_MEAN,
    BENFORD_SECOND_VAR,
    _q_c05,
    _q_last_digit,
    _q_p05,
    _q_second_digit,
)
from analysis.stats.digits.lastdigit import _PARAMETERS, MEBANE_EFT, DigitTestResult, _mean_test, _validate


def lastc(
    counts,
    sizes=None,
    *,
    min_count: int = 10,
    n_sims: int = 999,
    n_boot: int = 999,
    seed=None,
    alternative: str = "two-sided",
) -> DigitTestResult:
    """Mebane's ``LastC``: mean last digit of counts >= ``min_count``.

    Null hypothesis (textbook): uniform last digits, mean 4.5, variance 8.25; z-test on the
    mean. Bootstrap 95 % percentile interval (``scipy.stats.bootstrap``). Size-aware: Monte
    Carlo p-value under Binomial(size, count / size) redraws.
    {parameters}
    References
    ----------
    Hicken & Mebane (2017), A Guide to Election Forensics (EFT ``LastC``); Beber & Scacco
    (2012), Political Analysis 20(2), section 3.

    Examples
    --------
    >>> r = lastc([11, 12, 23, 45, 50, 55, 7], n_boot=0)
    >>> round(r.statistic, 4), r.n_used, round(r.pvalue, 4)
    (2.6667, 6, 0.1179)
    """
    c, s = _validate(counts, sizes, "lastc")
    return _mean_test(
        "lastc",
        _q_last_digit,
        4.5,
        8.25,
        c,
        s,
        None,
        min_count,
        n_sims,
        n_boot,
        seed,
        f"counts >= {min_count}",
        MEBANE_EFT,
        alternative=alternative,
    )


def c05s(
    counts,
    sizes=None,
    *,
    min_count: int = 10,
    n_sims: int = 999,
    n_boot: int = 999,
    seed=None,
    alternative: str = "two-sided",
) -> DigitTestResult:
    """Mebane's ``C05s``: share of counts >= ``min_count`` whose last digit is 0 or 5.

    Null hypothesis (textbook): uniform last digits, so the share is 0.2; exact binomial
    test (``scipy.stats.binomtest``). Bootstrap interval and size-aware Monte Carlo p-value
    as in :func:`lastc`. ``alternative="greater"`` tests for an excess of 0s and 5s.
    {parameters}
    References
    ----------
    Hicken & Mebane (2017), A Guide to Election Forensics (EFT ``C05s``); Beber & Scacco
    (2012), Political Analysis 20(2), section 3.

    Examples
    --------
    >>> r = c05s([10, 15, 20, 25, 31, 42], n_boot=0, alternative="greater")
    >>> round(r.statistic, 4), round(r.pvalue, 4)
    (0.6667, 0.017)
    """
    c, s = _validate(counts, sizes, "c05s")
    return _mean_test(
        "c05s",
        _q_c05,
        0.2,
        0.16,
        c,
        s,
        None,
        min_count,
        n_sims,
        n_boot,
        seed,
        f"counts >= {min_count}",
        MEBANE_EFT,
        textbook="binom",
        alternative=alternative,
    )


def p05s(
    counts, totals, *, n_sims: int = 999, n_boot: int = 999, seed=None, alternative: str = "two-sided"
) -> DigitTestResult:
    """Mebane's ``P05s``: share of rounded integer percentages round(100 count / total) ending in 0 or 5.

    Null hypothesis (textbook): the last digit of the leader's integer percentage is uniform,
    share 0.2; exact binomial test. Stations with total > 0. Size-aware: counts redrawn as
    Binomial(total, count / total), the percentage recomputed.

    Parameters
    ----------
    counts, totals : array_like of int
        The leader's votes and the station totals (the size-aware null's sizes).
    n_sims, n_boot, seed, alternative
        As in :func:`lastc`.

    Returns
    -------
    DigitTestResult

    References
    ----------
    Hicken & Mebane (2017), A Guide to Election Forensics (EFT ``P05s``).

    Examples
    --------
    >>> round(p05s([1, 1, 1, 2, 1], [2, 3, 4, 3, 40], n_boot=0).statistic, 4)  # 50, 33, 25, 67, 3 %
    0.4
    """
    c, t = _validate(counts, totals, "p05s")
    return _mean_test(
        "p05s",
        _q_p05,
        0.2,
        0.16,
        c,
        None,
        t,
        0,
        n_sims,
        n_boot,
        seed,
        "total > 0",
        MEBANE_EFT,
        textbook="binom",
        alternative=alternative,
    )


def twobl(
    counts,
    sizes=None,
    *,
    min_count: int = 10,
    n_sims: int = 999,
    n_boot: int = 999,
    seed=None,
    alternative: str = "two-sided",
) -> DigitTestResult:
    """Mebane's ``_2BL``: mean second significant digit of counts >= 10.

    Null hypothesis (textbook): second digits follow Benford's second-digit law
    P(d) = sum_k log10(1 + 1/(10k + d)), mean 4.187, variance 8.254; z-test.
    Bootstrap interval; size-aware Monte Carlo p-value under Binomial(size, count / size).
    {parameters}
    References
    ----------
    Mebane (2006), Election forensics: vote counts and Benford's law (the ``_2BL`` test).

    Examples
    --------
    >>> r = twobl([11, 12, 23, 45, 50, 55], n_boot=0)
    >>> round(r.statistic, 4), round(r.null_value, 4)
    (2.6667, 4.1874)
    """
    c, s = _validate(counts, sizes, "twobl")
    return _mean_test(
        "twobl",
        _q_second_digit,
        BENFORD_SECOND_MEAN,
        BENFORD_SECOND_VAR,
        c,
        s,
        None,
        min_count,
        n_sims,
        n_boot,
        seed,
        f"counts >= {max(10, min_count)}",
        MEBANE_EFT,
        alternative=alternative,
    )


for _fn in (lastc, c05s, twobl):
    if _fn.__doc__:  # None under python -OO
        _fn.__doc__ = _fn.__doc__.replace("    {parameters}\n", _PARAMETERS)
del _fn
