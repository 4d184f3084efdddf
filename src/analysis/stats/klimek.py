"""Fit of the fraud model of Klimek et al. (2012) to an election's fingerprint.

Source: P. Klimek, Y. Yegorov, R. Hanel, S. Thurner (2012), "Statistical detection of
systematic election irregularities", PNAS 109(41):16469-16473, section "Fraud model" and SI.
Honest stations have turnout ``t ~ N(t̄, σ_t)`` and leader share ``v ~ N(v̄, σ_v)`` (truncated to
[0, 1]) plus binomial noise. With probability ``fi`` a station commits incremental fraud of
intensity ``x ~ |N(0, θ)|``, with probability ``fe`` extreme fraud with ``x ~ 1 - |N(0, θ)|``:
a fraction ``x`` of the non-voters is counted for the leader (ballot stuffing) and a fraction
``x**α`` of the other candidates' votes is moved to the leader, so, per registered voter,

    t' = t + x (1 - t),    v' = [t v + x (1 - t) + x**α t (1 - v)] / t'.

Estimation (as Klimek et al., by matching the model's 2D turnout × leader-share histogram — the
election fingerprint — to the observed one, not only the 1D vote-share histogram):

1. The honest parameters come from the left flank of each distribution (fraud only moves
   stations to the right): ``t̄`` is the mode of a kernel density estimate and ``σ_t`` the
   root-mean-square distance from the mode of the stations left of it (half-normal), less the
   binomial variance; the same for ``v``. They are held fixed, as in Klimek et al. (the primary
   fit). Each station keeps its own electorate in the simulation.
2. ``(fi, fe, α)`` minimise the squared Hellinger distance between the observed and the
   simulated fingerprints; the simulation uses common random numbers (one fixed set of draws
   per station, ``replicates`` copies), so the objective is smooth enough for a coarse profile
   over ``fi`` followed by Nelder–Mead.
3. Uncertainty: percentile bootstrap over stations (``scipy.stats.bootstrap``); each resample
   re-estimates the honest peak and refits with the same random numbers and optimizer settings
   as the point fit (see :func:`fit_klimek`).

Variants (deviations from the paper, for sensitivity): ``joint=True`` fits the honest means and
widths together with the fraud parameters (incremental fraud shifts the observed peak, but a free
honest peak can also absorb incremental fraud — fi is weakly identified); ``fit_correlation``
adds an honest turnout–share correlation ``ρ`` (0 in Klimek et al.), which any urban/rural
difference produces in clean elections too.

The null "no fraud" corresponds to ``fi = fe = 0``; the fit is a descriptive model, not a test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats
from analysis.stats import measures

ALPHA_BOUNDS = (0.5, 6.0)


@dataclass(frozen=True)
class HonestParameters:
    turnout_mean: float
    turnout_sd: float
    leader_mean: float
    leader_sd: float
    correlation: float = 0.0


@dataclass(frozen=True)
class KlimekFit:
    """Fitted fraud-model parameters with percentile-bootstrap intervals (NaN without bootstrap)."""

    fi: float
    fe: float
    alpha: float
    fi_ci: tuple
    fe_ci: tuple
    alpha_ci: tuple
    distance: float
    honest: HonestParameters
    theta: float
    n_stations: int
    bins: int
    observed: np.ndarray
    fitted: np.ndarray
    bootstrap: np.ndarray  # (3, n_bootstrap): fi, fe, α

    @property
    def statistic(self) -> float:
        """The fitted distance (squared Hellinger) between observed and fitted fingerprints."""
        return self.distance


def fingerprint(turnout, leader_share, bins: int = 50, weights=None) -> np.ndarray:
    """Normalized 2D histogram (turnout rows × leader-share columns) on [0, 1]² with ``bins`` bins a side."""
    t = np.asarray(turnout, dtype=float)
    v = np.asarray(leader_share, dtype=float)
    ti = np.minimum((t * bins).astype(np.int64), bins - 1)
    vi = np.minimum((v * bins).astype(np.int64), bins - 1)
    h = np.bincount(ti * bins + vi, weights=weights, minlength=bins * bins).astype(float)
    return (h / h.sum()).reshape(bins, bins)


def hellinger2(p: np.ndarray, q: np.ndarray) -> float:
    """Squared Hellinger distance ½ Σ (√p − √q)² between two normalized histograms."""
    return 0.5 * float(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2))


def honest_parameters(turnout, leader_share, registered=None, grid: int = 512) -> HonestParameters:
    """Mode and left half-normal width of turnout and leader share (Klimek et al.'s honest peak).

    With ``registered`` given, the mean binomial variance of the left-flank stations is
    subtracted from the squared width, so the widths describe the station rates (the
    simulation adds the binomial noise back).
    """
    t_all = np.asarray(turnout, dtype=float)
    v_all = np.asarray(leader_share, dtype=float)
    n = None if registered is None else np.asarray(registered, dtype=float)

    def left_peak(x, size):
        fin = np.isfinite(x)
        x = x[fin]
        sample = x if x.size <= 20000 else x[:: max(1, x.size // 20000)]
        kde = stats.gaussian_kde(sample)
        xs = np.linspace(0.0, 1.0, grid)
        mode = float(xs[np.argmax(kde(xs))])
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


def _draws(registered: np.ndarray, replicates: int, rng: np.random.Generator) -> _Draws:
    n = np.tile(registered.astype(float), replicates)
    size = n.size
    g = rng.standard_normal((5, size))
    return _Draws(n, g[0], g[1], g[2], g[3], rng.random(size), np.abs(g[4]))


def _truncated(mean: float, sd: float, u: np.ndarray) -> np.ndarray:
    """Quantile ``u`` of N(mean, sd) truncated to [0, 1]."""
    lo, hi = special.ndtr((0.0 - mean) / sd), special.ndtr((1.0 - mean) / sd)
    q = np.clip(lo + u * (hi - lo), 1e-300, 1 - 1e-16)
    return np.clip(mean + sd * special.ndtri(q), 0.0, 1.0)


def _simulate(d: _Draws, honest, fi: float, fe: float, alpha: float, theta: float):
    tm, ts, vm, vs, rho = honest
    # Honest rates: normal truncated to [0, 1] by inverse CDF of the common uniforms (a
    # Gaussian copula with correlation ρ couples turnout and share), then binomial noise in its
    # normal approximation.
    t = _truncated(tm, ts, special.ndtr(d.zt))
    t = np.clip(t + np.sqrt(t * (1 - t) / d.n) * d.et, 0.0, 1.0)
    v = _truncated(vm, vs, special.ndtr(rho * d.zt + np.sqrt(1.0 - rho * rho) * d.zv))
    v = np.clip(v + np.sqrt(v * (1 - v) / np.maximum(d.n * t, 1.0)) * d.ev, 0.0, 1.0)
    x = np.zeros_like(t)
    inc = d.u < fi
    ext = (d.u >= fi) & (d.u < fi + fe)
    x[inc] = np.minimum(theta * d.z[inc], 1.0)
    x[ext] = np.clip(1.0 - theta * d.z[ext], 0.0, 1.0)
    t2 = t + x * (1.0 - t)
    won = t * v + x * (1.0 - t) + x**alpha * t * (1.0 - v)
    with np.errstate(divide="ignore", invalid="ignore"):
        v2 = np.where(t2 > 0, won / t2, v)
    return t2, np.clip(v2, 0.0, 1.0)


def _objective(params, d: _Draws, observed: np.ndarray, theta: float, bins: int) -> float:
    fi, fe, alpha, tm, ts, vm, vs, rho = params
    if (fi < 0 or fe < 0 or fi + fe > 1 or not ALPHA_BOUNDS[0] <= alpha <= ALPHA_BOUNDS[1]
            or not (0 < tm < 1 and 0 < vm < 1 and 0.002 < ts < 0.5 and 0.002 < vs < 0.5 and -0.95 < rho < 0.95)):
        return 1.0 + abs(min(fi, 0)) + abs(min(fe, 0)) + max(fi + fe - 1, 0)  # outside: worse than any fit
    t2, v2 = _simulate(d, (tm, ts, vm, vs, rho), fi, fe, alpha, theta)
    return hellinger2(observed, fingerprint(t2, v2, bins))


DEFAULT_GRID = {
    "fi": (0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8),
    "fe": (0.0, 0.003, 0.01, 0.03, 0.08),
}


def _nelder_mead(fun, x0, steps, maxiter):
    simplex = np.vstack([x0, x0 + np.diag(steps)])
    return optimize.minimize(fun, x0, method="Nelder-Mead",
                             options={"initial_simplex": simplex, "xatol": 1e-4, "fatol": 1e-8, "maxiter": maxiter, "adaptive": True})


_STEPS = np.array([0.1, 0.01, 0.5, 0.02, 0.01, 0.02, 0.01, 0.1])


def _fit_once(turnout, share, registered, theta, bins, d: _Draws, grid, start=None, maxiter=600, joint=False,
              fit_correlation=False):
    """One fit on given stations with given common random numbers ``d``.

    With ``start`` the profile search is skipped; in every case the final step is a Nelder–Mead
    from the start with ``maxiter`` iterations, so the point fit and each bootstrap refit are the
    same map (profile start → polish) applied to different observed fingerprints.
    """
    observed = fingerprint(turnout, share, bins)
    h = honest_parameters(turnout, share, registered)
    honest0 = np.array([h.turnout_mean, h.turnout_sd, h.leader_mean, h.leader_sd, 0.0])

    if joint and fit_correlation:
        def obj(p):
            return _objective(p, d, observed, theta, bins)
    elif joint:
        def obj(p):  # ρ = 0 as in Klimek et al.
            return _objective((*p[:7], 0.0), d, observed, theta, bins)
    else:
        def obj(p):  # Klimek et al.: honest parameters fixed at the observed peak
            return _objective((*p[:3], *honest0), d, observed, theta, bins)

    n_par = (8 if fit_correlation else 7) if joint else 3
    if start is None:
        # Profile over fi: for each fi of the grid, the best fe of a scan starts a Nelder–Mead
        # over the other parameters (with ``joint``: also the honest ones, since incremental
        # fraud shifts the honest peak); the best profile point starts the final Nelder–Mead.
        best, best_val = None, np.inf
        for fi in grid["fi"]:
            fe0 = min(grid["fe"], key=lambda fe: obj(np.r_[fi, fe, 2.0, honest0][:n_par]))
            x0 = np.r_[fe0, 2.0, honest0][: n_par - 1]
            res = _nelder_mead(lambda q, fi=fi: obj(np.r_[fi, q]), x0, _STEPS[1:n_par], maxiter // 4)
            if res.fun < best_val:
                best, best_val = np.r_[fi, res.x], res.fun
        start = best
    else:
        # A refit starts from the point estimate, with this resample's honest peak where the
        # honest parameters are not fitted.
        start = np.r_[np.asarray(start, dtype=float)[:3], honest0][:n_par] if not joint else start
    start = np.asarray(start, dtype=float)[:n_par]
    res = _nelder_mead(obj, start, _STEPS[:n_par], maxiter)
    x = np.r_[res.x, honest0[n_par - 3:]][:8] if n_par < 8 else res.x.copy()
    x[0], x[1] = max(x[0], 0.0), max(x[1], 0.0)
    fitted = fingerprint(*_simulate(d, x[3:], x[0], x[1], x[2], theta), bins)
    return x, float(res.fun), observed, fitted


def fit_klimek(
    registered,
    ballots_issued,
    leader_votes,
    ballots_counted,
    theta: float = 0.1,
    bins: int = 25,
    replicates: int | None = None,
    min_registered: int = 100,
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    grid: dict | None = None,
    maxiter: int = 600,
    joint: bool = False,
    fit_correlation: bool = False,
    max_stations: int | None = 30000,
) -> KlimekFit:
    """Estimate Klimek et al.'s ``fi``, ``fe`` and ``α`` from polling-station counts.

    Inputs are per-station arrays: registered voters, ballots issued (turnout numerator),
    the leader's votes and ballots counted (valid + invalid, the leader share's denominator).
    Stations with fewer than ``min_registered`` voters, or missing values, are left out
    (their number is ``len(registered) - n_stations``); above ``max_stations`` a random
    subsample (seeded) is fitted. ``theta`` (the width of the fraud intensity distribution) is
    fixed, not fitted. By default the honest parameters are held at the observed peak and left
    flank, as Klimek et al. did; ``joint=True`` fits them together with the fraud ones (a variant:
    incremental fraud shifts the honest peak, but a free honest peak also absorbs fraud);
    ``fit_correlation`` (with ``joint``) adds an honest turnout–share correlation.

    Intervals (``n_bootstrap > 0``): percentile bootstrap over stations (``scipy.stats.bootstrap``).
    Each refit is the same procedure as the point fit — the same common random numbers (the
    simulated stations, drawn once from the fitted stations' electorates), the honest peak
    re-estimated from the resample, and a Nelder–Mead with the same ``maxiter`` started from
    the point estimate — and the point estimate is itself polished by that same step, so the
    bootstrap distribution measures the sampling variability of the observed fingerprint, not an
    offset between two optimizers or two sets of random draws.
    """
    reg = np.asarray(registered, dtype=float)
    iss = np.asarray(ballots_issued, dtype=float)
    lv = np.asarray(leader_votes, dtype=float)
    cnt = np.asarray(ballots_counted, dtype=float)
    if not (reg.shape == iss.shape == lv.shape == cnt.shape):
        raise ValueError("registered, ballots_issued, leader_votes and ballots_counted must have the same length")
    if fit_correlation and not joint:
        raise ValueError("fit_correlation needs joint=True (the correlation is an honest parameter)")
    ok = np.isfinite(reg) & np.isfinite(iss) & np.isfinite(lv) & np.isfinite(cnt) & (reg >= min_registered) & (cnt > 0)
    if ok.sum() < 100:
        raise ValueError(f"only {int(ok.sum())} stations with ≥ {min_registered} registered and ballots counted: too few to fit")
    reg, t, v = reg[ok], np.clip(iss[ok] / reg[ok], 0, 1), np.clip(lv[ok] / cnt[ok], 0, 1)
    if max_stations is not None and reg.size > max_stations:
        # A random subsample keeps the fit affordable; 30,000 stations pin a 25×25 fingerprint.
        keep = np.sort(np.random.default_rng([seed, 1]).choice(reg.size, max_stations, replace=False))
        reg, t, v = reg[keep], t[keep], v[keep]
    grid = grid or DEFAULT_GRID
    if replicates is None:  # about 60,000 simulated stations per evaluation
        replicates = int(max(1, np.ceil(60_000 / reg.size)))
    # Common random numbers, drawn once and shared by the point fit and every bootstrap refit.
    d = _draws(reg, replicates, np.random.default_rng(seed))
    x = _fit_once(t, v, reg, theta, bins, d, grid, maxiter=maxiter, joint=joint, fit_correlation=fit_correlation)[0]
    # Polish with the refit step itself, so the estimate is what a refit of the full sample gives.
    x, dist, observed, fitted = _fit_once(t, v, reg, theta, bins, d, grid, start=x, maxiter=maxiter, joint=joint,
                                          fit_correlation=fit_correlation)

    boot = np.full((3, 0), np.nan)
    cis = [(np.nan, np.nan)] * 3
    if n_bootstrap > 0:
        def refit(idx):
            idx = idx.astype(np.int64)
            xb = _fit_once(t[idx], v[idx], reg[idx], theta, bins, d, grid, start=x, maxiter=maxiter, joint=joint,
                           fit_correlation=fit_correlation)[0]
            return xb[:3]

        res = stats.bootstrap((np.arange(t.size, dtype=float),), refit, vectorized=False, n_resamples=n_bootstrap,
                              confidence_level=confidence, method="percentile", rng=seed)
        boot = np.asarray(res.bootstrap_distribution)
        cis = [(float(lo), float(hi)) for lo, hi in zip(res.confidence_interval.low, res.confidence_interval.high)]
    honest = HonestParameters(*(float(a) for a in x[3:]))
    return KlimekFit(float(x[0]), float(x[1]), float(x[2]), cis[0], cis[1], cis[2], dist, honest, theta, int(reg.size),
                     bins, observed, fitted, boot)


def fit_tables(stations, votes, leader: str, **kwargs) -> KlimekFit:
    """:func:`fit_klimek` on canonical tables (ordinary stations only where types are known)."""

    lv = measures.leader_votes(stations, votes, leader)
    keep = np.ones(len(stations), bool)
    if "station_type" in stations:
        keep = (stations["station_type"].astype(str) == "ordinary").to_numpy()
    reg = measures._as_float(stations["registered"])
    iss = measures.turnout_numerator(stations, "issued")
    cnt = measures.ballots_counted(stations)
    return fit_klimek(reg[keep], iss[keep], lv[keep], cnt[keep], **kwargs)
