"""The honest component of the finite-mixture fraud model: normal, or a scale mixture of two normals.

``"normal"`` (Klimek et al. 2012; Mebane 2016): a station's honest turnout ``t0`` and leader share
``v0`` are bivariate normal (correlation ρ) truncated to [0, 1]², with per-station means and
variances (:func:`honest_moments`: unit shifts, count variance).

``"scale_mixture"``: the contaminated normal of Tukey (1960), ``(1 − ε) N(μ, Σ) + ε N(μ, κ² Σ)``
in the structural (between-station) covariance ``Σ`` — each station is, with probability ``ε``,
a "wide" one whose structural standard deviations are ``κ σ_τ``, ``κ σ_ν`` (its binomial count
variance is unchanged: it is known); each class truncated to [0, 1]² on its own. A normal
scale mixture has heavier tails than a normal with the same centre (Andrews & Mallows 1974; the
Student t is the continuous case). Clean elections have such tails (pl2020r1: 5 % of stations
beyond Mahalanobis distance 3, 1.1 % under a normal), which the incremental-fraud component
(small θ) otherwise absorbs. Every density of the model is built from the honest density, so
each is the ``(1 − ε, ε)``-weighted sum of the normal code at ``σ`` and at ``κ σ``
(:func:`honest_classes`).

``"shifted_mixture"``: the same with the wide class's means moved by ``(δ_τ, δ_ν)``, a general
two-component normal mixture ``(1 − ε) N(μ, Σ) + ε N(μ + δ, κ² Σ)`` (McLachlan & Peel 2000, ch. 3),
which can be skewed: within a gmina Poland's leader share has a long right tail (skewness +1.4)
and its turnout a long left one.

References
----------
Tukey, J. W. (1960). A survey of sampling from contaminated distributions. In Olkin et al. (eds.),
*Contributions to Probability and Statistics*, 448-485. Stanford University Press.
Andrews, D. F. & Mallows, C. L. (1974). Scale mixtures of normal distributions. *JRSS B* 36, 99-102.
McLachlan, G. & Peel, D. (2000). *Finite Mixture Models*. Wiley.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from scipy import special


@functools.lru_cache(maxsize=8)
def legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [0, 1]."""
    u, w = np.polynomial.legendre.leggauss(nodes)
    return 0.5 * (u + 1.0), 0.5 * w


def bivariate_normal_cdf(h, k, r):
    """P(Z1 <= h, Z2 <= k) for standard normals with correlation ``r`` (elementwise, |r| <= 0.9).

    ``Φ(h) Φ(k) + (1/2π) ∫_0^{arcsin r} exp(−(h² + k² − 2hk sin φ) / (2 cos² φ)) dφ`` (Sheppard's
    formula; Drezner & Wesolowsky 1990), by 6-node Gauss–Legendre quadrature.

    Examples
    --------
    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 6)  # 1/4 + arcsin(0.5)/(2π)
    0.333333
    """
    h, k, r = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (h, k, r)))
    return _bivariate_cdfs([(h, k)], r)[0]


def _bivariate_cdfs(corners, r):
    """:func:`bivariate_normal_cdf` at several ``(h, k)`` sharing one ``r`` (the quadrature's
    trigonometry, which depends on ``r`` only, is computed once)."""
    u, w = legendre(6)
    top = np.arcsin(r)[..., None]
    phi = top * u
    sin, half_sec2 = np.sin(phi), 0.5 / np.cos(phi) ** 2
    scale = top[..., 0] / (2.0 * np.pi)
    out = []
    for h, k in corners:
        hh, kk = h[..., None], k[..., None]
        integrand = np.exp(-(hh * hh + kk * kk - 2.0 * hh * kk * sin) * half_sec2)
        out.append(special.ndtr(h) * special.ndtr(k) + (integrand @ w) * scale)
    return out


