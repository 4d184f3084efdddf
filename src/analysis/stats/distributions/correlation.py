"""Turnout against leader share: correlation and the Sobyanin–Sukhovolsky regression test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.core.results import FlatResult
from analysis.stats.tails import check_alternative, normal_pvalue


@dataclass(frozen=True)
class CorrelationResult(FlatResult):
    """Correlation of turnout with leader share across stations.

    Attributes
    ----------
    statistic : float
        Pearson r, each station counted once.
    pvalue : float
        ``scipy.stats.pearsonr``'s test of H0: r = 0 (exact for independent, bivariate-normal
        stations; stations are neither, so indicative only).
    weighted : float
        Pearson r with weights (each voter counted once when the weights are station sizes).
    n : int
        Stations.
    """

    statistic: float
    pvalue: float
    weighted: float
    n: int


def weighted_pearson(x, y, w) -> float:
    """Weighted Pearson correlation cov_w(x, y) / sqrt(var_w(x) var_w(y)).

    Parameters
    ----------
    x, y : array_like
        The two variables.
    w : array_like
        Non-negative weights (weighted means, covariance and variances).

    Returns
    -------
    float
        The weighted correlation; with integer weights, the plain r of the data with each
        row repeated w times.

    References
    ----------
    Bland, J. M. & Altman, D. G. (1995). Calculating correlation coefficients with repeated
    observations: Part 2. *BMJ* 310, 633 (correlation of weighted means; a weight is a
    number of repeated observations).

    Examples
    --------
    >>> round(weighted_pearson([1, 2, 3], [1, 3, 2], [1, 1, 2]), 6)
    0.426401
    """
    x, y, w = (np.asarray(a, dtype=float) for a in (x, y, w))
    sw = w.sum()
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    dx, dy = x - mx, y - my
    return float((w * dx * dy).sum() / np.sqrt((w * dx * dx).sum() * (w * dy * dy).sum()))


def correlation(turnout, leader_share, *, weights=None, alternative: str = "two-sided") -> CorrelationResult:
    """Pearson and weighted correlation of turnout with leader share.

    Ballot stuffing raises turnout and the leader's share together, a positive correlation;
    honest elections can also correlate through regional heterogeneity, so this is a
    description. With tens of thousands of stations the p-value rejects for any material
    correlation: read the size of ``statistic``.

    Parameters
    ----------
    turnout, leader_share : array_like
        Fractions, one pair per station.
    weights : array_like, optional
        Weights of the weighted r (e.g. voters); None weighs stations equally.
    alternative : {"two-sided", "greater", "less"}
        Alternative of the p-value (H0: zero correlation), as ``scipy.stats.pearsonr``.

    Returns
    -------
    CorrelationResult
        r, its p-value and the weighted r.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 1;
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473 (turnout and the
    winner's share rise together under ballot stuffing).

    Examples
    --------
    >>> r = correlation([0.5, 0.6, 0.7, 0.8], [0.4, 0.5, 0.5, 0.7], weights=[1, 1, 1, 3])
    >>> round(r.statistic, 4), round(r.weighted, 4)
    (0.9234, 0.9517)
    """
    check_alternative(alternative)
    x = np.asarray(turnout, dtype=float)
    y = np.asarray(leader_share, dtype=float)
    r, p = stats.pearsonr(x, y, alternative=alternative)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    return CorrelationResult(statistic=float(r), pvalue=float(p), weighted=weighted_pearson(x, y, w), n=int(x.size))


@dataclass(frozen=True)
class SlopeResult(FlatResult):
    """Sobyanin–Sukhovolsky regression of leader votes / registered on turnout, with its test.

    Attributes
    ----------
    statistic : float
        (slope − null_slope) / se_test, standard normal under H0.
    pvalue : float
        Normal p-value of ``statistic`` for the requested alternative (default one-sided
        P(Z >= statistic)).
    slope : float
        Least-squares slope (pooled, or within regions: region fixed effects).
    intercept : float
        Pooled intercept (NaN within regions).
    se : float
        Sandwich standard error of the slope (HC1, or CR1 with clusters).
    null_slope : float
        The slope expected when the leader's share does not depend on turnout.
    se_test : float
        Standard error of slope − null_slope, both estimated from the same stations.
    statistic_vs_1, pvalue_vs_1 : float
        Test of H0: slope = 1 (one-sided by default: slope > 1) with ``se``.
    n, n_regions : int
        Stations and regions.
    n_clusters : int or None
        Clusters of the CR1 standard errors (None for HC1).
    covariance : str
        ``"HC1"`` or ``"CR1"``.
    """

    statistic: float
    pvalue: float
    slope: float
    intercept: float
    se: float
    null_slope: float
    se_test: float
    statistic_vs_1: float
    pvalue_vs_1: float
    n: int
    n_regions: int
    n_clusters: int | None
    covariance: str


def _sum_sq(values: np.ndarray, clusters_code: np.ndarray | None, n: int, n_params: int) -> tuple[float, int | None]:
    """Sandwich meat: HC1 (sum of squares · n / (n - k)) or CR1 (cluster sums, G / (G - 1) · (n - 1) / (n - k))."""
    if clusters_code is None:
        return float((values * values).sum() * n / (n - n_params)), None
    g = int(clusters_code.max()) + 1
    if g < 2:
        raise ValueError("sobyanin_sukhovolsky: cluster-robust SE needs at least 2 clusters")
    sums = np.bincount(clusters_code, weights=values, minlength=g)
    return float((sums * sums).sum() * g / (g - 1) * (n - 1) / (n - n_params)), g


def sobyanin_sukhovolsky(
    turnout,
    leader_votes,
    registered,
    *,
    weights=None,
    regions=None,
    clusters=None,
    null_slope: float | None = None,
    alternative: str = "greater",
) -> SlopeResult:
    """Regression of the leader's votes per registered voter on turnout, with a robust test.

    The model V_i / E_i = a + b · T_i (V leader votes, E electorate, T turnout). Writing
    V_i / E_i = s_i T_i with s_i the leader's share per ballot, b equals the mean share when
    s_i does not depend on T_i; b above it means the leader gains disproportionately from
    extra turnout, and b > 1 means more than every extra ballot.

    H0: s_i is independent of T_i (within each region when ``regions`` are given); H1
    (default ``alternative="greater"``): b exceeds the null slope. The null slope is
    b0 = Σ_g S_g ŝ_g / Σ_g S_g, with ŝ_g the (weighted) mean of y_i / T_i in region g and
    S_g = Σ w (T − T̄_g)²; then b − b0 = Σ_i c_i (s_i − ŝ_g) / Σ_g S_g exactly, with
    c_i = w_i [(T_i − T̄_g) T_i − S_g / W_g], and its variance is estimated from these
    influence terms (HC1, or cluster-robust CR1 with ``clusters``), so the estimation of b0
    is part of the test. Region fixed effects remove honest differences between regions,
    where high-turnout regions may simply favour the leader; pooled, such heterogeneity
    alone makes the test reject.

    Parameters
    ----------
    turnout, leader_votes, registered : array_like
        Per station: turnout (fraction, > 0 unless ``null_slope`` is given), the leader's
        votes and registered voters (> 0).
    weights : array_like, optional
        Regression weights (None: each station counts once).
    regions : array_like, optional
        Region labels: the slope is estimated within regions (fixed effects).
    clusters : array_like, optional
        Cluster labels for CR1 standard errors (HC1 without).
    null_slope : float, optional
        Fix b0 instead of estimating it.
    alternative : {"greater", "less", "two-sided"}
        Alternative of both tests (slope vs null slope, slope vs 1).

    Returns
    -------
    SlopeResult
        The test statistic and p-value first, then the slope and its standard errors.

    References
    ----------
    Sobyanin, A. A. & Sukhovolsky, V. G. (1995). *Elections and referendum of 12 December
    1993 in Russia* (Moscow), as formalised by Myagkov, Ordeshook & Shakin (2009), *The
    Forensics of Election Fraud*, ch. 3, eq. (3.1). White, H. (1980), *Econometrica* 48(4)
    (HC standard errors); Liang, K.-Y. & Zeger, S. L. (1986), *Biometrika* 73(1); Cameron,
    A. C. & Miller, D. L. (2015), *J. Human Resources* 50(2), eq. 11 (CR1).

    Examples
    --------
    >>> turnout = np.array([0.4, 0.5, 0.6, 0.7, 0.8])
    >>> share = np.array([0.5, 0.45, 0.55, 0.6, 0.7])
    >>> r = sobyanin_sukhovolsky(turnout, 1000 * turnout * share, np.full(5, 1000.0))
    >>> round(r.slope, 3), round(r.null_slope, 3), round(r.pvalue, 4), r.covariance
    (0.915, 0.56, 0.0744, 'HC1')
    """
    check_alternative(alternative)
    x = np.asarray(turnout, dtype=float)
    v = np.asarray(leader_votes, dtype=float)
    e = np.asarray(registered, dtype=float)
    if not (x.shape == v.shape == e.shape):
        raise ValueError("turnout, leader_votes and registered must have the same shape")
    if (e <= 0).any() or not np.isfinite(x).all() or not np.isfinite(v).all():
        raise ValueError("sobyanin_sukhovolsky: registered must be positive, turnout and votes finite")
    if null_slope is None and (x <= 0).any():
        raise ValueError("sobyanin_sukhovolsky: the estimated null slope needs turnout > 0 at every station")
    y = v / e
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    n = x.size
    if regions is None:
        rcode = np.zeros(n, dtype=np.int64)
    else:
        _, rcode = np.unique(np.asarray(regions).astype(str), return_inverse=True)
    n_regions = int(rcode.max()) + 1
    ccode = None if clusters is None else np.unique(np.asarray(clusters).astype(str), return_inverse=True)[1]

    w_g = np.bincount(rcode, weights=w, minlength=n_regions)
    x_bar = np.bincount(rcode, weights=w * x, minlength=n_regions) / w_g
    y_bar = np.bincount(rcode, weights=w * y, minlength=n_regions) / w_g
    dx = x - x_bar[rcode]
    sxx_g = np.bincount(rcode, weights=w * dx * dx, minlength=n_regions)
    sxx = sxx_g.sum()
    if not sxx > 0:
        raise ValueError("sobyanin_sukhovolsky: turnout does not vary (within regions)")
    slope = float((w * dx * (y - y_bar[rcode])).sum() / sxx)
    intercept = float(y_bar[0] - slope * x_bar[0]) if regions is None else float("nan")
    resid = y - y_bar[rcode] - slope * dx
    var, n_clusters = _sum_sq(w * dx * resid / sxx, ccode, n, n_regions + 1)
    se = float(np.sqrt(var))

    if null_slope is None:
        share = y / x
        s_g = np.bincount(rcode, weights=w * share, minlength=n_regions) / w_g
        null_slope = float((sxx_g * s_g).sum() / sxx)
        c = w * (dx * x - (sxx_g / w_g)[rcode])
        var_test, _ = _sum_sq(c * (share - s_g[rcode]) / sxx, ccode, n, n_regions)
        se_test = float(np.sqrt(var_test))
    else:
        se_test = se
    z = (slope - null_slope) / se_test
    z1 = (slope - 1.0) / se
    return SlopeResult(
        statistic=float(z),
        pvalue=normal_pvalue(z, alternative),
        slope=slope,
        intercept=intercept,
        se=se,
        null_slope=float(null_slope),
        se_test=se_test,
        statistic_vs_1=float(z1),
        pvalue_vs_1=normal_pvalue(z1, alternative),
        n=int(n),
        n_regions=n_regions,
        n_clusters=n_clusters,
        covariance="HC1" if ccode is None else "CR1",
    )
