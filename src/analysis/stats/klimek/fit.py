"""Fitting the fraud model of Klimek et al. (2012) to an election's fingerprint."""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from analysis.stats import measures
from analysis.stats.klimek.interval import bootstrap_interval
from analysis.stats.klimek.model import (
    ALPHA_BOUNDS,
    MIN_UNIT_STATIONS,
    THETA_BOUNDS,
    HonestParameters,
    _Draws,
    _draws,
    _fingerprint,
    _honest_rates,
    _objective,
    _with_fraud,
    honest_parameters,
    intensity_floor,
    regional_honest,
)
from analysis.stats.klimek.result import KlimekFitResult

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


_STEPS = np.array([0.1, 0.01, 0.5, 0.1, 0.02, 0.01, 0.02, 0.01, 0.1])


def _fit_once(turnout, share, registered, region, d: _Draws, grid, *, theta, fit_theta, joint, fit_correlation,
              bins, maxiter, min_intensity=0.0, sim_region=None, start=None, binning="hard"):  # fmt: skip
    """One fit on given stations with given common random numbers ``d``.

    The free parameters are (fi, fe, α), θ with ``fit_theta``, and the honest ones with
    ``joint``; the others are held (θ at ``theta``, the honest peak at the observed one —
    national, or per region where ``region`` codes are given). With ``start`` the profile search
    is skipped; in every case the final step is a Nelder–Mead from the start with ``maxiter``
    iterations, so the point fit and each bootstrap refit are the same map (profile start →
    polish) applied to different observed fingerprints. A fitted θ is bounded below by
    :func:`intensity_floor` of these stations' honest peak(s) (of the free peak with ``joint``).
    Returns the observed and fitted fingerprints hard-binned (the figure's), whatever ``binning`` fits.
    """
    observed = _fingerprint(turnout, share, bins, binning)
    h = honest_parameters(turnout, share, registered)
    honest0 = np.array([h.turnout_mean, h.turnout_sd, h.leader_mean, h.leader_sd, 0.0])
    fixed = rates = None
    if region is not None:
        table = regional_honest(turnout, share, registered, region, min_stations=MIN_UNIT_STATIONS)
        # Each simulated copy takes the peak (estimated on these stations) of its region.
        fixed = tuple(table[sim_region].T)
    elif not joint:
        fixed = tuple(honest0)
    k = min_intensity if fit_theta else 0.0  # a fixed θ is held where it is put
    theta_min = None  # with joint and k > 0 the objective takes the floor at the free honest peak
    if fixed is not None:
        rates = _honest_rates(d, fixed)
        peaks = honest0[:2] if region is None else table[region, :2].T  # each station's peak
        theta_min = intensity_floor(*peaks, k)

    def floor_at(x):  # θ's floor at the honest parameters x[4:6] (fixed, or free with joint)
        return theta_min if theta_min is not None else intensity_floor(x[4], x[5], k)

    # A floor at θ's ceiling leaves θ one value: out of the simplex, whose θ vertex would lie
    # outside the bounds and make every move that changes θ infeasible (ru2024: fi never moved).
    theta_free = fit_theta and not (theta_min is not None and theta_min >= THETA_BOUNDS[1])
    free = np.r_[True, True, True, theta_free, [joint] * 4, joint and fit_correlation]
    full = np.r_[0.0, 0.0, 2.0, theta, honest0]
    full[3] = max(theta, floor_at(full))

    def obj(p):
        x = full.copy()
        x[free] = p
        return _objective(x, d, observed, bins, rates, theta_min, k, binning)

    steps = _STEPS[free]
    if start is None:
        # Profile over fi: for each fi of the grid, the best fe of a scan starts a Nelder–Mead
        # over the other free parameters; the best profile point starts the final Nelder–Mead.
        best, best_val = None, np.inf
        for fi in grid["fi"]:
            x0 = full[free].copy()
            x0[0] = fi
            x0[1] = min(grid["fe"], key=lambda fe, x0=x0: obj(np.r_[fi, fe, x0[2:]]))
            res = _nelder_mead(lambda q, fi=fi: obj(np.r_[fi, q]), x0[1:], steps[1:], maxiter // 4)
            if res.fun < best_val:
                best, best_val = np.r_[fi, res.x], res.fun
        start = best
    else:
        # A refit starts from the point estimate (fraud parameters; the honest ones of the
        # resample's own peak where they are not fitted).
        start = np.asarray(start, dtype=float).copy()
        if fit_theta:  # this resample's floor
            start[3] = min(max(start[3], floor_at(start)), THETA_BOUNDS[1])
        start = start[free]
    res = _nelder_mead(obj, start, steps, maxiter)
    x = full.copy()
    x[free] = res.x
    x[0], x[1] = max(x[0], 0.0), max(x[1], 0.0)
    if rates is None:
        rates = _honest_rates(d, tuple(x[4:]))
    fitted = _fingerprint(*_with_fraud(d, *rates, *x[:4]), bins)
    return x, float(res.fun), _fingerprint(turnout, share, bins), fitted, floor_at(x)


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
    fit_theta: bool = False,
    regions=None,
    max_stations: int | None = 30000,
    min_intensity: float = 1.0,
    binning: str = "hard",
) -> KlimekFitResult:
    """Estimate Klimek et al.'s ``fi``, ``fe`` and ``α`` from polling-station counts.

    The null "no fraud" corresponds to fi = fe = 0; the fit is a descriptive model, not a test.

    Parameters
    ----------
    registered, ballots_issued, leader_votes, ballots_counted : array_like
        Per station: registered voters, ballots issued (turnout numerator), the leader's
        votes and ballots counted (valid + invalid, the leader share's denominator).
    theta : float
        Width of the fraud intensity distribution (the start value with ``fit_theta``).
    bins : int
        Fingerprint bins a side.
    replicates : int, optional
        Simulated copies of each station (default: about 60,000 simulated stations).
    min_registered : int
        Stations with fewer registered voters, or missing values, are left out (their
        number is ``len(registered) - n_stations``).
    n_bootstrap : int
        Bootstrap resamples over stations (0: no intervals); see Notes for the interval.
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
    fit_theta : bool
        Fit θ too (Klimek et al. fix it): a wide intensity distribution is what draws the comet
        from the honest peak to the (100 %, 100 %) corner.
    regions : array_like, optional
        Region (or other unit) of every station: the honest peak is then estimated in every
        region (regions of fewer than :data:`MIN_UNIT_STATIONS` fitted stations take the
        national one) and held fixed — the honest model's between-region heterogeneity, which
        one national peak attributes to fraud. Not with ``joint``.
    max_stations : int, optional
        Above this many stations a random subsample (seeded) is fitted.
    min_intensity : float
        With ``fit_theta``: θ's lower bound is :func:`~analysis.stats.klimek.model.intensity_floor`
        with k = ``min_intensity`` (incremental fraud stuffing on average at least k honest sds of
        turnout; the median over stations of per-unit peaks), not below ``THETA_BOUNDS[0]``. 0:
        that bound only. See Notes.
    binning : {"linear", "hard"}
        How the fitted distance bins stations: ``"linear"`` shares each between the four nearest
        bin centres (:func:`~analysis.stats.klimek.binning.linear_binned`; observed and simulated
        alike), so the distance is continuous in the fraud parameters; ``"hard"``: one bin each
        (a piecewise-constant distance). The result's fingerprints are hard-binned either way.
        Hard by default: linear binning cost 4-5 times the CPU and left fi's bias as it was
        (docs/fraud_estimators.md, "Linear binning, tried").

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

    The interval (:func:`~analysis.stats.klimek.interval.bootstrap_interval`) is the refits'
    percentile interval, one-sided ``[0, q]`` where fi or fe is on the boundary 0 (below one
    station's worth, ``1 / n_stations``: Self & Liang 1987, Andrews 2000) and extended to the
    estimate where the refits lie on one side of it (refits in another local minimum; issue 11):
    it holds the estimate by construction. It does not see the fit's own bias: incremental
    fraud of low intensity moves the observed mode taken as the honest peak (national or per
    unit), so fi is underestimated and its interval under-covers there (docs/fraud_estimators.md).

    The floor on a fitted θ (``min_intensity``) removes a "no fraud" ridge: with θ ≈ 0.1, fraud
    at a fifth of the stations stuffs a third of an honest sd, a right skew of the honest peak that a
    noisy left-flank width cannot tell from honest spread (clean synthetic elections of 5,000
    stations: fi 0.1-0.3 in 5 of 16 at k = 0, none at k = 1). Its price: fraud of intensity
    near the floor is fitted at the floor with a smaller fi (docs/fraud_estimators.md). The floor
    is the finite-mixture fit's (docs/fraud_mixture.md; Behboodian 1970: a mixture of two normals
    a sd or so apart is unimodal).

    References
    ----------
    Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection of
    systematic election irregularities. *PNAS* 109(41), 16469-16473, section "Fraud model"
    and SI (model and fingerprint matching); Efron, B. & Tibshirani, R. J. (1993), *An
    Introduction to the Bootstrap*, ch. 13 (percentile intervals); Self, S. G. & Liang, K.-Y.
    (1987), *JASA* 82(398), 605-610 and Andrews, D. W. K. (2000), *Econometrica* 68(2), 399-405
    (estimates on the boundary of the parameter space); Behboodian, J. (1970), *Technometrics*
    12(1), 131-139 (the unimodality of two-normal mixtures behind ``min_intensity``).

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
    if regions is not None and joint:
        raise ValueError("regions fixes the honest peaks per region: not with joint=True")
    code = None if regions is None else np.unique(np.asarray(regions).astype(str), return_inverse=True)[1][ok]
    reg, t, v = reg[ok], np.clip(iss[ok] / reg[ok], 0, 1), np.clip(lv[ok] / cnt[ok], 0, 1)
    if max_stations is not None and reg.size > max_stations:
        # A random subsample keeps the fit affordable; 30,000 stations pin a 25×25 fingerprint.
        keep = np.sort(np.random.default_rng([seed, 1]).choice(reg.size, max_stations, replace=False))
        reg, t, v = reg[keep], t[keep], v[keep]
        code = None if code is None else np.unique(code[keep], return_inverse=True)[1]
    grid = grid or DEFAULT_GRID
    if replicates is None:  # about 60,000 simulated stations per evaluation
        replicates = int(max(1, np.ceil(60_000 / reg.size)))
    # Common random numbers, drawn once and shared by the point fit and every bootstrap refit.
    d = _draws(reg, replicates, np.random.default_rng(seed))
    sim_region = None if code is None else code[d.source]
    opts = dict(theta=theta, fit_theta=fit_theta, joint=joint, fit_correlation=fit_correlation, bins=bins,
                maxiter=maxiter, min_intensity=min_intensity, sim_region=sim_region, binning=binning)  # fmt: skip
    x = _fit_once(t, v, reg, code, d, grid, **opts)[0]
    # Polish with the refit step itself, so the estimate is what a refit of the full sample gives.
    x, dist, observed, fitted, theta_min = _fit_once(t, v, reg, code, d, grid, start=x, **opts)

    boot = np.full((4, 0), np.nan)
    cis = [(np.nan, np.nan)] * 4
    if n_bootstrap > 0:

        def refit(idx):
            idx = idx.astype(np.int64)
            sub = None if code is None else code[idx]
            return _fit_once(t[idx], v[idx], reg[idx], sub, d, grid, start=x, **opts)[0][:4]

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
        # Not scipy's percentile interval as it stands: at fi = 0 or fe = 0 it excludes the boundary
        # estimate, and refits in another local minimum can leave the estimate outside (issue 11).
        lower = (0.0, 0.0, ALPHA_BOUNDS[0], theta_min)
        resolution = (1.0 / t.size, 1.0 / t.size, 0.0, 0.0)  # below one station's worth: no fraud
        cis = [bootstrap_interval(x[k], boot[k], confidence, lower_bound=lower[k], resolution=resolution[k])
               for k in range(4)]  # fmt: skip
        if not fit_theta:
            cis[3] = (np.nan, np.nan)
    honest = HonestParameters(*(float(a) for a in x[4:]))
    return KlimekFitResult(
        float(x[0]),
        float(x[1]),
        float(x[2]),
        cis[0],
        cis[1],
        cis[2],
        dist,
        honest,
        float(x[3]),
        cis[3],
        "national" if code is None else "per unit",
        int(reg.size),
        bins,
        observed,
        fitted,
        boot,
        float(theta_min),
    )


def fit_tables(stations, votes, leader: str, *, unit: str | None = None, **kwargs) -> KlimekFitResult:
    """:func:`fit_klimek` on canonical tables (ordinary stations only where types are known).

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical stations and long votes tables.
    leader : str
        The leader's name in ``votes["candidate"]``.
    unit : str, optional
        A grouping column (``"region"``, ``"county"``, …; :func:`honest_unit` picks one): honest
        peaks per unit (``regions`` of :func:`fit_klimek`). None: one national peak.
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
    if unit is not None:
        kwargs["regions"] = stations[unit].astype(str).to_numpy()[keep]
    return fit_klimek(reg[keep], iss[keep], lv[keep], cnt[keep], **kwargs)
