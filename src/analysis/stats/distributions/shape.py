"""The shape of a distribution: skewness, kurtosis and Hartigan's dip test of unimodality."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import diptest
import numpy as np
from scipy import stats

from analysis.core.results import FlatResult

DIPTEST_IMPLEMENTATION = (
    f"diptest {getattr(diptest, '__version__', '')} (PyPI `diptest`, a C++ port of Maechler's "
    "R package `diptest`: Hartigan & Hartigan 1985 algorithm, p-value by interpolating "
    "tabulated critical values of sqrt(n)*dip under the uniform null)"
).replace("diptest  (", "diptest (")

#: Smallest p-value the tabulated dip critical values resolve; the package returns 0 below it.
DIP_PVALUE_FLOOR = 1e-5


@dataclass(frozen=True)
class ShapeResult(FlatResult):
    """Sample skewness g1 and (non-excess) kurtosis b2; a description, not a test.

    Attributes
    ----------
    skewness : float
        g1 = m3 / m2^(3/2), with biased central moments m_k = mean((x - mean)^k).
    kurtosis : float
        b2 = m4 / m2^2 (3 for a normal distribution).
    n : int
        Values used.
    """

    skewness: float
    kurtosis: float
    n: int


def shape(values) -> ShapeResult:
    """Skewness g1 and kurtosis b2 of ``values`` (moment estimators).

    Parameters
    ----------
    values : array_like
        At least 3 finite values.

    Returns
    -------
    ShapeResult
        ``scipy.stats.skew(x, bias=True)`` and ``scipy.stats.kurtosis(x, fisher=False, bias=True)``.
        A normal distribution has g1 = 0 and b2 = 3.

    References
    ----------
    Joanes, D. N. & Gill, C. A. (1998). Comparing measures of sample skewness and kurtosis.
    *The Statistician* 47(1), 183-189 (g1 and b2). Myagkov, M., Ordeshook, P. C. & Shakin, D.
    (2009). *The Forensics of Election Fraud*, Cambridge UP, ch. 3: a long right tail of
    turnout (positive skew, heavy kurtosis) as a sign of inflated turnout.

    Examples
    --------
    >>> r = shape([1, 2, 3, 10])
    >>> round(r.skewness, 6), round(r.kurtosis, 6)
    (1.018234, 2.2304)
    """
    x = np.asarray(values, dtype=float)
    if x.size < 3 or np.isnan(x).any():
        raise ValueError(f"shape: need at least 3 finite values, got {x.size} ({int(np.isnan(x).sum())} NaN)")
    return ShapeResult(
        skewness=float(stats.skew(x, bias=True)),
        kurtosis=float(stats.kurtosis(x, fisher=False, bias=True)),
        n=int(x.size),
    )


@dataclass(frozen=True)
class DipResult(FlatResult):
    """Hartigan's dip test of unimodality.

    Attributes
    ----------
    statistic : float
        The dip D_n: the largest distance between the empirical CDF and the closest unimodal CDF.
    pvalue : float
        Under the uniform null, interpolated in a table whose smallest tail probability is
        1e-5: 0 means p < :data:`DIP_PVALUE_FLOOR`.
    n : int
        Values used.
    jittered : bool
        Whether the values were jittered before the test.
    implementation : str
        The code that computed it (:data:`DIPTEST_IMPLEMENTATION`).
    """

    statistic: float
    pvalue: float
    n: int
    jittered: bool
    implementation: str = DIPTEST_IMPLEMENTATION


def dip_test(values, *, jitter_halfwidth=None, rng: np.random.Generator | None = None) -> DipResult:
    """Hartigan's dip test: H0 = the distribution of ``values`` is unimodal.

    The p-value is computed against the uniform distribution, the least favourable unimodal
    null, from critical values of sqrt(n)·D_n tabulated up to n = 72,000 and used as
    asymptotic beyond (see :data:`DIPTEST_IMPLEMENTATION`). H1: more than one mode.

    Parameters
    ----------
    values : array_like
        The sample (NaN is an error).
    jitter_halfwidth : float or array_like, optional
        Spread each value uniformly over ±halfwidth (scalar or one per value, e.g.
        0.5 / registered) before the test. The test assumes a continuous distribution;
        turnouts are ratios of small integers, so many values tie (1/2, 2/3, 100 %) and ties
        alone make the empirical CDF look multimodal. Jittering undoes the rounding to whole
        ballots; without it, discrete data reject too often.
    rng : numpy.random.Generator, optional
        The jitter's random numbers (required with ``jitter_halfwidth``).

    Returns
    -------
    DipResult
        The dip and its p-value.

    References
    ----------
    Hartigan, J. A. & Hartigan, P. M. (1985). The dip test of unimodality. *Annals of
    Statistics* 13(1), 70-84, section 2 (definition) and Theorem 5 (uniform null).

    Examples
    --------
    >>> dip_test([0.0, 0.0, 1.0, 1.0]).statistic
    0.25
    >>> r = dip_test(np.linspace(0, 1, 200))
    >>> r.pvalue > 0.9
    True
    """
    x = np.asarray(values, dtype=float)
    if np.isnan(x).any():
        raise ValueError(f"dip_test: {int(np.isnan(x).sum())} NaN values")
    jittered = jitter_halfwidth is not None
    if jittered:
        if rng is None:
            raise ValueError("dip_test: jittering needs an rng (numpy.random.default_rng(seed))")
        h = np.broadcast_to(np.asarray(jitter_halfwidth, dtype=float), x.shape)
        x = x + rng.uniform(-1.0, 1.0, size=x.shape) * h
    with warnings.catch_warnings():
        # Above n = 72,000 the package uses the largest tabulated n as asymptotic (it warns);
        # sqrt(n)·D_n converges in law, so this is the documented intended use.
        warnings.filterwarnings("ignore", message="Sample size exceeds the maximum limit")
        dip, pval = diptest.diptest(x)
    return DipResult(statistic=float(dip), pvalue=float(pval), n=int(x.size), jittered=jittered)
