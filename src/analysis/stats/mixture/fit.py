"""Maximum-likelihood fit of the finite-mixture fraud model, with observed-information intervals."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import optimize, stats

from analysis.core.results import FlatResult
from analysis.stats.mixture.likelihood import _HONEST, _SHAPE, Likelihood, honest_loglik
from analysis.stats.mixture.model import (
    DEFAULT_NODES,
    PARAMETER_NAMES,
    MixtureParameters,
    _take,
    clip_rates,
    count_noise,
    unit_shifts,
)
from analysis.stats.mixture.optimize import (
    IntensityFloor,
    _covariance,
    _minimise,
    observed_information,
    starting_values,
)
from analysis.stats.mixture.profile import profile_upper_bound

#: Box constraints of the natural parameters (fi, fe, α, τ, ν, σ_τ, σ_ν, θ, ρ, ε, κ). θ's upper bound
#: is Mebane's (EFToolkit ``bmax``: ``sqrt(2/pi)``): wider, ``|N(0, θ)|`` on [0, 1] is nearly
#: uniform and θ is not identified. ε, κ: the honest scale mixture's (``honest="scale_mixture"``;
#: κ >= 1.5 keeps the wide class distinct from the narrow one; the normal model pins ε = 0, κ = 1);
#: δ_τ, δ_ν: the shifted mixture's (0 otherwise); c: the count overdispersion
#: (``overdispersion="fitted"`` or ``"by_group"``; 1, binomial, otherwise); c_other: the other
#: group's (``"by_group"``; 1 otherwise).
BOUNDS = (
    (0.0, 1.0),
    (0.0, 1.0),
    (0.1, 10.0),
    (0.01, 0.99),
    (0.01, 0.99),
    (0.005, 1.0),
    (0.005, 1.0),
    (0.005, float(np.sqrt(2.0 / np.pi))),
    (-0.9, 0.9),
    (0.0, 0.5),
    (1.5, 10.0),
    (-0.3, 0.3),
    (-0.3, 0.3),
    (1.0, 50.0),
    (1.0, 50.0),
)
_PINNED = {
    "normal": {9: 0.0, 10: 1.0, 11: 0.0, 12: 0.0},
    "scale_mixture": {11: 0.0, 12: 0.0},
    "shifted_mixture": {},
}


@dataclass(frozen=True)
class FraudMixtureResult(FlatResult):
    """Maximum-likelihood estimates of the finite-mixture fraud model.

    Attributes
    ----------
    parameters : MixtureParameters
        The reported estimates; ``fi``, ``fe``, ``alpha``, ``tau``, ``nu``, ``sigma_tau``,
        ``sigma_nu``, ``theta``, ``rho``, ``dispersion`` (the count overdispersion c),
        ``dispersion_other`` (the other group's c) read them.
    fi_low, fi_high, fe_low, fe_high, alpha_low, alpha_high : float
        Wald intervals from the observed information, clipped to the parameter's range
        (NaN where the parameter is not identified: α with ``fi = fe = 0``).
    loglik : float
        Maximised log-likelihood (of the reported model).
    lr_statistic, lr_pvalue : float
        Likelihood-ratio test of no fraud (``fi = fe = 0``) against the mixture: twice the
        log-likelihood gain of the mixture over the honest-only fit, referred to χ² with 4
        degrees of freedom (fi, fe, α, θ). Approximate: under no fraud α and θ are not
        identified and fi, fe sit on their bound (Davies 1987), so the reference is a guide.
    no_fraud_selected : bool
        True when the test does not reject at ``1 − confidence_level``: the no-fraud model is
        reported (fi = fe = 0, honest parameters refitted, α's interval NaN), because with fi =
        fe = 0 the mixture's fi is not identified (incremental fraud with θ → 0 *is* the honest
        distribution, so the unrestricted fi wanders along a flat ridge); fi's and fe's intervals
        are then ``[0, profile-likelihood upper bound]`` (:mod:`~analysis.stats.mixture.profile`).
    n_stations : int
        Stations fitted.
    converged : bool
        The optimizer's success flag.
    honest_context : tuple or None
        The stations' ``(1 / registered, 1 / voters, shift_τ, shift_ν)`` of the honest component
        (:func:`~analysis.stats.mixture.model.honest_moments`), None when it had none.
    seconds : float
        CPU seconds of the fit (``time.process_time``), intervals included.
    confidence_level : float
        Level of the intervals.
    covariance : numpy.ndarray
        15 × 15 inverse observed information of the unrestricted fit (NaN rows and columns where
        not identified).
    unrestricted : MixtureParameters
        The unrestricted maximum-likelihood estimates (equal to the reported ones unless
        ``no_fraud_selected``).
    """

    parameters: MixtureParameters
    fi_low: float
    fi_high: float
    fe_low: float
    fe_high: float
    alpha_low: float
    alpha_high: float
    loglik: float
    lr_statistic: float
    lr_pvalue: float
    no_fraud_selected: bool
    n_stations: int
    converged: bool
    honest_context: tuple | None
    seconds: float
    confidence_level: float
    covariance: np.ndarray
    unrestricted: MixtureParameters

    # The results keys: the estimates first, then the scalar fields.
    _flat_fields: ClassVar[tuple[str, ...]] = (
        *PARAMETER_NAMES,
        *("fi_low", "fi_high", "fe_low", "fe_high", "alpha_low", "alpha_high", "loglik", "lr_statistic"),
        *("lr_pvalue", "no_fraud_selected", "n_stations", "converged", "seconds", "confidence_level"),
    )

    def __getattr__(self, name):
        # Only reached for names that are not fields: the estimates read through.
        if name in PARAMETER_NAMES:
            return getattr(self.parameters, name)
        raise AttributeError(name)

    @property
    def standard_errors(self) -> dict:
        return dict(zip(PARAMETER_NAMES, np.sqrt(np.diag(self.covariance)).tolist(), strict=True))


def _bounds(honest: str, dispersion_fitted: bool = False, other_fitted: bool = False) -> list[tuple[float, float]]:
    """:data:`BOUNDS` with the parameters the honest model does not have pinned (the count
    overdispersion c at 1 unless fitted, the other group's c at 1 unless fitted by group)."""
    pinned = {**_PINNED[honest], **({} if dispersion_fitted else {13: 1.0}), **({} if other_fitted else {14: 1.0})}
    return [(pinned[j],) * 2 if j in pinned else b for j, b in enumerate(BOUNDS)]


def _honest_fit(t, v, vec: np.ndarray, noise=None, box=BOUNDS) -> tuple[np.ndarray, float]:
    """Maximum-likelihood (τ, ν, σ_τ, σ_ν, ρ, ε, κ) of the honest-only model (fi = fe = 0), and its log-likelihood."""

    def negll(y):
        ll, grad = honest_loglik(t, v, MixtureParameters(0.0, 0.0, 1.0, *y[:4], 0.1, *y[4:]), noise)
        return -ll / t.size, -grad / t.size

    start = np.clip(vec[_HONEST], *np.array([box[j] for j in _HONEST]).T)
    if box[9][0] < box[9][1]:
        start[5] = max(start[5], 0.02)  # the scale mixture away from ε = 0, where κ is not identified
    res = optimize.minimize(negll, start, jac=True, method="L-BFGS-B", bounds=[box[j] for j in _HONEST])
    return res.x, -res.fun * t.size


def fit_fraud_mixture(
    turnout,
    leader_share,
    registered=None,
    voters=None,
    *,
    nodes: int = DEFAULT_NODES,
    confidence_level: float = 0.95,
    maxiter: int = 200,
    prefit_stations: int = 5000,
    prefit_iterations: int = 15,
    count_variance: bool = True,
    unit=None,
    honest: str = "normal",
    overdispersion: str = "none",
    groups=None,
    min_intensity: float = 0.0,
    seed=0,
) -> FraudMixtureResult:
    """Fit the finite-mixture fraud model of Klimek et al. (2012) by maximum likelihood.

    Direct maximisation (L-BFGS-B over the natural parameters within :data:`BOUNDS`, ε and κ pinned for the normal honest model;
    gradient analytic in fi, fe and the honest parameters, by forward differences in α and θ:
    :mod:`analysis.stats.mixture.likelihood`). The density of each
    station integrates over the fraud intensity by fixed Gauss–Legendre quadrature
    (:mod:`analysis.stats.mixture.model`). Starts: the left-flank honest peak with four fraud
    starts, each run for ``prefit_iterations`` on a seeded subsample of ``prefit_stations``;
    the best is run to convergence on the subsample and then on all stations (with
    ``overdispersion="fitted"`` or ``min_intensity > 0``: six starts, each run to convergence on
    the subsample, as short runs stopped at a local maximum). Intervals: Wald,
    from the inverse observed information (the Hessian of the log-likelihood at the maximum),
    clipped to [0, 1] for fi and fe. A likelihood-ratio test of no fraud against the
    honest-only fit decides whether the mixture or the no-fraud model is reported
    (``no_fraud_selected``; see :class:`FraudMixtureResult`).

    Parameters
    ----------
    turnout, leader_share : array_like
        Station rates (fractions).
    registered, voters : array_like, optional
        Registered voters and ballots counted: rates of exactly 0 or 1 are moved inside by half
        a ballot (``1e-4`` without sizes).
    nodes : int
        Gauss–Legendre nodes per panel (three panels).
    confidence_level : float
        Level of the Wald intervals.
    maxiter : int
        L-BFGS-B iterations of each fit.
    prefit_stations : int
        Subsample size of the multi-start pre-fits.
    prefit_iterations : int
        L-BFGS-B iterations from each start before the best one is run to convergence.
    count_variance : bool
        With ``registered`` and ``voters`` given, add each station's binomial variance to the
        honest spread (:func:`~analysis.stats.mixture.model.honest_moments`; Mebane's densities are
        for counts): small stations' wide scatter is then honest, not fraud.
    unit : array_like, optional
        Each station's unit (district): the honest means move by the unit's median turnout and
        share (:func:`~analysis.stats.mixture.model.unit_shifts`).
    honest : {"normal", "scale_mixture", "shifted_mixture"}
        The honest model (:mod:`analysis.stats.mixture.honest`): the truncated bivariate normal
        of Klimek et al. and Mebane, or Tukey's contaminated normal ``(1 − ε) N(μ, Σ) + ε N(μ, κ²Σ)``
        with ε and κ fitted (heavier tails, as clean elections have), or that mixture with the wide
        class's means moved by a fitted (δ_τ, δ_ν) (skewed); the no-fraud model of the
        likelihood-ratio test has the same honest model.
    overdispersion : {"none", "fitted", "by_group"}
        ``"fitted"``: each station's count variance is ``c`` times the binomial one, ``c`` in
        [1, 50] fitted with the other parameters (analytic gradient; small and special stations
        scatter more than binomially); ``"by_group"``: one fitted ``c`` for the stations with
        ``groups`` false (``dispersion``) and one for those with ``groups`` true
        (``dispersion_other``: institutions and other special station types); ``"none"``:
        ``c = 1``. Needs ``registered``, ``voters`` and ``count_variance``.
    groups : array_like of bool, optional
        With ``overdispersion="by_group"``: each station's group (true: the other group). Where
        no station (or every station) is in the other group, ``"by_group"`` is ``"fitted"``.
    min_intensity : float
        ``k >= 0``: incremental fraud's intensity width is bounded below by
        ``θ_min = k √(π/2) σ_τ / (1 − τ)``, i.e. the mean stuffing of a fraudulent station is at
        least ``k`` honest standard deviations of turnout (:mod:`~analysis.stats.mixture.optimize`:
        smaller stuffing is a shift of the honest mean and variance, the "no fraud" ridge);
        enforced jointly with σ_τ and τ. 0 (default): θ's box bound 0.005 only.
    seed : int or numpy.random.Generator
        Seed of the pre-fit subsample.

    Returns
    -------
    FraudMixtureResult

    References
    ----------
    Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection of systematic
    election irregularities. *PNAS* 109(41), 16469-16473, SI (the fraud model).
    Mebane, W. R. (2016). Election forensics: frauds tests and observation-level frauds
    probabilities. Midwest Political Science Association (the likelihood and the per-station
    posterior probabilities).

    Examples
    --------
    >>> from analysis.stats.mixture.model import MixtureParameters, simulate
    >>> true = MixtureParameters(0.2, 0.02, 2.0, 0.6, 0.45, 0.08, 0.1, 0.15)
    >>> sim = simulate(true, 1500, seed=3)
    >>> res = fit_fraud_mixture(sim.turnout, sim.leader_share)
    >>> bool(res.fe_low <= 0.02 <= res.fe_high), res.converged
    (True, True)
    """
    started = time.process_time()
    if honest not in _PINNED:
        raise ValueError(f"honest must be one of {tuple(_PINNED)}, got {honest!r}")
    if overdispersion not in ("none", "fitted", "by_group"):
        raise ValueError(f"overdispersion must be 'none', 'fitted' or 'by_group', got {overdispersion!r}")
    if (overdispersion == "by_group") != (groups is not None):
        raise ValueError("groups must be given with overdispersion='by_group', and only then")
    if min_intensity < 0:
        raise ValueError(f"min_intensity must be >= 0, got {min_intensity}")
    fitted_c = overdispersion != "none" and count_variance and registered is not None and voters is not None
    other = None
    if fitted_c and groups is not None:
        other = np.asarray(groups, dtype=bool)
        if other.shape != np.shape(turnout):
            raise ValueError(f"groups must have one entry per station, got shape {other.shape}")
        other = other if 0 < other.sum() < other.size else None  # one group: a single c
    box = _bounds(honest, fitted_c, other is not None)
    floor = IntensityFloor(float(min_intensity), BOUNDS[7][0])
    t, v = clip_rates(turnout, leader_share, registered, voters)
    if t.size < 20:
        raise ValueError(f"need at least 20 stations, got {t.size}")
    rng = np.random.default_rng(seed)
    sub = np.sort(rng.choice(t.size, prefit_stations, replace=False)) if t.size > prefit_stations else slice(None)
    shifts = unit_shifts(t, v, unit) if unit is not None else (None, None)
    sizes = (registered, voters) if count_variance else (None, None)
    noise = count_noise(*sizes, shift_t=shifts[0], shift_v=shifts[1], n=t.size, group=other)
    pre = Likelihood(t[sub], v[sub], nodes, _take(noise, sub))
    # Short runs from every start, the best one run to convergence (on the subsample, then on all).
    # With the new options (thorough): every start run to convergence on the subsample, as short
    # runs stopped at a local maximum there (docs/fraud_mixture.md), and the best one restarted
    # (a fresh L-BFGS-B memory); the old path is unchanged.
    thorough = fitted_c or floor.active
    starts = starting_values(t, v, honest, 2.0 if fitted_c else 1.0, thorough, 2.0 if other is not None else 1.0)
    fits = [_minimise(pre, start, maxiter if thorough else prefit_iterations, box, floor) for start in starts]
    final = _minimise(pre, min(fits, key=lambda r: r.fun).x, maxiter, box, floor)
    lik = pre
    if t.size > prefit_stations:
        lik = Likelihood(t, v, nodes, noise)
        final = _minimise(lik, final.x, maxiter, box, floor)
    vec = final.x
    cov = _covariance(observed_information(lik, vec, box), vec, box, floor)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    with np.errstate(invalid="ignore"):  # a non-positive variance (flat direction) gives NaN
        se = np.sqrt(np.diag(cov))
    low = np.maximum(vec - z * se, [b[0] for b in box])
    high = np.minimum(vec + z * se, [b[1] for b in box])
    # A flat direction (no positive variance) leaves fi or fe anywhere in its range.
    low[:2] = np.where(np.isnan(low[:2]), 0.0, low[:2])
    high[:2] = np.where(np.isnan(high[:2]), 1.0, high[:2])
    loglik = float(np.log(lik.mix(lik.components(vec[_SHAPE]), vec[0], vec[1])).sum())
    honest_only, loglik_honest = _honest_fit(t, v, vec, noise, box)
    lr = max(2.0 * (loglik - loglik_honest), 0.0)
    pvalue = float(stats.chi2.sf(lr, df=4))
    unrestricted = MixtureParameters.from_vector(vec)
    no_fraud = pvalue > 1.0 - confidence_level
    if no_fraud:
        # Fraud not detected: the no-fraud model (fi = fe = 0, honest parameters refitted)
        # is reported; fi, fe get one-sided intervals from 0, α has no interval.
        # The estimate is then on the boundary, where the Wald interval of the unrestricted fit
        # is no guide (near-singular information: often the whole range); the upper limits
        # invert the likelihood-ratio test instead (.profile; Self & Liang 1987).
        loglik_max = max(loglik, loglik_honest)
        vec = np.r_[0.0, 0.0, vec[2], honest_only[:4], vec[7], honest_only[4:]]
        critical = stats.chi2.ppf(2 * confidence_level - 1, df=1)  # one-sided at the boundary
        profiled = [profile_upper_bound(lik, vec, loglik_max, k, box, critical=critical, floor=floor, maxiter=maxiter)
                    for k in (0, 1)]  # fmt: skip
        high[:2] = np.where(np.isnan(profiled), high[:2], profiled)  # NaN: no profile set above 0, the Wald bound
        low[:2] = 0.0
        low[2] = high[2] = np.nan
        loglik = loglik_honest
    return FraudMixtureResult(
        MixtureParameters.from_vector(vec),
        fi_low=float(low[0]),
        fi_high=float(high[0]),
        fe_low=float(low[1]),
        fe_high=float(high[1]),
        alpha_low=float(low[2]),
        alpha_high=float(high[2]),
        loglik=loglik,
        lr_statistic=float(lr),
        lr_pvalue=pvalue,
        no_fraud_selected=bool(no_fraud),
        n_stations=int(t.size),
        converged=bool(final.success),
        honest_context=noise,
        seconds=float(time.process_time() - started),
        confidence_level=float(confidence_level),
        covariance=cov,
        unrestricted=unrestricted,
    )
