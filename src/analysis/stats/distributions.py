"""Turnout and leader-share distributions, election fingerprints and their summary statistics.

Definitions follow Kobak, Shpilkin & Pshenichnikov (2016, Annals of Applied Statistics 10(1),
section 2) through :mod:`analysis.stats.measures`: turnout = ballots issued / registered (official;
``turnout_definition="boxes"`` uses ballots found in the boxes), leader share = leader votes /
(valid + invalid). Values are fractions in the functions and percentage points in histogram
bins and figures.

Every function takes arrays and returns a frozen result; :func:`station_measures` is the one
bridge from the canonical ``stations`` table to those arrays, and it counts every station it
leaves out, by reason, instead of dropping it silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import diptest
import numpy as np
import pandas as pd
from scipy import stats



from analysis.stats import measures

DIPTEST_IMPLEMENTATION = (
    f"diptest {getattr(diptest, '__version__', '')} (PyPI `diptest`, a C++ port of Maechler's "
    "R package `diptest`: Hartigan & Hartigan 1985 algorithm, p-value by interpolating "
    "tabulated critical values of sqrt(n)*dip under the uniform null)"
).replace("diptest  (", "diptest (")

WEIGHTINGS = ("stations", "voters", "registered")
#: Smallest p-value the tabulated dip critical values resolve; the package returns 0 below it.
DIP_PVALUE_FLOOR = 1e-5
DEFAULT_THRESHOLDS = (0.80, 0.90, 0.95, 0.99)


# --------------------------------------------------------------------------------------------
# From the canonical table to arrays
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationMeasures:
    """Per-station arrays of the stations kept by :func:`station_measures`.

    ``turnout`` and ``leader_share`` are fractions; ``voters`` = valid + invalid ballots (the
    leader share's denominator); ``turnout_numerator`` = ballots issued or ballots in boxes.
    ``excluded`` counts the stations left out, by reason (a station is counted under the
    first reason that applies, in the order: station type, flag, registered missing,
    registered below the minimum, turnout, leader share).
    """

    turnout: np.ndarray
    leader_share: np.ndarray
    registered: np.ndarray
    turnout_numerator: np.ndarray
    voters: np.ndarray
    leader_votes: np.ndarray
    region: np.ndarray
    station_type: np.ndarray
    index: np.ndarray
    turnout_definition: str
    n_input: int
    excluded: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.turnout.size)


def station_measures(
    stations: pd.DataFrame,
    leader_votes,
    *,
    turnout_definition: str = "issued",
    min_registered: int = 0,
    station_types: Sequence[str] | None = None,
) -> StationMeasures:
    """Turnout, leader share and sizes of the stations passing the filters.

    ``leader_votes`` is aligned with the rows of ``stations`` (``analysis.data.datasets.leader_votes``).
    ``station_types`` keeps only those ``station_type`` values (None keeps all);
    ``min_registered`` keeps stations with at least that many registered voters.
    Stations with a non-empty ``flag``, or whose turnout or leader share is undefined
    (0 registered, no ballots counted, missing counts), are left out and counted in
    ``excluded``.
    """
    lv = np.asarray(leader_votes, dtype=float)
    if lv.shape != (len(stations),):
        raise ValueError(
            f"leader_votes has shape {lv.shape}, expected ({len(stations)},): one value per stations row"
        )
    turnout = measures.turnout(stations, turnout_definition)
    share = measures.leader_share(stations, lv)
    registered = measures._as_float(stations["registered"])
    numerator = measures.turnout_numerator(stations, turnout_definition)
    voters = measures.ballots_counted(stations)
    stype = (
        stations["station_type"].astype("string").fillna("unknown").to_numpy(dtype=object)
        if "station_type" in stations
        else np.full(len(stations), "unknown", dtype=object)
    )
    region = (
        stations["region"].astype("string").fillna("").to_numpy(dtype=object)
        if "region" in stations
        else np.full(len(stations), "", dtype=object)
    )
    keep = np.ones(len(stations), dtype=bool)
    excluded: dict[str, int] = {}

    def drop(reason: str, mask: np.ndarray) -> None:
        newly = keep & mask
        if newly.any():
            excluded[reason] = int(newly.sum())
        keep[newly] = False

    if station_types is not None:
        drop("station type not selected", ~np.isin(stype, list(station_types)))
    if "flag" in stations:
        drop("flagged row", stations["flag"].fillna("").astype(str).to_numpy() != "")
    drop("registered missing", np.isnan(registered))
    drop(f"registered < {min_registered}", registered < min_registered)
    drop("turnout undefined (registered 0 or counts missing)", ~np.isfinite(turnout))
    drop("leader share undefined (no ballots counted)", ~np.isfinite(share))
    return StationMeasures(
        turnout=turnout[keep],
        leader_share=share[keep],
        registered=registered[keep],
        turnout_numerator=numerator[keep],
        voters=voters[keep],
        leader_votes=lv[keep],
        region=region[keep],
        station_type=stype[keep],
        index=np.flatnonzero(keep),
        turnout_definition=turnout_definition,
        n_input=len(stations),
        excluded=dict(sorted(excluded.items())),
    )


def weights_for(m: StationMeasures, weighting: str) -> np.ndarray | None:
    """Histogram weights: None (each station counts 1), ``voters`` (valid + invalid), ``registered``."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting {weighting!r}: expected one of {WEIGHTINGS}")
    return None if weighting == "stations" else (m.voters if weighting == "voters" else m.registered)


