"""The ``alternative=`` argument of the tests: which tail (or both) a p-value comes from.

As in :mod:`scipy.stats`: ``"greater"`` (H1: the statistic is larger than the null allows),
``"less"`` (smaller) or ``"two-sided"``. Where a test has no symmetric null distribution the
two-sided p-value is twice the smaller one-sided p-value, capped at 1 (the "doubling" rule).

References
----------
Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., Wiley, section 1.4.5 (two-sided
p-values for discrete distributions by doubling the smaller tail).
"""

from __future__ import annotations

from scipy import stats

ALTERNATIVES = ("two-sided", "greater", "less")


def check_alternative(alternative: str) -> str:
    """Return ``alternative`` if it is one of :data:`ALTERNATIVES`, else raise ``ValueError``.

    Parameters
    ----------
    alternative : str
        ``"two-sided"``, ``"greater"`` or ``"less"``.

    Returns
    -------
    str
        The same string.

    References
    ----------
    Lehmann, E. L. & Romano, J. P. (2005). *Testing Statistical Hypotheses*, 3rd ed.,
    Springer, ch. 3 (one-sided tests) and section 4.4 (two-sided tests).

    Examples
    --------
    >>> check_alternative("less")
    'less'
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative {alternative!r}: expected one of {ALTERNATIVES}")
    return alternative


def combine_tails(upper: float, lower: float, alternative: str) -> float:
    """The p-value for ``alternative`` from the upper tail P(T >= t) and the lower tail P(T <= t).

    Parameters
    ----------
    upper, lower : float
        Upper and lower tail probabilities of the observed statistic under the null.
    alternative : {"greater", "less", "two-sided"}
        ``"two-sided"`` doubles the smaller tail, capped at 1.

    Returns
    -------
    float
        The p-value.

    References
    ----------
    Agresti (2013), *Categorical Data Analysis*, section 1.4.5.

    Examples
    --------
    >>> combine_tails(0.01, 0.995, "two-sided")
    0.02
    >>> combine_tails(0.01, 0.995, "less")
    0.995
    """
    check_alternative(alternative)
    if alternative == "greater":
        return float(upper)
    if alternative == "less":
        return float(lower)
    return float(min(1.0, 2.0 * min(upper, lower)))


def normal_pvalue(z: float, alternative: str = "greater") -> float:
    """p-value of a standard-normal statistic ``z``.

    Parameters
    ----------
    z : float
        The statistic, standard normal under the null.
    alternative : {"greater", "less", "two-sided"}
        ``"greater"``: P(Z >= z); ``"less"``: P(Z <= z); ``"two-sided"``: P(|Z| >= |z|).

    Returns
    -------
    float
        The p-value.

    References
    ----------
    Lehmann, E. L. & Romano, J. P. (2005). *Testing Statistical Hypotheses*, 3rd ed.,
    Springer, ch. 3 (one-sided tests) and section 4.4 (two-sided tests).

    Examples
    --------
    >>> round(normal_pvalue(1.959963984540054, "two-sided"), 6)
    0.05
    """
    check_alternative(alternative)
    if alternative == "greater":
        return float(stats.norm.sf(z))
    if alternative == "less":
        return float(stats.norm.cdf(z))
    return float(2.0 * stats.norm.sf(abs(z)))
