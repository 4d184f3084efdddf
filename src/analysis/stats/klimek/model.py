"""The fraud model of Klimek et al. (2012): honest peak, forward simulation, fingerprint distance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from analysis.stats.distributions import fingerprint
from analysis.stats.fraud_intensity import mean_stuffing_intensity
from analysis.stats.klimek.binning import BINNINGS, linear_binned

ALPHA_BOUNDS = (1.0, 6.0)
THETA_BOUNDS = (0.1, 1.0)


@dataclass(frozen=True)
class HonestParameters:
    """The honest model's station-rate distribution (Klimek et al. 2012, section "Model").

    Attributes
    ----------
    turnout_mean, turnout_sd : float
        Location and width of the normal turnout rates (truncated to [0, 1]).
    leader_mean, leader_sd : float
        Location and width of the normal leader-share rates (truncated to [0, 1]).
    correlation : float
        Honest turnout–share correlation ρ (0 in Klimek et al.).
    """

    turnout_mean: float
    turnout_sd: float
    leader_mean: float
    leader_sd: float
    correlation: float = 0.0


def _fingerprint(turnout, leader_share, bins: int, binning: str = "hard") -> np.ndarray:
    """Klimek et al.'s normalised fingerprint: ``bins`` × ``bins`` bins on [0, 1]².

    ``binning="hard"``: each station counts in the bin it falls in (:func:`linear_binned`
    for ``"linear"``). The rates lie in [0, 1] by construction; clipping keeps a rounding
    overshoot of t + x (1 - t) above 1 in the last bin instead of outside the fingerprint.
    """
    if binning == "linear":
        return linear_binned(turnout, leader_share, bins)
    if binning != "hard":
        raise ValueError(f"binning must be one of {BINNINGS}, got {binning!r}")
    return fingerprint(np.clip(turnout, 0.0, 1.0), np.clip(leader_share, 0.0, 1.0), bins=bins).density


def hellinger2(p: np.ndarray, q: np.ndarray) -> float:
    """Squared Hellinger distance ½ Σ (√p − √q)² between two normalised histograms.

    Parameters
    ----------
    p, q : numpy.ndarray
        Histograms of the same shape, each summing to 1.

    Returns
    -------
    float
        A number in [0, 1]: 0 for identical histograms, 1 for disjoint supports.

    References
    ----------
    Le Cam, L. & Yang, G. L. (2000). *Asymptotics in Statistics*, 2nd ed., Springer,
    section 3.2 (the Hellinger distance); Klimek et al. (2012) match fingerprints.

    Examples
    --------
    >>> hellinger2(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    1.0
    >>> hellinger2(np.array([0.5, 0.5]), np.array([0.5, 0.5]))
    0.0
    """
    return 0.5 * float(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2))


def honest_parameters(turnout, leader_share, registered=None, *, grid: int = 512) -> HonestParameters:
    """Mode and left half-normal width of turnout and leader share (Klimek et al.'s honest peak).

    Fraud only moves stations to the right, so the honest distribution is read from the
    left flank: the mode of a Gaussian kernel density estimate, and the root-mean-square
    distance from the mode of the stations left of it.

    Parameters
    ----------
    turnout, leader_share : array_like
        Station rates (fractions).
    registered : array_like, optional
        Registered voters; when given, the mean binomial variance of the left-flank stations
        is subtracted from the squared width, so the widths describe the station rates (the
        simulation adds the binomial noise back).
    grid : int
        Points on [0, 1] where the density estimate is evaluated.

    Returns
    -------
    HonestParameters
        Modes and widths (correlation 0).

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473, section "Fraud
    model" and SI (the honest parameters from the observed peak).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> h = honest_parameters(rng.normal(0.6, 0.05, 5000), rng.normal(0.4, 0.08, 5000))
    >>> round(h.turnout_mean, 1), round(h.leader_mean, 1)
    (0.6, 0.4)
    """
    t_all = np.asarray(turnout, dtype=float)
    v_all = np.asarray(leader_share, dtype=float)
    n = None if registered is None else np.asarray(registered, dtype=float)

    def left_peak(x, size):
        fin = np.isfinite(x)
        x = x[fin]
        if np.ptp(x) == 0:  # all rates equal (a unit of identical stations): no density to estimate
            return float(x[0]), 1e-3
        sample = x if x.size <= 20000 else x[:: max(1, x.size // 20000)]
        xs = np.linspace(0.0, 1.0, grid)
        mode = float(xs[np.argmax(_gaussian_kde_sums(sample, xs))])
        left = x < mode
        if left.sum() <= 10:
            return mode, max(float(np.std(x)), 1e-3)
        var = float(np.mean((x[left] - mode) ** 2))
        if size is not None:
            noise = float(np.mean(x[left] * (1 - x[left]) / size[fin][left]))
            var = max(var - noise, 0.25 * var)
        return mode, max(float(np.sqrt(var)), 1e-3)

    tm, ts = left_peak(t_all, n)
    vm, vs = left_peak(v_all, None if n is None else np.maximum(n * np.clip(t_all, 0.01, 1), 1))
    return HonestParameters(tm, ts, vm, vs)


def _gaussian_kde_sums(sample: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Unnormalised ``scipy.stats.gaussian_kde(sample)(points)`` of a 1-d sample (Scott's rule).

    The same kernel sums, bandwidth (the sample sd, ``ddof=1``, times n^(-1/5)) and mode as
    scipy's, without its constant factor; vectorised by numpy in blocks rather than scipy's
    point-by-point loop: the honest peak of every region of every refit is the Klimek fit's
    costliest step (issue 10, "Speed"). ``tests/test_klimek.py`` checks it against scipy.
    """
    bandwidth = float(np.sqrt(np.cov(sample, ddof=1))) * sample.size ** (-1.0 / 5.0)
    if not np.isfinite(bandwidth) or bandwidth <= 0:
        raise np.linalg.LinAlgError("singular data covariance: no kernel density estimate")
    scaled, at = sample / bandwidth, points / bandwidth
    out = np.empty(points.size)
    step = max(1, 100_000 // max(1, sample.size))  # blocks that stay in the CPU cache
    for start in range(0, points.size, step):
        z = np.subtract(at[start : start + step, None], scaled[None, :])
        np.multiply(z, z, out=z)
        np.multiply(z, -0.5, out=z)
        out[start : start + step] = np.exp(z, out=z).sum(axis=1)
    return out


@dataclass(frozen=True)
class _Draws:
    """Common random numbers for one fit (standard normals and uniforms per station copy)."""

    n: np.ndarray
    zt: np.ndarray
    et: np.ndarray
    zv: np.ndarray
    ev: np.ndarray
    u: np.ndarray
    z: np.ndarray
    source: np.ndarray | None = None  # index of the fitted station each copy simulates


def _draws(registered: np.ndarray, replicates: int, rng: np.random.Generator) -> _Draws:
    n = np.tile(registered.astype(float), replicates)
    size = n.size
    g = rng.standard_normal((5, size))
    source = np.tile(np.arange(registered.size), replicates)
    return _Draws(n, g[0], g[1], g[2], g[3], rng.random(size), np.abs(g[4]), source)


#: Fewest stations of an honest unit (region) whose own peak is estimated; smaller ones take the national one.
MIN_UNIT_STATIONS = 50


def honest_unit(stations, candidates=("county", "district", "region"), min_stations: int = MIN_UNIT_STATIONS):
    """The finest administrative unit whose typical member can pin its own honest peak.

    The first column of ``candidates`` (finest first) present in ``stations`` whose median unit
    has at least ``min_stations`` ordinary stations; None when none has.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table.
    candidates : sequence of str
        Grouping columns, finest first.
    min_stations : int
        Stations a median unit needs.

    Returns
    -------
    str or None

    Examples
    --------
    >>> import pandas as pd
    >>> st = pd.DataFrame({"region": ["a"] * 100 + ["b"] * 100, "district": [str(i // 10) for i in range(200)]})
    >>> honest_unit(st)
    'region'
    """
    ordinary = stations
    if "station_type" in stations:
        ordinary = stations[stations["station_type"].astype(str) == "ordinary"]
    for column in candidates:
        if column in ordinary and ordinary[column].notna().all():
            if ordinary.groupby(column, observed=True).size().median() >= min_stations:
                return column
    return None


def regional_honest(turnout, leader_share, registered, region, *, min_stations: int = MIN_UNIT_STATIONS) -> np.ndarray:
    """Klimek et al.'s honest peak (:func:`honest_parameters`) in every region separately.

    Parameters
    ----------
    turnout, leader_share, registered : array_like
        Station rates and electorates.
    region : array_like of int
        Region code of every station (0 … R − 1).
    min_stations : int
        Regions with fewer stations take the national parameters (a flank of a few stations
        does not pin a peak).

    Returns
    -------
    numpy.ndarray
        (R, 5): turnout mean and sd, leader-share mean and sd, correlation (0) per region code.

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473 (the honest peak);
    applied per region as the honest model's regional heterogeneity.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> t = np.r_[rng.normal(0.5, 0.05, 3000), rng.normal(0.7, 0.05, 3000)]
    >>> h = regional_honest(t, rng.normal(0.4, 0.05, 6000), np.full(6000, 1e9), np.repeat([0, 1], 3000))
    >>> np.round(h[:, 0], 1).tolist()
    [0.5, 0.7]
    """
    t, v = np.asarray(turnout, float), np.asarray(leader_share, float)
    reg, code = np.asarray(registered, float), np.asarray(region, np.int64)
    national = honest_parameters(t, v, reg)
    out = np.tile([national.turnout_mean, national.turnout_sd, national.leader_mean, national.leader_sd, 0.0],
                  (int(code.max()) + 1, 1))  # fmt: skip
    for c in np.flatnonzero(np.bincount(code) >= min_stations):  # one density estimate per region
        sel = code == c
        h = honest_parameters(t[sel], v[sel], reg[sel], grid=256)
        out[c, :4] = h.turnout_mean, h.turnout_sd, h.leader_mean, h.leader_sd
    return out


def intensity_floor(turnout_mean, turnout_sd, min_intensity: float) -> float:
    """Smallest fitted θ: incremental fraud stuffing on average ``min_intensity`` honest sds of turnout.

    A station with incremental fraud of intensity x ~ |N(0, θ)| gains x (1 − τ) in turnout, on
    average θ √(2/π) (1 − τ). Below about one honest sd σ_τ such fraud is a widening of the honest
    peak, not a second mode (a mixture of two normals of equal sd is unimodal while their means
    are less than two sds apart: Behboodian 1970), so fi and θ trade off along a "no fraud" ridge.
    The floor is θ_min = max(θ_lo, k √(π/2) · median(σ_τ / (1 − τ))), k = ``min_intensity``
    (:func:`analysis.stats.fraud_intensity.mean_stuffing_intensity`, shared with the finite
    mixture), the median taken over the stations (each with its unit's honest peak), θ_lo =
    THETA_BOUNDS[0], and at most THETA_BOUNDS[1] (where the floor reaches it, the fit holds θ
    there). The median, not the mean: σ_τ / (1 − τ) is unbounded as τ → 1, and units whose mode
    is near 100 % turnout (Russia 2011's Chechnya, Dagestan, …: the fraud itself) would set the
    floor of the whole country (the station mean is 1.9 there, the median 0.21).

    Parameters
    ----------
    turnout_mean, turnout_sd : array_like
        Honest turnout mode τ and width σ_τ: one national peak, or every station's unit's peak.
    min_intensity : float
        k, in honest sds of turnout (0: the box's floor θ_lo only).

    Returns
    -------
    float
        θ_min.

    References
    ----------
    Behboodian, J. (1970). On the modes of a mixture of two normal distributions.
    *Technometrics* 12(1), 131-139; the finite-mixture fit's floor (docs/fraud_mixture.md,
    "Count overdispersion and a minimum fraud intensity").

    Examples
    --------
    >>> round(intensity_floor(0.6, 0.05, 1.0), 4)  # √(π/2) · 0.05 / 0.4
    0.1567
    >>> intensity_floor(0.6, 0.05, 0.0)
    0.1
    """
    floor = mean_stuffing_intensity(turnout_mean, turnout_sd, min_intensity)
    return float(min(max(THETA_BOUNDS[0], floor), THETA_BOUNDS[1]))


def _truncated(mean: float, sd: float, u: np.ndarray) -> np.ndarray:
    """Quantile ``u`` of N(mean, sd) truncated to [0, 1]."""
    lo, hi = special.ndtr((0.0 - mean) / sd), special.ndtr((1.0 - mean) / sd)
    q = np.clip(lo + u * (hi - lo), 1e-300, 1 - 1e-16)
    return np.clip(mean + sd * special.ndtri(q), 0.0, 1.0)


def _honest_rates(d: _Draws, honest):
    """Honest station rates: normal truncated to [0, 1] by inverse CDF of the common uniforms (a
    Gaussian copula with correlation ρ couples turnout and share), then binomial noise in its
    normal approximation. ``honest`` = (t̄, σ_t, v̄, σ_v, ρ), scalars or one value per copy."""
    tm, ts, vm, vs, rho = honest
    t = _truncated(tm, ts, special.ndtr(d.zt))
    t = np.clip(t + np.sqrt(t * (1 - t) / d.n) * d.et, 0.0, 1.0)
    v = _truncated(vm, vs, special.ndtr(rho * d.zt + np.sqrt(1.0 - rho * rho) * d.zv))
    v = np.clip(v + np.sqrt(v * (1 - v) / np.maximum(d.n * t, 1.0)) * d.ev, 0.0, 1.0)
    return t, v


def _with_fraud(d: _Draws, t, v, fi: float, fe: float, alpha: float, theta: float):
    """Klimek et al.'s fraud applied to honest rates ``(t, v)`` of the copies (common uniforms)."""
    x = np.zeros_like(t)
    inc = d.u < fi
    ext = ~inc & (d.u < fi + fe)
    x[inc] = np.minimum(theta * d.z[inc], 1.0)
    x[ext] = np.clip(1.0 - theta * d.z[ext], 0.0, 1.0)
    # x ** alpha only where fraud touched a copy (0 elsewhere, as 0 ** alpha): the power is the
    # costliest step of an evaluation, and the fit evaluates this thousands of times
    x_alpha = np.zeros_like(t)
    touched = inc | ext
    x_alpha[touched] = x[touched] ** alpha
    stays = 1.0 - t
    t2 = t + x * stays
    won = t * v + x * stays + x_alpha * t * (1.0 - v)
    with np.errstate(divide="ignore", invalid="ignore"):
        v2 = np.where(t2 > 0, won / t2, v)
    return t2, np.clip(v2, 0.0, 1.0)


def _simulate(d: _Draws, honest, fi: float, fe: float, alpha: float, theta: float):
    return _with_fraud(d, *_honest_rates(d, honest), fi, fe, alpha, theta)


def _objective(params, d: _Draws, observed: np.ndarray, bins: int, honest_rates=None, theta_min=None,
               min_intensity: float = 0.0, binning: str = "hard") -> float:  # fmt: skip
    """Squared Hellinger distance of the model at ``params`` = (fi, fe, α, θ, t̄, σ_t, v̄, σ_v, ρ).

    ``honest_rates``: the copies' honest (turnout, share) where the honest parameters are held
    fixed (drawn once per fit), used in place of ``params[4:]``. ``theta_min``: θ's lower bound
    (default ``THETA_BOUNDS[0]``; with free honest parameters, the floor of ``min_intensity`` at them).
    ``observed`` must be binned as ``binning`` bins the simulated copies (:func:`_fingerprint`).
    """
    fi, fe, alpha, theta = params[:4]
    if theta_min is None:
        theta_min = THETA_BOUNDS[0]
        if honest_rates is None and min_intensity > 0 and 0 < params[4] < 1:
            theta_min = intensity_floor(params[4], params[5], min_intensity)
    if (
        fi < 0
        or fe < 0
        or fi + fe > 1
        or not ALPHA_BOUNDS[0] <= alpha <= ALPHA_BOUNDS[1]
        or not theta_min <= theta <= THETA_BOUNDS[1]
    ):
        return 1.0 + abs(min(fi, 0)) + abs(min(fe, 0)) + max(fi + fe - 1, 0)  # outside: worse than any fit
    if honest_rates is None:
        tm, ts, vm, vs, rho = params[4:9]
        if not (0 < tm < 1 and 0 < vm < 1 and 0.002 < ts < 0.5 and 0.002 < vs < 0.5 and -0.95 < rho < 0.95):
            return 1.0
        honest_rates = _honest_rates(d, (tm, ts, vm, vs, rho))
    t2, v2 = _with_fraud(d, *honest_rates, fi, fe, alpha, theta)
    return hellinger2(observed, _fingerprint(t2, v2, bins, binning))