# --------------------------------------------------------------------------------------------
# Histograms and fingerprints
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    """A 1-D histogram in percentage points.

    Bins are centred on multiples of ``resolution`` (edges at k*res - res/2), so integer
    percentages such as 100 % or 70 % fall in the middle of a bin rather than on an edge,
    where floating-point rounding would decide their bin (Kobak et al. 2016 use 0.1-point
    bins for the same reason). ``n_outside`` counts values beyond the range (e.g. turnout
    above 100 %), which are not in ``counts``.
    """

    variable: str
    edges: np.ndarray
    counts: np.ndarray
    resolution: float
    weighting: str
    n_values: int
    n_outside: int

    @property
    def centers(self) -> np.ndarray:
        return (self.edges[:-1] + self.edges[1:]) / 2


def _centred_edges(resolution: float, upper: float) -> np.ndarray:
    if not resolution > 0:
        raise ValueError(f"resolution must be positive, got {resolution}")
    k = int(round(upper / resolution))
    if not np.isclose(k * resolution, upper):
        raise ValueError(f"upper limit {upper} is not a multiple of resolution {resolution}")
    return (np.arange(k + 2) - 0.5) * resolution


def histogram(
    values,
    *,
    resolution: float = 0.5,
    weights=None,
    weighting: str = "stations",
    variable: str = "",
    upper: float = 100.0,
) -> Histogram:
    """Histogram of fractions ``values`` in percentage-point bins of width ``resolution``.

    Bins centred on 0, res, 2 res, …, ``upper`` (percent). ``weights`` None counts stations.
    """
    x = 100.0 * np.asarray(values, dtype=float)
    if np.isnan(x).any():
        raise ValueError(f"histogram of {variable or 'values'}: {int(np.isnan(x).sum())} NaN values")
    w = None if weights is None else np.asarray(weights, dtype=float)
    edges = _centred_edges(resolution, upper)
    # Rounding to the bin index (not comparing with float edges) keeps exact values such as
    # 99/100 in their bin whatever the floating-point representation.
    idx = np.floor(x / resolution + 0.5 + 1e-9).astype(np.int64)
    inside = (idx >= 0) & (idx < edges.size - 1)
    counts = np.bincount(idx[inside], weights=None if w is None else w[inside], minlength=edges.size - 1)
    return Histogram(
        variable=variable,
        edges=edges,
        counts=counts.astype(float),
        resolution=float(resolution),
        weighting=weighting if w is not None else "stations",
        n_values=int(x.size),
        n_outside=int((~inside).sum()),
    )


@dataclass(frozen=True)
class Fingerprint:
    """Klimek et al. (2012, PNAS 109(41):16469, Fig. 1) election fingerprint.

    ``counts[i, j]`` = weight of stations with turnout in x-bin i and leader share in y-bin j
    (percentage points, bins centred on multiples of ``resolution``).
    """

    x_edges: np.ndarray
    y_edges: np.ndarray
    counts: np.ndarray
    resolution: float
    weighting: str
    n_values: int
    n_outside: int


