"""Fitting the fraud model of Klimek et al. (2012) to an election's fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from analysis.core.results import FlatResult
from analysis.stats import measures
from analysis.stats.klimek.model import (
    ALPHA_BOUNDS,
    HonestParameters,
    _Draws,
    _draws,
    _fingerprint,
    _simulate,
    hellinger2,
    honest_parameters,
)


@dataclass(frozen=True)
class KlimekFitResult(FlatResult):
    """Fitted fraud-model parameters with percentile-bootstrap intervals (NaN without bootstrap).

    A descriptive model fit, not a test.

    Attributes
    ----------
    fi, fe, alpha : float
        Incremental and extreme fraud probabilities and the vote-transfer exponent α.
    fi_ci, fe_ci, alpha_ci : tuple of float
        Percentile-bootstrap intervals (NaN without bootstrap).
    distance : float
        Squared Hellinger distance between the observed and fitted fingerprints.
    honest : HonestParameters
        The honest parameters used (held fixed, or fitted with ``joint``).
    theta : float
        The width of the fraud intensity distribution (fixed, not fitted).
    n_stations, bins : int
        Stations fitted and fingerprint bins a side.
    observed, fitted : numpy.ndarray
        The normalised observed and fitted fingerprints (``bins`` × ``bins``).
    bootstrap : numpy.ndarray
        (3, n_bootstrap): the refits' fi, fe, α.
    """

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


def _objective(params, d: _Draws, observed: np.ndarray, theta: float, bins: int) -> float:
    fi, fe, alpha, tm, ts, vm, vs, rho = params
    if (
        fi < 0
        or fe < 0
        or fi + fe > 1
        or not ALPHA_BOUNDS[0] <= alpha <= ALPHA_BOUNDS[1]
        or not (0 < tm < 1 and 0 < vm < 1 and 0.002 < ts < 0.5 and 0.002 < vs < 0.5 and -0.95 < rho < 0.95)
    ):
        return 1.0 + abs(min(fi, 0)) + abs(min(fe, 0)) + max(fi + fe - 1, 0)  # outside: worse than any fit
    t2, v2 = _simulate(d, (tm, ts, vm, vs, rho), fi, fe, alpha, theta)
    return hellinger2(observed, _fingerprint(t2, v2, bins))


DEFAULT_GRID = {
    "fi": (0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8),
    "fe": (0.0, 0.003, 0.01, 0.03, 0.08),
}


def _nelder_mead(fun, x0, steps, maxiter):
    simplex = np.vstack([x0, x0 + np.diag(steps)])
    return optimize.minimize(
        fun,
        x0,
        method="Nelder-Mead",
        options={"initial_simplex": simplex, "xatol": 1e-4, "fatol": 1e-8, "maxiter": maxiter, "adaptive": True},
    )


_STEPS = np.array([0.1, 0.01, 0.5, 0.02, 0.01, 0.02, 0.01, 0.1])


def _fit_once(
    turnout,
    share,
    registered,
    theta,
    bins,
    d: _Draws,
    grid,
    start=None,
    maxiter=600,
    joint=False,
    fit_correlation=False,
):
    """One fit on given stations with given common random numbers ``d``.

    With ``start`` the profile search is skipped; in every case the final step is a Nelder–Mead
    from the start with ``maxiter`` iterations, so the point fit and each bootstrap refit are the
    same map (profile start → polish) applied to different observed fingerprints.
    """
    observed = _fingerprint(turnout, share, bins)
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
    x = np.r_[res.x, honest0[n_par - 3 :]][:8] if n_par < 8 else res.x.copy()
    x[0], x[1] = max(x[0], 0.0), max(x[1], 0.0)
    fitted = _fingerprint(*_simulate(d, x[3:], x[0], x[1], x[2], theta), bins)
    return x, float(res.fun), observed, fitted


def fit_klimek(
    registered,
    ballots_issued,
    leader_votes,
    ballots_counted,
    *,
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
) -> KlimekFitResult:
    """Estimate Klimek et al.'s ``fi``, ``fe`` and ``α`` from polling-station counts.

    The null "no fraud" corresponds to fi = fe = 0; the fit is a descriptive model, not a test.

    Parameters
    ----------
    registered, ballots_issued, leader_votes, ballots_counted : array_like
        Per station: registered voters, ballots issued (turnout numerator), the leader's
        votes and ballots counted (valid + invalid, the leader share's denominator).
    theta : float
        Width of the fraud intensity distribution (fixed, not fitted).
    bins : int
        Fingerprint bins a side.
    replicates : int, optional
        Simulated copies of each station (default: about 60,000 simulated stations).
    min_registered : int
        Stations with fewer registered voters, or missing values, are left out (their
        number is ``len(registered) - n_stations``).
    n_bootstrap : int
        Percentile-bootstrap resamples over stations (0: no intervals).
    confidence : float
        Confidence level of the intervals.
    seed : int
        Seed of the common random numbers, the subsample and the bootstrap.
    grid : dict, optional
        ``{"fi": (...), "fe": (...)}``: the profile search's starting grid (:data:`DEFAULT_GRID`).
    maxiter : int
        Nelder–Mead iterations of the final step (a quarter of them per profile point).
    joint : bool
        Fit the honest parameters together with the fraud ones (a variant: incremental fraud
        shifts the honest peak, but a free honest peak also absorbs fraud). By default they
        are held at the observed peak and left flank, as Klimek et al. did.
    fit_correlation : bool
        With ``joint``: also fit an honest turnout–share correlation.
    max_stations : int, optional
        Above this many stations a random subsample (seeded) is fitted.

    Returns
    -------
    KlimekFitResult
        The estimates, their intervals, the distance and both fingerprints.

    Notes
    -----
    Each bootstrap refit is the same procedure as the point fit: the same common random
    numbers (the simulated stations, drawn once from the fitted stations' electorates), the
    honest peak re-estimated from the resample, and a Nelder–Mead with the same ``maxiter``
    started from the point estimate; the point estimate is itself polished by that same step,
    so the bootstrap distribution measures the sampling variability of the observed
    fingerprint, not an offset between two optimizers or two sets of random draws.

    References
    ----------
    Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection of
    systematic election irregularities. *PNAS* 109(41), 16469-16473, section "Fraud model"
    and SI (model and fingerprint matching); Efron, B. & Tibshirani, R. J. (1993), *An
    Introduction to the Bootstrap*, ch. 13 (percentile intervals).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> registered = rng.integers(200, 1500, 400)
    >>> issued = rng.binomial(registered, 0.6)
    >>> fit = fit_klimek(registered, issued, rng.binomial(issued, 0.5), issued,
    ...                  replicates=2, maxiter=20, grid={"fi": (0.0,), "fe": (0.0,)})
    >>> fit.n_stations, fit.observed.shape, fit.fe < 0.05
    (400, (25, 25), True)
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
        raise ValueError(
            f"only {int(ok.sum())} stations with ≥ {min_registered} registered and ballots counted: too few to fit"
        )
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
    x, dist, observed, fitted = _fit_once(
        t, v, reg, theta, bins, d, grid, start=x, maxiter=maxiter, joint=joint, fit_correlation=fit_correlation
    )

    boot = np.full((3, 0), np.nan)
    cis = [(np.nan, np.nan)] * 3
    if n_bootstrap > 0:

        def refit(idx):
            idx = idx.astype(np.int64)
            xb = _fit_once(
                t[idx],
                v[idx],
                reg[idx],
                theta,
                bins,
                d,
                grid,
                start=x,
                maxiter=maxiter,
                joint=joint,
                fit_correlation=fit_correlation,
            )[0]
            return xb[:3]

        res = stats.bootstrap(
            (np.arange(t.size, dtype=float),),
            refit,
            vectorized=False,
            n_resamples=n_bootstrap,
            confidence_level=confidence,
            method="percentile",
            rng=seed,
        )
        boot = np.asarray(res.bootstrap_distribution)
        cis = [(float(lo), float(hi)) for lo, hi in zip(res.confidence_interval.low, res.confidence_interval.high)]
    honest = HonestParameters(*(float(a) for a in x[3:]))
    return KlimekFitResult(
        float(x[0]),
        float(x[1]),
        float(x[2]),
        cis[0],
        cis[1],
        cis[2],
        dist,
        honest,
        theta,
        int(reg.size),
        bins,
        observed,
        fitted,
        boot,
    )


def fit_tables(stations, votes, leader: str, **kwargs) -> KlimekFitResult:
    """:func:`fit_klimek` on canonical tables (ordinary stations only where types are known).

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical stations and long votes tables.
    leader : str
        The leader's name in ``votes["candidate"]``.
    **kwargs
        Keyword arguments of :func:`fit_klimek`.

    Returns
    -------
    KlimekFitResult
        The fit on the ordinary stations' ballots issued, leader votes and ballots counted.

    References
    ----------
    Klimek et al. (2012), *PNAS* 109(41), 16469-16473.

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 300
    >>> registered = rng.integers(200, 1500, n)
    >>> issued = rng.binomial(registered, 0.6)
    >>> lead = rng.binomial(issued, 0.5)
    >>> key = pd.DataFrame({"election": "x", "region": "r", "district": "d", "station": [str(i) for i in range(n)]})
    >>> stations = key.assign(registered=registered, ballots_issued=issued, valid=issued, invalid=0)
    >>> votes = pd.concat([key.assign(candidate="A", votes=lead), key.assign(candidate="B", votes=issued - lead)])
    >>> fit_tables(stations, votes, "A", replicates=2, maxiter=20, grid={"fi": (0.0,), "fe": (0.0,)}).n_stations
    300
    """

    lv = measures.leader_votes(stations, votes, leader)
    keep = np.ones(len(stations), bool)
    if "station_type" in stations:
        keep = (stations["station_type"].astype(str) == "ordinary").to_numpy()
    reg = measures._as_float(stations["registered"])
    iss = measures.turnout_numerator(stations, "issued")
    cnt = measures.ballots_counted(stations)
    return fit_klimek(reg[keep], iss[keep], lv[keep], cnt[keep], **kwargs)
