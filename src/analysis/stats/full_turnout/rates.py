"""Rates among special stations (e.g. Kazakhstan's military units): exact intervals and comparisons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.core.results import FlatResult
from analysis.stats.tails import check_alternative


@dataclass(frozen=True)
class RateResult(FlatResult):
    """Proportion k / n with an exact Clopper–Pearson interval (an estimate, not a test).

    Attributes
    ----------
    rate : float
        k / n.
    ci_low, ci_high : float
        The exact interval.
    k, n : int
        Successes and trials.
    confidence : float
        Confidence level of the interval.
    """

    rate: float
    ci_low: float
    ci_high: float
    k: int
    n: int
    confidence: float


def rate_with_ci(k: int, n: int, *, confidence: float = 0.95) -> RateResult:
    """Proportion k / n with its exact (Clopper–Pearson) confidence interval.

    Parameters
    ----------
    k, n : int
        Successes and trials, 0 <= k <= n, n > 0.
    confidence : float
        Confidence level.

    Returns
    -------
    RateResult
        The rate and the interval that inverts two one-sided exact binomial tests
        (``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``).

    References
    ----------
    Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits
    illustrated in the case of the binomial. *Biometrika* 26(4), 404-413.

    Examples
    --------
    >>> r = rate_with_ci(0, 10)
    >>> r.rate, r.ci_low, round(r.ci_high, 4)
    (0.0, 0.0, 0.3085)
    """
    if not (0 <= k <= n and n > 0):
        raise ValueError(f"rate_with_ci: need 0 <= k <= n, n > 0 (got k={k}, n={n})")
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="exact")
    return RateResult(
        rate=k / n, ci_low=float(ci.low), ci_high=float(ci.high), k=int(k), n=int(n), confidence=confidence
    )


@dataclass(frozen=True)
class RateComparisonResult(FlatResult):
    """Fisher's exact test comparing rate 1 (k1/n1) with rate 2 (k2/n2).

    Attributes
    ----------
    statistic : float
        The sample odds ratio.
    pvalue : float
        Fisher's exact p-value (by default one-sided, H1: rate 1 > rate 2).
    rate1, rate2 : float
        k1 / n1 and k2 / n2.
    """

    statistic: float
    pvalue: float
    rate1: float
    rate2: float


def compare_rates(k1: int, n1: int, k2: int, n2: int, *, alternative: str = "greater") -> RateComparisonResult:
    """Fisher's exact test that rate k1/n1 differs from (by default: exceeds) rate k2/n2.

    H0: both groups share one rate (conditional on the margins, k1 is hypergeometric);
    H1 (``alternative="greater"``): group 1's rate is higher.

    Parameters
    ----------
    k1, n1, k2, n2 : int
        Successes and trials of the two groups.
    alternative : {"greater", "less", "two-sided"}
        As ``scipy.stats.fisher_exact``.

    Returns
    -------
    RateComparisonResult
        The odds ratio, the p-value and both rates.

    References
    ----------
    Fisher, R. A. (1922). On the interpretation of χ² from contingency tables, and the
    calculation of P. *J. R. Stat. Soc.* 85(1), 87-94; Fisher (1935), *The Design of
    Experiments*, section 12.

    Examples
    --------
    >>> r = compare_rates(9, 11, 219, 376)
    >>> round(r.pvalue, 4), round(r.rate1, 4)
    (0.1018, 0.8182)
    """
    check_alternative(alternative)
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    if (table < 0).any():
        raise ValueError("compare_rates: need 0 <= k <= n in both groups")
    res = stats.fisher_exact(table, alternative=alternative)
    return RateComparisonResult(statistic=float(res.statistic), pvalue=float(res.pvalue), rate1=k1 / n1, rate2=k2 / n2)
