"""The finite-mixture fraud model: parameters, forward map, Jacobian, density by quadrature, simulation.

Klimek et al. (2012, SI) as a likelihood (Mebane 2016): a station's honest turnout ``t0`` and
leader share ``v0`` are bivariate normal (correlation ρ) truncated to [0, 1]², with per-station
means and variances (:func:`honest_moments`: unit shifts, count variance), or a scale mixture of two
such normals (:mod:`.honest`); incremental fraud (probability
``fi``) draws an intensity ``x ~ |N(0, θ)|``, extreme fraud (``fe``) ``x ~ 1 − |N(0, 0.075)|`` (both
truncated to [0, 1]); a fraction ``x`` of the non-voters is counted for the leader and a fraction
``x**α`` of the other candidates' votes is moved to the leader:

    t = t0 + x (1 − t0),      t v = t0 v0 + x (1 − t0) + x**α t0 (1 − v0).

The density of the observed ``(t, v)`` of a fraud component integrates over the intensity. We
integrate over the honest turnout ``t0`` instead of ``x`` (for fixed ``t0`` the map
``(t, v) → (x, v0)`` is one-to-one):

    x  = (t − t0) / (1 − t0),          1 − v0 = t (1 − v) / (t0 (1 − x**α)),
    |∂(x, v0)/∂(t, v)| = t / (t0 (1 − t0) (1 − x**α)),
    p(t, v) = ∫ f_T(t0) f_V(v0) g(x) t / (t0 (1 − t0) (1 − x**α)) dt0,   t0 ∈ [t0_min, t],

where ``t0_min`` is where ``v0`` reaches 0 (the opposition votes cannot all have been stolen).
The integral is done by fixed Gauss–Legendre quadrature on two panels split where ``x`` leaves
the bulk of ``g`` (``x = 5θ`` for incremental, ``x = 1 − 5θ`` for extreme), so a narrow ``g`` is
resolved as well as the honest peak; everything is a stations × nodes array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from analysis.stats.mixture.honest import (  # noqa: F401  (bivariate_normal_cdf, count_noise: re-exported)
    _honest_pdf,
    bivariate_normal_cdf,
    class_squares,
    count_noise,
    honest_classes,
    honest_density,
    honest_draws,
    honest_moments,
    legendre,
)

#: Parameter names in the order of the fit's vectors.
PARAMETER_NAMES = (
    "fi",
    "fe",
    "alpha",
    "tau",
    "nu",
    "sigma_tau",
    "sigma_nu",
    "theta",
    "rho",
    "epsilon",
    "kappa",
    "delta_tau",
    "delta_nu",
    "dispersion",
    "dispersion_other",
)
#: Width of the extreme-fraud intensity ``x = 1 − |N(0, 0.075)|``, fixed as in Mebane's
#: finite-mixture code (EFToolkit ``ComputeFiniteMixtureModel``: ``dconvE(..., 0, 0.075, ...)``).
EXTREME_WIDTH = 0.075
#: Gauss–Legendre nodes per panel (three panels, shared by both fraud components).
DEFAULT_NODES = 12
_SPLIT = 5.0  # g's bulk: |N(0, θ)| below 5θ
_SQRT2PI = np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class MixtureParameters:
    """Parameters of the finite-mixture fraud model (Klimek et al. 2012; Mebane 2016).

    Attributes
    ----------
    fi, fe : float
        Probabilities of incremental and extreme fraud (``fi + fe <= 1``).
    alpha : float
        Exponent of vote stealing: a fraction ``x**alpha`` of the opposition's votes moves.
    tau, nu : float
        Means of the honest turnout and leader share (normal, truncated to [0, 1]).
    sigma_tau, sigma_nu : float
        Their standard deviations.
    theta : float
        Width of the incremental fraud intensity ``|N(0, theta)|`` (the extreme one has the
        fixed width :data:`EXTREME_WIDTH`).
    rho : float
        Correlation of the honest turnout and leader share (bivariate normal; 0 by default).
    epsilon, kappa : float
        Honest scale mixture (:mod:`.honest`): a share ``epsilon`` of the stations has its
        structural honest standard deviations widened by ``kappa``; ``kappa = 1`` (default) is
        the normal honest model.
    delta_tau, delta_nu : float
        Shift of the wide class's means (``honest="shifted_mixture"``: a skewed honest model);
        0 for the normal model and the scale mixture.
    dispersion : float
        Overdispersion factor ``c`` of the counts: each station's count variance is ``c`` times
        the binomial one (:func:`~analysis.stats.mixture.honest.honest_moments`); 1 (default) is
        binomial, as in Mebane's count densities; with groups (``overdispersion="by_group"``) the
        ``c`` of the first group (ordinary stations).
    dispersion_other : float
        ``c`` of the stations of the other group (``overdispersion="by_group"``: institutions and
        other special station types); 1 (default) and unused without groups.
    """

    fi: float
    fe: float
    alpha: float
    tau: float
    nu: float
    sigma_tau: float
    sigma_nu: float
    theta: float
    rho: float = 0.0
    epsilon: float = 0.0
    kappa: float = 1.0
    delta_tau: float = 0.0
    delta_nu: float = 0.0
    dispersion: float = 1.0
    dispersion_other: float = 1.0

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in PARAMETER_NAMES], dtype=float)

    @classmethod
    def from_vector(cls, values) -> MixtureParameters:
        return cls(*(float(v) for v in values))


def forward_map(t0, v0, x, alpha):
    """Observed ``(t, v)`` of a station with honest ``(t0, v0)`` and fraud intensity ``x``.

    Examples
    --------
    >>> forward_map(0.5, 0.4, 0.2, 2.0)
    (0.6, 0.52)
    """
    t0, v0, x = (np.asarray(a, dtype=float) for a in (t0, v0, x))
    t = t0 + x * (1.0 - t0)
    won = t0 * v0 + x * (1.0 - t0) + x**alpha * t0 * (1.0 - v0)
    return (t.item(), (won / t).item()) if t.ndim == 0 else (t, won / t)


def inverse_map(t, v, t0, alpha):
    """``(x, v0)`` with ``forward_map(t0, v0, x, alpha) == (t, v)``, and ``|∂(x, v0)/∂(t, v)|``.

    Examples
    --------
    >>> x, v0, jac = inverse_map(0.6, 0.52, 0.5, 2.0)
    >>> round(float(x), 6), round(float(v0), 6)
    (0.2, 0.4)
    """
    x = (t - t0) / (1.0 - t0)
    stolen_kept = 1.0 - x**alpha
    one_minus_v0 = t * (1.0 - v) / (t0 * stolen_kept)
    jacobian = t / (t0 * (1.0 - t0) * stolen_kept)
    return x, 1.0 - one_minus_v0, jacobian


def t0_lower(t, v, alpha: float, *, iterations: int = 45):
    """Smallest honest turnout ``t0_min`` that can produce ``(t, v)``: ``t0 (1 − x**α) = t (1 − v)``.

    ``h(t0) = t0 (1 − x(t0)**α)`` increases from 0 at ``t0 = 0`` to ``t`` at ``t0 = t``, so the
    root is found by vectorised bisection (robust for any α; Newton steps stall where ``x**α``
    has an infinite slope, α < 1).
    """
    target = t * (1.0 - v)
    lo, hi = np.zeros_like(t), np.array(t, dtype=float)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        x = (t - mid) / (1.0 - mid)
        above = mid * (1.0 - x**alpha) >= target
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return hi


def node_positions(t, t0_min, theta: float, nodes: int = DEFAULT_NODES):
    """Honest turnouts ``t0`` (stations × 3 ``nodes``) and their Gauss–Legendre weights.

    Three panels of ``[t0_min, t]``, split where ``x`` leaves the bulk of the incremental
    (``x = 5θ``) and extreme (``x = 1 − 5 · 0.075``) intensity densities, so each narrow bump of ``g``
    and the honest peak are resolved by the same nodes.
    """
    u, w = legendre(nodes)
    xs = sorted((min(_SPLIT * theta, 0.99), max(1.0 - _SPLIT * EXTREME_WIDTH, 0.0)))
    # t0 decreases as x increases: the larger x split gives the lower t0 split.
    edges = [t0_min] + [np.clip((t - x) / (1.0 - x), t0_min, t) for x in reversed(xs)] + [t]
    for i in range(1, len(edges)):
        edges[i] = np.maximum(edges[i], edges[i - 1])
    t0 = np.concatenate([a[:, None] + (b - a)[:, None] * u for a, b in zip(edges[:-1], edges[1:])], axis=1)
    weight = np.concatenate([(b - a)[:, None] * w for a, b in zip(edges[:-1], edges[1:])], axis=1)
    return t0, weight


def _g_norm(theta: float) -> float:
    """Normalising factor of ``|N(0, θ)|`` truncated to [0, 1]: ``g(x) = c exp(−x²/(2θ²))``."""
    return 2.0 / (theta * _SQRT2PI * (2.0 * special.ndtr(1.0 / theta) - 1.0))


@dataclass(frozen=True)
class FraudNodes:
    """Quadrature of both fraud components (stations × nodes arrays).

    ``incremental`` and ``extreme`` are the integrand times the node weight: their row sums
    are the component densities; ``t0``, ``v0`` are the honest rates at the nodes and ``x``
    the fraud intensity. ``by_class`` holds ``(incremental, extreme)`` of each honest class
    (:func:`~analysis.stats.mixture.honest.honest_classes`), unweighted: ``incremental`` is their
    sum with the classes' weights.
    """

    incremental: np.ndarray
    extreme: np.ndarray
    t0: np.ndarray
    v0: np.ndarray
    x: np.ndarray
    by_class: tuple = ()


def _column(a):
    return np.asarray(a)[:, None] if np.ndim(a) else a


def fraud_nodes(
    t, v, p: MixtureParameters, *, nodes: int = DEFAULT_NODES, t0_min=None, noise=None, square=None
) -> FraudNodes:
    """Integrands of the incremental and extreme fraud densities at the quadrature nodes
    (``square``: :func:`~analysis.stats.mixture.honest.class_squares`, when already known)."""
    t0_min = t0_lower(t, v, p.alpha) if t0_min is None else t0_min
    t0, weight = node_positions(t, t0_min, p.theta, nodes)
    x, v0, jacobian = inverse_map(t[:, None], v[:, None], t0, p.alpha)
    x = np.clip(x, 0.0, 1.0)
    g_incremental = np.exp(-0.5 * x * x / p.theta**2)
    g_extreme = np.exp(-0.5 * (1.0 - x) ** 2 / EXTREME_WIDTH**2)
    classes = honest_classes(p)
    squares = class_squares(p, noise) if square is None else square
    by_class = []
    for (_, honest), sq in zip(classes, squares, strict=True):
        moments = tuple(_column(a) for a in honest_moments(honest, noise))
        base = _honest_pdf(t0, v0, moments, _column(sq)) * jacobian * weight
        base = np.where(np.isfinite(base) & (v0 >= 0.0), base, 0.0)
        by_class.append((base * _g_norm(p.theta) * g_incremental, base * _g_norm(EXTREME_WIDTH) * g_extreme))
    if len(classes) == 1:
        incremental, extreme = by_class[0]
    else:
        incremental = sum(w * c[0] for (w, _), c in zip(classes, by_class, strict=True))
        extreme = sum(w * c[1] for (w, _), c in zip(classes, by_class, strict=True))
    return FraudNodes(incremental, extreme, t0, v0, x, tuple(by_class))


def component_densities(
    t, v, p: MixtureParameters, *, nodes: int = DEFAULT_NODES, t0_min=None, noise=None, square=None, chunk: int = 1024
):
    """``(f0, fI, fE)``: each station's density under honest, incremental and extreme fraud.

    ``t, v`` must lie strictly inside (0, 1) (see :func:`clip_rates`). Stations are taken in
    blocks of ``chunk`` so the stations × nodes temporaries stay in cache (same numbers).
    ``square``: the honest classes' square probabilities
    (:func:`~analysis.stats.mixture.honest.class_squares`), when already known (they depend on
    the honest parameters only).
    """
    t0_min = t0_lower(t, v, p.alpha) if t0_min is None else t0_min
    squares = class_squares(p, noise) if square is None else square
    squares = tuple(np.broadcast_to(sq, t.shape) for sq in squares)
    fi, fe = np.empty_like(t), np.empty_like(t)
    for start in range(0, t.size, chunk):
        b = slice(start, start + chunk)
        q = fraud_nodes(
            t[b], v[b], p, nodes=nodes, t0_min=t0_min[b], noise=_take(noise, b), square=tuple(sq[b] for sq in squares)
        )
        fi[b], fe[b] = q.incremental.sum(axis=1), q.extreme.sum(axis=1)
    return honest_density(t, v, p, noise, squares), fi, fe


def unit_shifts(t, v, unit):
    """Per-station offsets of the honest means: the median turnout and leader share of the
    station's unit (region, district) minus the national medians."""
    labels, inverse = np.unique(np.asarray(unit), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    shifts = []
    for x in (np.asarray(t, dtype=float), np.asarray(v, dtype=float)):
        medians = np.array([np.median(g) for g in np.split(x[order], bounds)])
        shifts.append(medians[inverse] - np.median(x))
    return shifts[0], shifts[1]


def _take(noise, index):
    return None if noise is None else tuple(a[index] for a in noise)


def clip_rates(turnout, leader_share, registered=None, voters=None):
    """Rates moved inside (0, 1) by half a ballot (a rate of exactly 1 stands for the last
    half-ballot interval of its count); ``1e-4`` where the sizes are not given."""
    t = np.asarray(turnout, dtype=float)
    v = np.asarray(leader_share, dtype=float)
    et = 1e-4 if registered is None else 0.5 / np.maximum(np.asarray(registered, dtype=float), 1.0)
    ev = 1e-4 if voters is None else 0.5 / np.maximum(np.asarray(voters, dtype=float), 1.0)
    return np.clip(t, et, 1.0 - et), np.clip(v, ev, 1.0 - ev)


def _half_normal(rng, width: float, n: int):
    """``|N(0, width)|`` truncated to [0, 1], by its inverse CDF."""
    u = 0.5 + 0.5 * rng.random(n) * (2.0 * special.ndtr(1.0 / width) - 1.0)
    return np.minimum(np.abs(special.ndtri(u)) * width, 1.0)


@dataclass(frozen=True)
class SimulatedStations:
    """Stations drawn from the model: observed and honest rates, component and intensity.

    ``component`` is 0 (honest), 1 (incremental) or 2 (extreme).
    """

    turnout: np.ndarray
    leader_share: np.ndarray
    component: np.ndarray
    honest_turnout: np.ndarray
    honest_share: np.ndarray
    intensity: np.ndarray


def simulate(
    p: MixtureParameters,
    n_stations: int,
    seed=None,
    *,
    registered=None,
    voters=None,
    shift_t=None,
    shift_v=None,
    context=None,
) -> SimulatedStations:
    """Draw ``n_stations`` stations from the model (rates; with ``registered`` and ``voters``
    the honest spread includes their binomial variance, ``shift_t``, ``shift_v`` move each
    station's honest means: :func:`honest_moments`; or ``context``, a fit's ``honest_context``,
    with ``n_stations`` a multiple of its length: the fitted model on the fitted stations).

    Examples
    --------
    >>> p = MixtureParameters(0.2, 0.05, 2.0, 0.6, 0.5, 0.1, 0.1, 0.1)
    >>> sim = simulate(p, 1000, seed=1)
    >>> sim.turnout.shape, bool(((sim.turnout >= 0) & (sim.turnout <= 1)).all()), round(float((sim.component == 1).mean()), 1)
    ((1000,), True, 0.2)
    """
    rng = np.random.default_rng(seed)
    if context is not None:
        context = tuple(np.tile(a, n_stations // len(a)) for a in context)
    else:
        context = count_noise(registered, voters, shift_t=shift_t, shift_v=shift_v)
    t0, v0 = honest_draws(rng, p, n_stations, context)
    u = rng.random(n_stations)
    component = np.where(u < p.fi, 1, np.where(u < p.fi + p.fe, 2, 0))
    incremental = _half_normal(rng, p.theta, n_stations)
    extreme = 1.0 - _half_normal(rng, EXTREME_WIDTH, n_stations)
    x = np.where(component == 1, incremental, np.where(component == 2, extreme, 0.0))
    t, v = forward_map(t0, v0, x, p.alpha)
    return SimulatedStations(t, v, component, t0, v0, x)
