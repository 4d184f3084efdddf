"""The optimizer's side of the mixture fit (used by :mod:`.fit`): scaling, the ``fi + fe <= 1``
projection, the minimum fraud intensity, starting values, the observed information.

**Minimum fraud intensity** (``min_intensity = k``, :class:`IntensityFloor`). Incremental fraud of
intensity ``x ~ |N(0, θ)|`` moves a station's turnout by ``x (1 − t0)``, on average
``θ √(2/π) (1 − τ)``. Where that is small against the honest spread ``σ_τ`` the component is the
honest normal convolved with a narrow half-normal: to first order a shift of the mean
(``fi E[x] (1 − τ)``) and of the variance, which τ and σ_τ absorb, so fi and θ trade along the
"no fraud" ridge (docs/fraud_mixture.md). The floor asks the mean stuffing of a fraudulent
station to be at least ``k`` honest (structural) standard deviations of turnout:

    θ >= θ_min = k √(π/2) σ_τ / (1 − τ)   (analysis.stats.fraud_intensity.mean_stuffing_intensity),

enforced jointly with the fit (σ_τ, τ are fitted) by optimising ``u = θ − θ_min(σ_τ, τ) >= 0``
instead of θ; the gradient is the chain rule, ``∂/∂σ_τ += ∂ℓ/∂θ · k √(π/2) / (1 − τ)`` and
``∂/∂τ += ∂ℓ/∂θ · k √(π/2) σ_τ / (1 − τ)²``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from analysis.stats.fraud_intensity import MEAN_HALF_NORMAL, mean_stuffing_intensity
from analysis.stats.mixture.likelihood import _N, _SHAPE, Likelihood

#: Typical magnitudes of the parameters: the optimizer works on ``vec / _SCALE``.
_SCALE = np.array([0.1, 0.01, 1.0, 0.1, 0.1, 0.05, 0.05, 0.1, 0.1, 0.05, 1.0, 0.05, 0.05, 1.0, 1.0])
_ALPHA, _THETA, _TAU, _SIGMA_TAU = 2, 7, 3, 5


def _steps(vec: np.ndarray) -> np.ndarray:
    return 1e-6 * np.maximum(np.abs(vec), 0.05)


def _project(vec: np.ndarray) -> tuple[np.ndarray, float]:
    """``vec`` with ``fi + fe`` scaled down to 1 where it exceeds 1, and the excess."""
    excess = max(vec[0] + vec[1] - 1.0, 0.0)
    if excess > 0:
        vec = vec.copy()
        vec[:2] = vec[:2] / (1.0 + excess)
    return vec, excess


@dataclass(frozen=True)
class IntensityFloor:
    """θ >= θ_min = max(floor, k √(π/2) σ_τ / (1 − τ)) (module docstring); ``k = 0``: the box's floor only.

    The optimizer sees ``u = θ − θ_min`` in place of θ (:meth:`free`, :meth:`natural`).

    Examples
    --------
    >>> from analysis.stats.mixture.model import MixtureParameters
    >>> vec = MixtureParameters(0.1, 0.01, 2.0, 0.6, 0.45, 0.05, 0.06, 0.3).vector()
    >>> round(IntensityFloor(1.0).theta_min(vec), 4)  # √(π/2) · 0.05 / (1 − 0.6)
    0.1567
    """

    k: float = 0.0
    floor: float = 0.005

    @property
    def active(self) -> bool:
        return self.k > 0.0

    def theta_min(self, vec) -> float:
        return max(self.floor, mean_stuffing_intensity(vec[_TAU], vec[_SIGMA_TAU], self.k))

    def jacobian(self, vec) -> np.ndarray:
        """∂(natural parameters)/∂(optimizer's parameters): the identity but for θ's row."""
        jac = np.eye(_N)
        if self.active and self.theta_min(vec) > self.floor:
            slope = self.k / (MEAN_HALF_NORMAL * (1.0 - vec[_TAU]))
            jac[_THETA, _SIGMA_TAU] = slope
            jac[_THETA, _TAU] = slope * vec[_SIGMA_TAU] / (1.0 - vec[_TAU])
        return jac

    def natural(self, z: np.ndarray) -> np.ndarray:
        if not self.active:
            return z
        vec = z.copy()
        vec[_THETA] = z[_THETA] + self.theta_min(z)
        return vec

    def free(self, vec: np.ndarray) -> np.ndarray:
        if not self.active:
            return vec
        z = vec.copy()
        z[_THETA] = max(vec[_THETA] - self.theta_min(vec), 0.0)
        return z

    def box(self, box):
        """The optimizer's box: ``u`` in [0, θ_max − floor] (θ's upper bound moves up with θ_min)."""
        if not self.active:
            return box
        box = list(box)
        box[_THETA] = (0.0, box[_THETA][1] - self.floor)
        return box

    def at_floor(self, vec) -> bool:
        return self.active and vec[_THETA] - self.theta_min(vec) < 1e-6

    def at_ceiling(self, vec, box) -> bool:
        """θ on its upper bound: ``u`` at the top of :meth:`box` (or θ at the box's top without a floor)."""
        if not self.active:
            return bool(vec[_THETA] >= box[_THETA][1] - 1e-6)
        return bool(vec[_THETA] - self.theta_min(vec) >= box[_THETA][1] - self.floor - 1e-6)


def _minimise(lik: Likelihood, start: np.ndarray, maxiter: int, box, floor: IntensityFloor = IntensityFloor()):
    n = lik.t.size
    free_box = floor.box(box)

    def objective(y):
        # fi + fe <= 1 (the box bounds cannot say it): beyond, the likelihood of the projected
        # point plus a quadratic penalty, continuous at the constraint.
        z, excess = _project(y * _SCALE)
        vec = floor.natural(z)
        ll, grad = lik.gradient(vec, _steps(vec))
        if floor.active:
            grad = floor.jacobian(vec).T @ grad
        penalty = 1e3 * excess
        return -ll / n + penalty * excess, (-grad / n + np.r_[2 * penalty, 2 * penalty, np.zeros(_N - 2)]) * _SCALE

    lows, highs = np.array(box).T
    z0 = np.clip(floor.free(np.clip(start, lows, highs)), *np.array(free_box).T)
    res = optimize.minimize(
        objective,
        z0 / _SCALE,
        jac=True,
        method="L-BFGS-B",
        bounds=[(lo / s, hi / s) for (lo, hi), s in zip(free_box, _SCALE, strict=True)],
        options={"maxiter": maxiter, "ftol": 1e-9, "gtol": 1e-6},
    )
    res.x = floor.natural(_project(res.x * _SCALE)[0])
    return res


def starting_values(
    t, v, honest: str = "normal", dispersion: float = 1.0, more: bool = False, dispersion_other: float = 1.0
) -> list[np.ndarray]:
    """Honest peak from the left flanks (fraud only moves stations right; Klimek et al. 2012),
    combined with a few fraud starts (fi, fe, α, θ); the scale mixture starts at ε = 0.05, κ = 3
    (Tukey's 1960 examples); the count overdispersion at ``dispersion`` (``dispersion_other``: the
    other group's). ``more``: two further
    fraud starts, stealing-dominated (α = 0.5) and wide (θ = 0.5), for the thorough multi-start."""

    def left_peak(x):
        hist, edges = np.histogram(x, bins=100, range=(0.0, 1.0))
        mode = 0.5 * (edges[np.argmax(hist)] + edges[np.argmax(hist) + 1])
        left = x[x <= mode]
        sd = float(np.sqrt(np.mean((left - mode) ** 2))) if left.size > 10 else float(np.std(x))
        return float(np.clip(mode, 0.05, 0.95)), float(np.clip(sd, 0.01, 0.5))

    tau, s_tau = left_peak(t)
    nu, s_nu = left_peak(v)
    fraud = [(0.05, 0.005, 2.0, 0.05), (0.3, 0.02, 2.0, 0.15), (0.1, 0.01, 1.0, 0.3), (0.02, 0.002, 3.0, 0.1)]
    if more:
        fraud += [(0.02, 0.002, 0.5, 0.2), (0.05, 0.005, 1.5, 0.5)]
    scale = (0.0, 1.0) if honest == "normal" else (0.05, 3.0)
    return [
        np.array([fi, fe, a, tau, nu, s_tau, s_nu, th, 0.0, *scale, 0.0, 0.0, dispersion, dispersion_other])
        for fi, fe, a, th in fraud
    ]


def observed_information(lik: Likelihood, vec: np.ndarray, box) -> np.ndarray:
    """−Hessian of the log-likelihood: analytic in (fi, fe), forward differences of the gradient
    in the shape parameters (stepped inwards at a bound), symmetrised."""
    fi, fe = vec[0], vec[1]
    dens = lik.components(vec[_SHAPE])
    f = lik.mix(dens, fi, fe)
    di, de = (dens[1] - dens[0]) / f, (dens[2] - dens[0]) / f
    hess = np.zeros((_N, _N))
    hess[0, 0], hess[0, 1], hess[1, 1] = -(di * di).sum(), -(di * de).sum(), -(de * de).sum()
    hess[1, 0] = hess[0, 1]
    steps = _steps(vec)
    _, g0 = lik.gradient(vec, steps)
    for j in range(2, _N):
        if box[j][0] == box[j][1]:
            continue  # pinned: not a parameter of this honest model
        h = 1e-4 * max(abs(vec[j]), 0.05)
        h = -h if vec[j] + h > box[j][1] else h
        shifted = vec.copy()
        shifted[j] += h
        _, gj = lik.gradient(shifted, steps)
        hess[:, j] = (gj - g0) / h
    hess[2:, :2] = hess[:2, 2:].T
    hess = 0.5 * (hess + hess.T)
    return -hess


def _covariance(info: np.ndarray, vec: np.ndarray, box, floor: IntensityFloor = IntensityFloor()) -> np.ndarray:
    """Inverse information on the identified parameters (α and θ drop out when fi = fe = 0,
    θ-free variants never arise: θ shapes both fraud components; κ drops out when ε = 0, the
    count overdispersion c on its bound 1, α on a bound and θ on its upper bound are held there, as
    their scores need not vanish; pinned parameters are not parameters). With a minimum intensity the information is taken in the
    optimizer's parameters (``u = θ − θ_min``); ``u`` drops out at its bound 0 (θ then follows
    σ_τ and τ), and the covariance is carried back to θ by the delta method."""
    keep = np.array([lo < hi for lo, hi in box])
    fraud = vec[0] + vec[1] >= 1e-6
    if not fraud:
        keep[[2, 7]] = False
    if vec[9] < 1e-6:
        keep[10:13] = False
    if vec[13] <= box[13][0] + 1e-6:
        keep[13] = False  # c on its bound 1 (binomial counts): held there, as its score need not vanish
    if not box[14][0] + 1e-6 < vec[14] < box[14][1] - 1e-6:
        keep[14] = False  # the other group's c on a bound (1, or 50: a group scattered beyond counts), likewise
    if not box[_ALPHA][0] + 1e-6 < vec[_ALPHA] < box[_ALPHA][1] - 1e-6:
        keep[_ALPHA] = False  # α on a bound (10: no stealing), likewise: the others' intervals are at α held there
    if floor.at_ceiling(vec, box):
        keep[_THETA] = False  # θ on its upper bound (an intensity spread over [0, 1]), likewise
    jac = floor.jacobian(vec)
    if floor.active:
        info = jac.T @ info @ jac
        if floor.at_floor(vec):
            keep[7] = False
    cov = np.full((_N, _N), np.nan)
    sub = info[np.ix_(keep, keep)]
    try:
        inv = np.linalg.inv(sub)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(sub)
    if not floor.active:
        cov[np.ix_(keep, keep)] = inv
        return cov
    cov_free = np.zeros((_N, _N))
    cov_free[np.ix_(keep, keep)] = inv
    cov = jac @ cov_free @ jac.T
    identified = keep.copy()
    identified[7] = keep[7] or (fraud and bool(jac[7, [3, 5]].any()))
    cov[~identified, :] = np.nan
    cov[:, ~identified] = np.nan
    return cov