def fingerprint(turnout, leader_share, *, weights=None, weighting: str = "voters", resolution: float = 1.0) -> Fingerprint:
    """2-D histogram of turnout (x) against leader share (y), both in percent.

    Klimek, Yegorov, Hanel & Thurner (2012), "Statistical detection of systematic election
    irregularities", PNAS 109(41), Fig. 1: the joint distribution of turnout and winner's
    share; fraud shows as a smear towards, and a cluster at, the (100 %, 100 %) corner.
    Here weighted by ``weights`` (voters by default), for a log colour scale.
    """
    x = 100.0 * np.asarray(turnout, dtype=float)
    y = 100.0 * np.asarray(leader_share, dtype=float)
    if x.shape != y.shape:
        raise ValueError("turnout and leader_share must have the same shape")
    edges = _centred_edges(resolution, 100.0)
    nb = edges.size - 1
    ix = np.floor(x / resolution + 0.5 + 1e-9).astype(np.int64)
    iy = np.floor(y / resolution + 0.5 + 1e-9).astype(np.int64)
    inside = (ix >= 0) & (ix < nb) & (iy >= 0) & (iy < nb)
    w = None if weights is None else np.asarray(weights, dtype=float)[inside]
    flat = np.bincount(ix[inside] * nb + iy[inside], weights=w, minlength=nb * nb)
    return Fingerprint(
        x_edges=edges,
        y_edges=edges,
        counts=flat.reshape(nb, nb).astype(float),
        resolution=float(resolution),
        weighting=weighting if weights is not None else "stations",
        n_values=int(x.size),
        n_outside=int((~inside).sum()),
    )


# --------------------------------------------------------------------------------------------
# Summary statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShapeResult:
    """Sample skewness g1 = m3 / m2^(3/2) and (non-excess) kurtosis b2 = m4 / m2^2.

    Moment estimators with biased central moments m_k = mean((x - mean)^k), i.e.
    ``scipy.stats.skew(x, bias=True)`` and ``scipy.stats.kurtosis(x, fisher=False,
    bias=True)`` (Joanes & Gill 1998, "Comparing measures of sample skewness and kurtosis",
    The Statistician 47(1), g1 and b2). A normal distribution has g1 = 0 and b2 = 3.
    Myagkov, Ordeshook & Shakin (2009, The Forensics of Election Fraud, ch. 3) read a long
    right tail of turnout (positive skew, heavy kurtosis) as a sign of inflated turnout;
    these are descriptions, not tests.
    """

    skewness: float
    kurtosis: float
    n: int


def shape(values) -> ShapeResult:
    x = np.asarray(values, dtype=float)
    if x.size < 3 or np.isnan(x).any():
        raise ValueError(f"shape: need at least 3 finite values, got {x.size} ({int(np.isnan(x).sum())} NaN)")
    return ShapeResult(
        skewness=float(stats.skew(x, bias=True)),
        kurtosis=float(stats.kurtosis(x, fisher=False, bias=True)),
        n=int(x.size),
    )


@dataclass(frozen=True)
class DipResult:
    """Hartigan's dip test of unimodality.

    ``statistic`` = dip D_n (max distance between the empirical CDF and the closest
    unimodal CDF); ``pvalue`` under the uniform null, interpolated in a table whose
    smallest tail probability is 1e-5: 0 means p < :data:`DIP_PVALUE_FLOOR`.
    ``implementation`` names the code.
    """

    statistic: float
    pvalue: float
    n: int
    jittered: bool
    implementation: str = DIPTEST_IMPLEMENTATION


