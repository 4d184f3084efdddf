"""Log-likelihood of the finite-mixture fraud model and its gradient (used by :mod:`.fit`).

The gradient is analytic in the mixing weights (fi, fe) and in the honest parameters
(τ, ν, σ_τ, σ_ν, ρ) and the count overdispersion c (one, or one per station group); only α and θ, which move the quadrature nodes, are stepped by forward
differences. The honest parameters enter every component density only through the bivariate
normal of the honest ``(t0, v0)`` (:func:`~analysis.stats.mixture.model.honest_moments`), so with
``z_t = (t0 − m_τ)/s_τ``, ``z_v = (v0 − m_ν)/s_ν``, ``D = 1 − r²``, ``Q = z_t² − 2 r z_t z_v + z_v²``:

    ∂ log φ/∂m_τ = (z_t − r z_v)/(D s_τ),       ∂ log φ/∂s_τ = (z_t² − r z_t z_v)/(D s_τ) − 1/s_τ,
    ∂ log φ/∂r   = z_t z_v/D − r Q/D² + r/D                     (and the same for ν with t ↔ v),

less the derivatives of the log probability of the square [0, 1]² (Plackett 1954:
``∂Φ₂(h, k; r)/∂h = φ(h) Φ((k − r h)/√D)``, ``∂Φ₂/∂r = φ₂(h, k; r)``). A component's derivative
is therefore a combination of its node sums weighted by 1, z_t, z_v, z_t², z_v², z_t z_v: one
pass over the nodes instead of one density evaluation per parameter.

With the honest scale mixture (:mod:`.honest`) each component is ``(1 − ε) C(σ) + ε C(κσ)``:
its derivatives are the classes' weighted, with ``∂/∂σ = κ ∂/∂σ'`` for the wide class (σ' = κσ),
``∂/∂ε = C(κσ) − C(σ)``, ``∂/∂κ = ε (σ_τ ∂C/∂σ'_τ + σ_ν ∂C/∂σ'_ν)`` and (the wide class's means
moved by δ) ``∂/∂δ_τ = ε ∂C(κσ)/∂τ'`` — analytic as well.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from analysis.stats.mixture.honest import (
    _honest_pdf,
    _square_probability,
    class_squares,
    honest_classes,
    honest_moments,
    station_dispersion,
)
from analysis.stats.mixture.model import (
    DEFAULT_NODES,
    PARAMETER_NAMES,
    MixtureParameters,
    _take,
    component_densities,
    fraud_nodes,
    t0_lower,
)

_N = len(PARAMETER_NAMES)
_SHAPE = slice(2, _N)  # parameters inside the component densities (fi, fe are the mixing weights)
_HONEST = [3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14]  # τ, ν, σ_τ, σ_ν, ρ, ε, κ, δ_τ, δ_ν, c, c_other: analytic
_STEPPED = [2, 7]  # α, θ: forward differences
_TINY = 1e-300


def _moment_jacobian(p: MixtureParameters, noise, n: int):
    """Moments ``(m_τ, m_ν, s_τ, s_ν, r)`` per station and their Jacobian (5 × 7 × n) in
    (τ, ν, σ_τ, σ_ν, ρ, c, c_other) (c_other: the count overdispersion of group 1, ``noise[4]``)."""
    moments = [np.broadcast_to(np.asarray(a, dtype=float), n) for a in honest_moments(p, noise)]
    m_t, m_v, s_t, s_v, r = moments
    inv_reg, inv_vot, shift_t, shift_v = noise[:4] if noise is not None else (0.0, 0.0, 0.0, 0.0)
    grouped = noise is not None and len(noise) > 4
    # The means are clipped to [0.005, 0.995]: flat beyond.
    free_t = np.broadcast_to((p.tau + shift_t > 0.005) & (p.tau + shift_t < 0.995), n).astype(float)
    free_v = np.broadcast_to((p.nu + shift_v > 0.005) & (p.nu + shift_v < 0.995), n).astype(float)
    c = station_dispersion(p, noise) if noise is not None else p.dispersion
    jac = np.zeros((5, 7, n))
    jac[0, 0] = free_t
    jac[1, 1] = free_v
    jac[2, 0] = c * (1.0 - 2.0 * m_t) * inv_reg / (2.0 * s_t) * free_t
    jac[2, 2] = p.sigma_tau / s_t
    jac[2, 5] = m_t * (1.0 - m_t) * inv_reg / (2.0 * s_t)  # s_τ² = σ_τ² + c m (1 − m) / registered
    jac[3, 1] = c * (1.0 - 2.0 * m_v) * inv_vot / (2.0 * s_v) * free_v
    jac[3, 3] = p.sigma_nu / s_v
    jac[3, 5] = m_v * (1.0 - m_v) * inv_vot / (2.0 * s_v)
    if grouped:  # each station's c is its group's: the derivative goes to c or to c_other
        other = noise[4] > 0
        jac[2:4, 6] = np.where(other, jac[2:4, 5], 0.0)
        jac[2:4, 5] = np.where(other, 0.0, jac[2:4, 5])
    # r = ρ σ_τ σ_ν / (s_τ s_ν)
    jac[4] = -r * (jac[2] / s_t + jac[3] / s_v)
    jac[4, 2] += p.rho * p.sigma_nu / (s_t * s_v)
    jac[4, 3] += p.rho * p.sigma_tau / (s_t * s_v)
    jac[4, 4] = p.sigma_tau * p.sigma_nu / (s_t * s_v)
    return moments, jac


def _log_square_gradient(moments):
    """∂ P([0, 1]²) / ∂(m_τ, m_ν, s_τ, s_ν, r), per station (5 × n)."""
    m_t, m_v, s_t, s_v, r = moments
    root = np.sqrt(1.0 - r * r)
    a_t, b_t, a_v, b_v = -m_t / s_t, (1.0 - m_t) / s_t, -m_v / s_v, (1.0 - m_v) / s_v
    grad = np.zeros((5, m_t.size))
    for h, k, sign in ((b_t, b_v, 1.0), (a_t, b_v, -1.0), (b_t, a_v, -1.0), (a_t, a_v, 1.0)):
        d_h = np.exp(-0.5 * h * h) / np.sqrt(2 * np.pi) * special.ndtr((k - r * h) / root)
        d_k = np.exp(-0.5 * k * k) / np.sqrt(2 * np.pi) * special.ndtr((h - r * k) / root)
        d_r = np.exp(-0.5 * (h * h - 2.0 * r * h * k + k * k) / (root * root)) / (2.0 * np.pi * root)
        grad[0] -= sign * d_h / s_t
        grad[1] -= sign * d_k / s_v
        grad[2] -= sign * d_h * h / s_t
        grad[3] -= sign * d_k * k / s_v
        grad[4] += sign * d_r
    return grad


def _moment_scores(sums, moments, log_square_grad):
    """∂C/∂(m_τ, m_ν, s_τ, s_ν, r) (5 × n) of a component ``C`` from its node sums
    ``(S_1, S_t, S_v, S_tt, S_vv, S_tv)`` of the integrand times 1, z_t, z_v, z_t², z_v², z_t z_v."""
    s1, st, sv, stt, svv, stv = sums
    _, _, s_t, s_v, r = moments
    d = 1.0 - r * r
    return (
        np.stack(
            [
                (st - r * sv) / (d * s_t),
                (sv - r * st) / (d * s_v),
                (stt - r * stv) / (d * s_t) - s1 / s_t,
                (svv - r * stv) / (d * s_v) - s1 / s_v,
                stv / d - r * (stt - 2.0 * r * stv + svv) / (d * d) + s1 * r / d,
            ]
        )
        - s1 * log_square_grad
    )


def _weighted_sums(c, zt, zv, axis=None):
    def total(a):
        return a if axis is None else a.sum(axis=axis)

    c_zt, c_zv = c * zt, c * zv
    return [total(c), total(c_zt), total(c_zv), total(c_zt * zt), total(c_zv * zv), total(c_zt * zv)]


def _combine_classes(p: MixtureParameters, dens, scores):
    """Density and scores in (τ, ν, σ_τ, σ_ν, ρ, ε, κ, δ_τ, δ_ν, c, c_other) of the honest mixture from its
    classes' (``dens``: classes × …, ``scores``: classes × 7 × …, each in its own class's
    (τ, ν, σ_τ, σ_ν, ρ, c, c_other))."""
    out = np.zeros((11, *dens.shape[1:]))
    if dens.shape[0] == 1:
        out[:5], out[9:] = scores[0][:5], scores[0][5:]
        return dens[0], out
    eps, kappa = p.epsilon, p.kappa
    wide = scores[1].copy()
    wide[2:4] *= kappa  # the wide class's σ' = κ σ
    out[:5] = (1.0 - eps) * scores[0][:5] + eps * wide[:5]
    out[9:] = (1.0 - eps) * scores[0][5:] + eps * scores[1][5:]  # both classes share the count dispersion c
    out[5] = dens[1] - dens[0]
    out[6] = eps * (p.sigma_tau * scores[1][2] + p.sigma_nu * scores[1][3])
    out[7:9] = eps * scores[1][0:2]  # the wide class's means are τ + δ_τ, ν + δ_ν
    return (1.0 - eps) * dens[0] + eps * dens[1], out


def densities_and_scores(
    t, v, p: MixtureParameters, *, nodes: int = DEFAULT_NODES, t0_min, noise=None, square=None, chunk=1024
):
    """``(dens, scores)``: the component densities ``(f0, fI, fE)`` (3 × n, as
    :func:`~analysis.stats.mixture.model.component_densities`) and their derivatives in
    (τ, ν, σ_τ, σ_ν, ρ, ε, κ, δ_τ, δ_ν, c, c_other) (11 × 3 × n; zero in ε, κ, δ for the normal honest model)."""
    n = t.size
    classes = honest_classes(p)
    squares = tuple(np.broadcast_to(sq, n) for sq in (class_squares(p, noise) if square is None else square))
    jacobians, moments, log_sq = [], [], []
    for (_, honest), sq in zip(classes, squares, strict=True):
        mom, jac = _moment_jacobian(honest, noise, n)
        moments.append(mom)
        jacobians.append(jac)
        log_sq.append(_log_square_gradient(mom) / sq)
    sums = np.empty((len(classes), 3, 6, n))
    for c, mom in enumerate(moments):
        m_t, m_v, s_t, s_v, _ = mom
        sums[c, 0] = _weighted_sums(_honest_pdf(t, v, mom, squares[c]), (t - m_t) / s_t, (v - m_v) / s_v)
    for start in range(0, n, chunk):
        b = slice(start, start + chunk)
        q = fraud_nodes(
            t[b], v[b], p, nodes=nodes, t0_min=t0_min[b], noise=_take(noise, b), square=tuple(sq[b] for sq in squares)
        )
        for c, (incremental, extreme) in enumerate(q.by_class):
            m_t, m_v, s_t, s_v, _ = moments[c]
            valid = incremental + extreme > 0.0  # zeroed nodes (v0 < 0) may hold non-finite z
            zt = np.where(valid, (q.t0 - m_t[b, None]) / s_t[b, None], 0.0)
            zv = np.where(valid, (q.v0 - m_v[b, None]) / s_v[b, None], 0.0)
            sums[c, 1, :, b] = _weighted_sums(incremental, zt, zv, axis=1)
            sums[c, 2, :, b] = _weighted_sums(extreme, zt, zv, axis=1)
    class_scores = []
    for c in range(len(classes)):
        moment_scores = np.stack([_moment_scores(sums[c, k], moments[c], log_sq[c]) for k in range(3)], axis=1)
        class_scores.append(np.einsum("mcn,mkn->kcn", moment_scores, jacobians[c]))  # 7 × 3 × n
    return _combine_classes(p, sums[:, :, 0], np.stack(class_scores))


def honest_loglik(t, v, p: MixtureParameters, noise=None):
    """Log-likelihood of the honest-only model (fi = fe = 0) and its gradient in (τ, ν, σ_τ, σ_ν, ρ, ε, κ, δ_τ, δ_ν, c, c_other)."""
    classes = honest_classes(p)
    dens, scores = [], []
    for _, honest in classes:
        moments, jac = _moment_jacobian(honest, noise, t.size)
        square = _square_probability(*moments)
        f0 = _honest_pdf(t, v, moments, square)
        m_t, m_v, s_t, s_v, _ = moments
        # One class: the scores of log f0 directly (weights 1: no underflow far out in the tails).
        weight = np.ones_like(t) if len(classes) == 1 else f0
        sums = _weighted_sums(weight, (t - m_t) / s_t, (v - m_v) / s_v)
        dens.append(f0)
        scores.append(
            np.einsum("mn,mkn->kn", _moment_scores(sums, moments, _log_square_gradient(moments) / square), jac)
        )
    f, score = _combine_classes(p, np.stack(dens), np.stack(scores))
    f = np.maximum(f, _TINY)
    score = score if len(classes) == 1 else score / f
    return float(np.log(f).sum()), score.sum(axis=1)


class Likelihood:
    """Per-station log-likelihood with the component densities (and their honest-parameter
    derivatives) cached by shape parameters."""

    def __init__(self, t, v, nodes: int, noise=None):
        self.t, self.v, self.nodes, self.noise = t, v, nodes, noise
        self._t0 = {}
        self._last = (None, None)
        self._square = (None, None)

    def _square_at(self, p: MixtureParameters):
        """Honest square probabilities, cached by the honest parameters (the α and θ steps reuse them)."""
        key = (p.tau, p.nu, p.sigma_tau, p.sigma_nu, p.rho, p.epsilon, p.kappa, p.delta_tau, p.delta_nu)
        key = (*key, p.dispersion, p.dispersion_other)
        if self._square[0] != key:
            self._square = (key, class_squares(p, self.noise))
        return self._square[1]

    def _t0_min(self, alpha: float):
        if alpha not in self._t0:
            if len(self._t0) > 8:
                self._t0.clear()
            self._t0[alpha] = t0_lower(self.t, self.v, alpha)
        return self._t0[alpha]

    def evaluate(self, shape: np.ndarray):
        """``(dens, scores)`` of :func:`densities_and_scores` at the shape parameters ``vec[2:]``."""
        key = tuple(shape)
        if self._last[0] != key:
            p = MixtureParameters(0.0, 0.0, *shape)
            out = densities_and_scores(
                self.t,
                self.v,
                p,
                nodes=self.nodes,
                t0_min=self._t0_min(shape[0]),
                noise=self.noise,
                square=self._square_at(p),
            )
            self._last = (key, out)
        return self._last[1]

    def components(self, shape: np.ndarray):
        return self.evaluate(shape)[0]

    @staticmethod
    def mix(dens, fi, fe):
        return np.maximum((1.0 - fi - fe) * dens[0] + fi * dens[1] + fe * dens[2], _TINY)

    def gradient(self, vec: np.ndarray, steps: np.ndarray):
        """``(loglik, gradient)``: analytic in fi, fe and the honest parameters; forward
        differences in α and θ."""
        fi, fe = vec[0], vec[1]
        dens, scores = self.evaluate(vec[_SHAPE])
        f = self.mix(dens, fi, fe)
        ll = float(np.log(f).sum())
        grad = np.empty(_N)
        grad[0] = float(((dens[1] - dens[0]) / f).sum())
        grad[1] = float(((dens[2] - dens[0]) / f).sum())
        weights = np.array([1.0 - fi - fe, fi, fe])
        grad[_HONEST] = (np.einsum("kcn,c->kn", scores, weights) / f).sum(axis=1)
        for j in _STEPPED:
            shifted = vec.copy()
            shifted[j] += steps[j]
            fj = self.mix(self._densities(shifted[_SHAPE]), fi, fe)
            grad[j] = float(np.log(fj).sum() - ll) / steps[j]
        return ll, grad

    def _densities(self, shape):
        """Component densities without the scores and without caching (the stepped points)."""
        alpha = shape[0]
        t0 = self._t0.get(alpha)
        if t0 is None:
            t0 = self._t0_stepped(alpha)
        p = MixtureParameters(0.0, 0.0, *shape)
        dens = component_densities(
            self.t, self.v, p, nodes=self.nodes, t0_min=t0, noise=self.noise, square=self._square_at(p)
        )
        return np.vstack(dens)

    def _t0_stepped(self, alpha: float):
        """``t0_min`` at ``alpha`` one small step from the last evaluated α: the root moved by the
        implicit-function derivative of ``t0 (1 − x**α) = t (1 − v)`` (error O(step²)), not a
        fresh bisection."""
        base = None if self._last[0] is None else self._last[0][0]
        if base is None or base not in self._t0 or abs(alpha - base) > 1e-4 * max(abs(base), 1.0):
            return t0_lower(self.t, self.v, alpha)
        t0 = self._t0[base]
        x = (self.t - t0) / (1.0 - t0)
        inside = x > 0.0  # at x = 0 the slope is infinite for α < 1: the root does not move
        xs = np.where(inside, x, 1.0)
        xa = xs**base
        slope = 1.0 - xa + t0 * base * xa / xs * (1.0 - self.t) / (1.0 - t0) ** 2
        moved = t0 + (alpha - base) * t0 * xa * np.log(xs) / slope
        return np.clip(np.where(inside, moved, t0), 0.0, self.t)