def _square_probability(m_t, m_v, s_t, s_v, r):
    """P((t0, v0) in [0, 1]²) under the honest bivariate normal."""
    a_t, b_t, a_v, b_v = (
        np.asarray(a, dtype=float) for a in (-m_t / s_t, (1.0 - m_t) / s_t, -m_v / s_v, (1.0 - m_v) / s_v)
    )
    a_t, b_t, a_v, b_v, r = np.broadcast_arrays(a_t, b_t, a_v, b_v, np.asarray(r, dtype=float))
    bb, ab, ba, aa = _bivariate_cdfs([(b_t, b_v), (a_t, b_v), (b_t, a_v), (a_t, a_v)], r)
    return bb - ab - ba + aa


def honest_moments(p, noise=None):
    """Per-station honest means, standard deviations and correlation ``(m_τ, m_ν, s_τ, s_ν, r)``
    of one normal class (``p``'s σ's; :func:`honest_classes` gives the classes).

    ``noise = (1 / registered, 1 / voters, shift_τ, shift_ν)`` (:func:`count_noise`) moves each
    station's honest means by its unit's shift and adds the binomial variance of its counts,
    ``m (1 − m) / registered`` and ``m (1 − m) / voters``, to ``σ_τ²`` and ``σ_ν²`` (the normal
    approximation of the count densities of Mebane's code), multiplied by the overdispersion
    factor ``c = p.dispersion`` (count variance ``c`` times binomial; ``c = 1``: binomial); the
    covariance ``ρ σ_τ σ_ν`` is the structural part only. A fifth element of ``noise``, the
    stations' group (0 or 1; :func:`count_noise`), gives the stations of group 1 the factor
    ``p.dispersion_other`` instead. Without ``noise`` they are the scalars ``τ, ν, σ_τ, σ_ν, ρ``.
    """
    if noise is None:
        return p.tau, p.nu, p.sigma_tau, p.sigma_nu, p.rho
    m_t = np.clip(p.tau + noise[2], 0.005, 0.995)
    m_v = np.clip(p.nu + noise[3], 0.005, 0.995)
    c = station_dispersion(p, noise)
    s_t = np.sqrt(p.sigma_tau**2 + c * m_t * (1.0 - m_t) * noise[0])
    s_v = np.sqrt(p.sigma_nu**2 + c * m_v * (1.0 - m_v) * noise[1])
    return m_t, m_v, s_t, s_v, p.rho * p.sigma_tau * p.sigma_nu / (s_t * s_v)


def station_dispersion(p, noise):
    """Each station's count overdispersion: ``p.dispersion``, or by group (``noise[4]``, 1 for the
    other group) ``p.dispersion_other`` for the stations of group 1."""
    if len(noise) < 5:
        return p.dispersion
    return np.where(noise[4] > 0, p.dispersion_other, p.dispersion)


def honest_classes(p) -> list:
    """The honest model's normal classes ``[(weight, parameters)]``: ``p`` itself (normal, ``κ = 1``),
    or ``(1 − ε, p at σ)`` and ``(ε, p at κ σ)`` (scale mixture; listed even at ``ε = 0``, where the
    likelihood's derivative in ε needs the wide class)."""
    if p.kappa == 1.0:
        return [(1.0, p)]
    narrow = dataclasses.replace(p, epsilon=0.0, kappa=1.0)
    wide = dataclasses.replace(
        narrow,
        tau=p.tau + p.delta_tau,
        nu=p.nu + p.delta_nu,
        sigma_tau=p.kappa * p.sigma_tau,
        sigma_nu=p.kappa * p.sigma_nu,
    )
    return [(1.0 - p.epsilon, narrow), (p.epsilon, wide)]


def class_squares(p, noise=None) -> tuple:
    """P([0, 1]²) of each honest class (:func:`honest_classes`), per station with ``noise``."""
    return tuple(_square_probability(*honest_moments(c, noise)) for _, c in honest_classes(p))


