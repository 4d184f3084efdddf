"""Beber & Scacco's last-two-digit pair tests: repeated pairs (00, 11 ...) and adjacent pairs (12, 21 ...).

References
----------
Beber, B. & Scacco, A. (2012). What the numbers say: a digit-based test for election fraud.
*Political Analysis* 20(2), 211-234, section 3: under the null the last two digits are
independent and uniform, so a pair repeats with probability 0.10 and is adjacent (no
wrap-around from 9 to 0) with probability 0.18.
"""

from __future__ import annotations

from analysis.stats.digits.benford import _q_adjacent, _q_repeated
from analysis.stats.digits.lastdigit import _PARAMETERS, BEBER_SCACCO, DigitTestResult, _mean_test, _validate


def repeated_digits(
    counts,
    sizes=None,
    *,
    min_count: int = 10,
    n_sims: int = 999,
    n_boot: int = 999,
    seed=None,
    alternative: str = "two-sided",
) -> DigitTestResult:
    """Beber & Scacco's pair test: share of counts >= 10 whose last two digits repeat (00, 11 ...).

    Null hypothesis (textbook): the last two digits are independent and uniform, so 10 of
    100 pairs repeat: share 0.10; exact binomial test. Size-aware Monte Carlo as in
    :func:`lastc`.
    {parameters}
    References
    ----------
    Beber & Scacco (2012), Political Analysis 20(2), 211-234, section 3.

    Examples
    --------
    >>> round(repeated_digits(range(100, 200), n_boot=0).statistic, 4)  # every pair once
    0.1
    """
    c, s = _validate(counts, sizes, "repeated_digits")
    return _mean_test(
        "repeated_digits",
        _q_repeated,
        0.10,
        0.09,
        c,
        s,
        None,
        min_count,
        n_sims,
        n_boot,
        seed,
        f"counts >= {max(10, min_count)}",
        BEBER_SCACCO,
        textbook="binom",
        alternative=alternative,
    )


def adjacent_digits(
    counts,
    sizes=None,
    *,
    min_count: int = 10,
    n_sims: int = 999,
    n_boot: int = 999,
    seed=None,
    alternative: str = "two-sided",
) -> DigitTestResult:
    """Beber & Scacco's pair test: share of counts >= 10 whose last two digits are adjacent.

    Adjacent means |tens - units| = 1 without wrap-around (01, 10, 12, 21 ... 89, 98: 18 of
    100 pairs; 0 and 9 are not adjacent, which is what gives Beber & Scacco's 0.18).
    Null hypothesis (textbook): uniform independent last two digits, share 0.18; exact
    binomial test. Size-aware Monte Carlo as in :func:`lastc`.
    {parameters}
    References
    ----------
    Beber & Scacco (2012), Political Analysis 20(2), 211-234, section 3.

    Examples
    --------
    >>> round(adjacent_digits(range(100, 200), n_boot=0).statistic, 4)  # every pair once
    0.18
    """
    c, s = _validate(counts, sizes, "adjacent_digits")
    return _mean_test(
        "adjacent_digits",
        _q_adjacent,
        0.18,
        0.18 * 0.82,
        c,
        s,
        None,
        min_count,
        n_sims,
        n_boot,
        seed,
        f"counts >= {max(10, min_count)}",
        BEBER_SCACCO,
        textbook="binom",
        alternative=alternative,
    )


for _fn in (repeated_digits, adjacent_digits):
    if _fn.__doc__:  # None under python -OO
        _fn.__doc__ = _fn.__doc__.replace("    {parameters}\n", _PARAMETERS)
del _fn