def dip_test(values, *, jitter_halfwidth=None, rng: np.random.Generator | None = None) -> DipResult:
    """Hartigan's dip test: H0 = the distribution of ``values`` is unimodal.

    Source: Hartigan & Hartigan (1985), "The dip test of unimodality", Annals of Statistics
    13(1):70–84; the p-value is computed against the uniform distribution, the least
    favourable unimodal null (their Theorem 5), from critical values of sqrt(n)·D_n tabulated
    up to n = 72,000 and used as asymptotic beyond (see :data:`DIPTEST_IMPLEMENTATION`).

    The test assumes a continuous distribution. Turnouts are ratios of small integers, so
    many values tie (1/2, 2/3, 100 %), and ties alone make the empirical CDF look
    multimodal. ``jitter_halfwidth`` (scalar or per-value array, e.g. 0.5 / registered)
    spreads each value uniformly over ±halfwidth with ``rng`` before the test, undoing the
    rounding to whole ballots; without it, discrete data reject too often.
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


@dataclass(frozen=True)
class CorrelationResult:
    """Correlation of turnout with leader share across stations.

    ``statistic`` = Pearson r (each station counts once) with ``pvalue`` from
    ``scipy.stats.pearsonr`` (H0: r = 0 for independent, bivariate-normal stations; stations
    are neither, so this p-value is indicative only); ``weighted`` = Pearson r with weights
    (weighted means, covariance and variances; each voter counts once when the weights are
    station sizes).
    """

    statistic: float
    pvalue: float
    weighted: float
    n: int


def weighted_pearson(x, y, w) -> float:
    """Weighted Pearson correlation: cov_w(x, y) / sqrt(var_w(x) var_w(y))."""
    x, y, w = (np.asarray(a, dtype=float) for a in (x, y, w))
    sw = w.sum()
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    dx, dy = x - mx, y - my
    return float((w * dx * dy).sum() / np.sqrt((w * dx * dx).sum() * (w * dy * dy).sum()))


def correlation(turnout, leader_share, weights=None) -> CorrelationResult:
    """Pearson and weighted correlation of turnout with leader share.

    Kobak et al. (2016, section 1) and Klimek et al. (2012) describe ballot stuffing as
    raising turnout and the leader's share together, a positive correlation; honest
    elections can also correlate through regional heterogeneity, so this is a description.
    ``pvalue`` is ``scipy.stats.pearsonr``'s two-sided test of H0: zero correlation (exact
    under bivariate normality; with tens of thousands of stations it rejects for any
    material correlation, so read the size of ``statistic``, not the p-value).
    """
    x = np.asarray(turnout, dtype=float)
    y = np.asarray(leader_share, dtype=float)
    r, p = stats.pearsonr(x, y)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    return CorrelationResult(statistic=float(r), pvalue=float(p), weighted=weighted_pearson(x, y, w), n=int(x.size))


@dataclass(frozen=True)
class SlopeResult:
    """Sobyanin–Sukhovolsky regression of leader votes / registered on turnout.

    ``slope``: least-squares slope of y = leader votes / registered on x = turnout (pooled,
    or within regions when ``regions`` were given: region fixed effects); ``intercept``:
    pooled intercept (NaN within regions). ``se``: sandwich standard error of the slope
    (HC1, or CR1 with ``clusters``). ``null_slope``: the slope expected when the leader's
    share does not depend on turnout. ``statistic`` = (slope - null_slope) / ``se_test``,
    ``pvalue`` = one-sided normal P(Z >= statistic); ``se_test`` is the standard error of
    slope - null_slope, both estimated from the same stations. ``pvalue_vs_1``: one-sided
    test of H0: slope <= 1 with ``se``.
    """

    slope: float
    intercept: float
    se: float
    null_slope: float
    se_test: float
    statistic: float
    pvalue: float
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
) -> SlopeResult:
    """Regression of the leader's votes per registered voter on turnout, with a robust test.

    Source: Sobyanin & Sukhovolsky (1995), "Elections and referendum of 12 December 1993 in
    Russia: analysis, results and forecasts" (Moscow), as formalised by Myagkov, Ordeshook &
    Shakin (2009), The Forensics of Election Fraud, Cambridge UP, ch. 3, eq. (3.1):
    V_i / E_i = a + b · T_i (V leader votes, E electorate, T turnout). Writing
    V_i / E_i = s_i T_i with s_i the leader's share per ballot, b equals the mean share
    when s_i does not depend on T_i; b above it means the leader gains disproportionately
    from extra turnout, and b > 1 means more than every extra ballot.

    H0 (``statistic``, ``pvalue``): s_i is independent of T_i (within each region when
    ``regions`` are given), against H1: b exceeds the null slope. The null slope is
    b0 = Σ_g S_g ŝ_g / Σ_g S_g, with ŝ_g the (weighted) mean of y_i / T_i in region g and
    S_g = Σ w (T - T̄_g)^2; then b - b0 = Σ_i c_i (s_i - ŝ_g) / Σ_g S_g exactly, with
    c_i = w_i [(T_i - T̄_g) T_i - S_g / W_g], and its variance is estimated from these
    influence terms (HC1, or cluster-robust CR1 with ``clusters``: Liang & Zeger 1986;
    Cameron & Miller 2015, J. Human Resources 50(2), eq. 11), so the estimation of b0 is
    part of the test. Region fixed effects (``regions``) remove honest differences between
    regions, where high-turnout regions may simply favour the leader; pooled (no regions),
    such heterogeneity alone makes the test reject. ``null_slope`` fixes b0 instead.
    ``se`` (the slope's own sandwich SE: White 1980, Econometrica 48(4)) serves the test
    of b <= 1 and confidence intervals.
    """
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
        slope=slope,
        intercept=intercept,
        se=se,
        null_slope=float(null_slope),
        se_test=se_test,
        statistic=float(z),
        pvalue=float(stats.norm.sf(z)),
        statistic_vs_1=float(z1),
        pvalue_vs_1=float(stats.norm.sf(z1)),
        n=int(n),
        n_regions=n_regions,
        n_clusters=n_clusters,
        covariance="HC1" if ccode is None else "CR1",
    )


@dataclass(frozen=True)
class HighTurnoutVotes:
    """Share of the leader's votes cast at stations with turnout >= each threshold.

    ``shares[k]`` = sum of leader votes at stations with turnout >= thresholds[k] / sum of
    all leader votes; ``station_shares[k]`` = fraction of stations there. A descriptive
    measure used by Shpilkin and Kobak et al. (2016, section 5) for Russian elections.
    """

    thresholds: tuple
    shares: tuple
    station_shares: tuple
    leader_votes_total: float

    def share_at(self, threshold: float) -> float:
        for t, s in zip(self.thresholds, self.shares):
            if np.isclose(t, threshold):
                return s
        raise KeyError(f"threshold {threshold} not computed (have {self.thresholds})")


def leader_votes_at_high_turnout(turnout, leader_votes, thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> HighTurnoutVotes:
    t = np.asarray(turnout, dtype=float)
    v = np.asarray(leader_votes, dtype=float)
    total = v.sum()
    if not total > 0:
        raise ValueError("leader_votes_at_high_turnout: the leader has no votes")
    shares = tuple(float(v[t >= c].sum() / total) for c in thresholds)
    station_shares = tuple(float((t >= c).mean()) for c in thresholds)
    return HighTurnoutVotes(tuple(float(c) for c in thresholds), shares, station_shares, float(total))


# --------------------------------------------------------------------------------------------
# Notebook helpers: loading and the summary of one election
# --------------------------------------------------------------------------------------------


def regional_leader_share(stations: pd.DataFrame, leader_votes, *, exclude_regions: Sequence[str] = ("",)) -> pd.DataFrame:
    """Leader's share of valid votes by region (``region``, ``leader_votes``, ``valid_votes``, ``leader_share_pct``).

    Valid votes, not valid + invalid, as the denominator, to match region-level sources
    (Kazakhstan 2011 publishes no regional invalid ballots). Rows without a valid count
    or a leader figure are left out and counted in the frame's ``attrs["n_rows_missing"]``.
    """
    valid = measures._as_float(stations["valid"])
    lv = np.asarray(leader_votes, dtype=float)
    region = stations["region"].astype("string").fillna("").to_numpy(dtype=object)
    ok = np.isfinite(valid) & np.isfinite(lv) & ~np.isin(region, list(exclude_regions))
    d = pd.DataFrame({"region": region[ok], "leader_votes": lv[ok], "valid_votes": valid[ok]})
    g = d.groupby("region", sort=True).sum().reset_index()
    g["leader_share_pct"] = 100 * g["leader_votes"] / g["valid_votes"]
    g.attrs["n_rows_missing"] = int((~(np.isfinite(valid) & np.isfinite(lv))).sum())
    return g


def summary_statistics(
    m: StationMeasures,
    *,
    rng: np.random.Generator,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    jitter: bool = True,
    cluster_by_region: bool = True,
) -> dict:
    """The flat key numbers of notebook 03 for one election (station-counted unless noted).

    dip tests on turnout / leader share (jittered by half a ballot when ``jitter``), shape,
    correlations (Pearson; voters-weighted), the Sobyanin–Sukhovolsky slope, pooled (the
    classic figure) and within regions (region fixed effects, the honest test), both
    cluster-robust by region when ``cluster_by_region`` and there are >= 2 regions, and the
    share of the leader's votes at turnout >= each threshold.
    """
    dip_t = dip_test(m.turnout, jitter_halfwidth=0.5 / m.registered if jitter else None, rng=rng)
    dip_l = dip_test(m.leader_share, jitter_halfwidth=0.5 / m.voters if jitter else None, rng=rng)
    sh_t, sh_l = shape(m.turnout), shape(m.leader_share)
    corr = correlation(m.turnout, m.leader_share, weights=m.voters)
    by_region = np.unique(m.region).size >= 2
    clusters = m.region if cluster_by_region and by_region else None
    pooled = sobyanin_sukhovolsky(m.turnout, m.leader_votes, m.registered, clusters=clusters)
    within = sobyanin_sukhovolsky(m.turnout, m.leader_votes, m.registered, regions=m.region, clusters=clusters) if by_region else pooled
    high = leader_votes_at_high_turnout(m.turnout, m.leader_votes, thresholds)
    out = {
        "n_stations": m.n,
        "n_stations_excluded": m.n_input - m.n,
        "turnout_definition": m.turnout_definition,
        "dip_turnout": dip_t.statistic,
        "dip_turnout_pvalue": dip_t.pvalue,
        "dip_leader": dip_l.statistic,
        "dip_leader_pvalue": dip_l.pvalue,
        "skew_turnout": sh_t.skewness,
        "kurt_turnout": sh_t.kurtosis,
        "skew_leader": sh_l.skewness,
        "kurt_leader": sh_l.kurtosis,
        "corr_turnout_leader": corr.statistic,
        "corr_turnout_leader_weighted": corr.weighted,
        "sobyanin_slope": pooled.slope,
        "sobyanin_slope_se": pooled.se,
        "sobyanin_slope_covariance": pooled.covariance,
        "sobyanin_null_slope": pooled.null_slope,
        "sobyanin_pvalue": pooled.pvalue,
        "sobyanin_pvalue_vs_1": pooled.pvalue_vs_1,
        "sobyanin_within_slope": within.slope,
        "sobyanin_within_slope_se": within.se,
        "sobyanin_within_null_slope": within.null_slope,
        "sobyanin_within_pvalue": within.pvalue,
    }
    for t, share in zip(high.thresholds, high.shares):
        out[f"leader_votes_share_turnout_ge_{round(100 * t)}"] = share
    return out


# --------------------------------------------------------------------------------------------
# Calibration registry
# --------------------------------------------------------------------------------------------


def _measures_for_calibration(stations, votes, leader) -> StationMeasures:
    return station_measures(stations, measures.leader_votes(stations, votes, leader))


def _cal_dip(variable: str) -> Callable:
    def fn(stations, votes, leader, rng) -> float:
        m = _measures_for_calibration(stations, votes, leader)
        values = m.turnout if variable == "turnout" else m.leader_share
        half = 0.5 / (m.registered if variable == "turnout" else m.voters)
        return dip_test(values, jitter_halfwidth=half, rng=rng).pvalue

    return fn


def _cal_slope(stations, votes, leader, rng) -> float:
    m = _measures_for_calibration(stations, votes, leader)
    if np.unique(m.region).size >= 2:
        return sobyanin_sukhovolsky(m.turnout, m.leader_votes, m.registered, regions=m.region, clusters=m.region).pvalue
    return sobyanin_sukhovolsky(m.turnout, m.leader_votes, m.registered).pvalue


def calibration_tests() -> dict[str, Callable]:
    """{test name: fn(stations, votes, leader, rng) -> p-value} for ``analysis.synthetic.calibration``.

    ``dip_turnout`` / ``dip_leader``: Hartigan's dip test on jittered turnout / leader share;
    ``sobyanin_slope``: one-sided test of slope > null slope within regions (region fixed
    effects, cluster-robust by region) where there are >= 2 regions, pooled HC1 otherwise.
    """
    return {
        "dip_leader": _cal_dip("leader_share"),
        "dip_turnout": _cal_dip("turnout"),
        "sobyanin_slope": _cal_slope,
    }