def _honest_pdf(t0, v0, moments, square=None):
    """Bivariate normal density of the honest ``(t0, v0)`` truncated to [0, 1]² (``square``: the
    square's probability, computed here unless given)."""
    m_t, m_v, s_t, s_v, r = moments
    square = _square_probability(*moments) if square is None else square
    zt, zv = (t0 - m_t) / s_t, (v0 - m_v) / s_v
    one_r2 = 1.0 - r * r
    norm = 2.0 * np.pi * s_t * s_v * np.sqrt(one_r2) * square
    return np.exp(-0.5 * (zt * zt - 2.0 * r * zt * zv + zv * zv) / one_r2) / norm


def honest_density(t, v, p, noise=None, square=None):
    """Density of the honest component at ``(t, v)``: the weighted sum of its classes' truncated
    bivariate normals (see :func:`honest_moments` for ``noise``; ``square``: :func:`class_squares`).

    Examples
    --------
    >>> from analysis.stats.mixture.model import MixtureParameters
    >>> p = MixtureParameters(0.0, 0.0, 1.0, 0.5, 0.5, 0.1, 0.1, 0.1, epsilon=0.2, kappa=3.0)
    >>> narrow = MixtureParameters(0.0, 0.0, 1.0, 0.5, 0.5, 0.1, 0.1, 0.1)
    >>> wide = MixtureParameters(0.0, 0.0, 1.0, 0.5, 0.5, 0.3, 0.3, 0.1)
    >>> mixed = 0.8 * honest_density(0.7, 0.6, narrow) + 0.2 * honest_density(0.7, 0.6, wide)
    >>> bool(np.isclose(honest_density(0.7, 0.6, p), mixed))
    True
    """
    squares = class_squares(p, noise) if square is None else square
    return sum(
        w * _honest_pdf(t, v, honest_moments(c, noise), sq)
        for (w, c), sq in zip(honest_classes(p), squares, strict=True)
    )


def count_noise(registered=None, voters=None, *, shift_t=None, shift_v=None, n=None, group=None):
    """``(1 / registered, 1 / voters, shift_τ, shift_ν)`` for :func:`honest_moments` (zeros for
    what is not given; None when nothing is), and the stations' overdispersion group (0 or 1) as
    a fifth element when ``group`` is given."""
    given = [a for a in (registered, voters, shift_t, shift_v) if a is not None]
    if not given:
        return None
    n = np.asarray(given[0]).size if n is None else n
    inverse = [
        np.zeros(n) if a is None else 1.0 / np.maximum(np.asarray(a, dtype=float), 1.0) for a in (registered, voters)
    ]
    shifts = [np.zeros(n) if a is None else np.asarray(a, dtype=float) for a in (shift_t, shift_v)]
    if group is None:
        return (*inverse, *shifts)
    return (*inverse, *shifts, np.asarray(group, dtype=float))


def honest_draws(rng, p, n: int, noise=None):
    """Honest ``(t0, v0)`` of ``n`` stations: each station's class drawn with the classes' weights
    (no draw for the normal model, so its stream is unchanged), then its bivariate normal
    (per-station sds with ``noise``), truncated to [0, 1]² by redrawing the stations outside."""
    classes = honest_classes(p)
    moments = [np.broadcast_to(a, n) for a in honest_moments(classes[0][1], noise)]
    if len(classes) > 1:
        wide = rng.random(n) < p.epsilon
        wide_moments = honest_moments(classes[1][1], noise)
        moments = [np.where(wide, b, a) for a, b in zip(moments, wide_moments, strict=True)]
    m_t, m_v, s_t, s_v, r = moments
    t0, v0 = np.empty(n), np.empty(n)
    todo = np.arange(n)
    while todo.size:
        z1, z2 = rng.standard_normal((2, todo.size))
        t0[todo] = m_t[todo] + s_t[todo] * z1
        v0[todo] = m_v[todo] + s_v[todo] * (r[todo] * z1 + np.sqrt(1.0 - r[todo] ** 2) * z2)
        todo = todo[(t0[todo] < 0) | (t0[todo] > 1) | (v0[todo] < 0) | (v0[todo] > 1)]
    return t0, v0
