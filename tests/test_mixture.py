"""The finite-mixture fraud model's density: change of variables, Jacobian, quadrature, simulation.

Independent checks: the Jacobian against numerical differentiation of the maps; the quadrature
over the honest turnout against ``scipy.integrate.quad`` over the fraud intensity ``x`` (the
other variable of integration, with the forward map's Jacobian); each component density
integrating to 1; the simulator against the density.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from analysis.stats.mixture.model import (
    EXTREME_WIDTH,
    MixtureParameters,
    bivariate_normal_cdf,
    component_densities,
    count_noise,
    forward_map,
    inverse_map,
    simulate,
    t0_lower,
)

P = MixtureParameters(0.3, 0.05, 1.8, 0.6, 0.5, 0.12, 0.13, 0.15, -0.3)


def test_inverse_map_inverts_forward_map():
    rng = np.random.default_rng(0)
    t0, v0, x = rng.uniform(0.05, 0.95, (3, 200))
    for alpha in (0.6, 1.8, 4.0):
        t, v = forward_map(t0, v0, x, alpha)
        x_back, v0_back, _ = inverse_map(t, v, t0, alpha)
        np.testing.assert_allclose(x_back, x, atol=1e-12)
        np.testing.assert_allclose(v0_back, v0, atol=1e-10)


@pytest.mark.parametrize("alpha", [0.7, 1.8, 3.5])
def test_jacobian_matches_numerical_differentiation(alpha):
    """|∂(x, v0)/∂(t, v)| at fixed t0 (the quadrature's Jacobian), and its link to the forward
    map's determinant |∂(t, v)/∂(t0, v0)| = (1 − x) t0 (1 − x**α) / t at fixed x."""
    h = 1e-6
    for t0, v0, x in [(0.5, 0.4, 0.2), (0.7, 0.3, 0.6), (0.3, 0.8, 0.05), (0.9, 0.5, 0.95)]:
        t, v = forward_map(t0, v0, x, alpha)
        _, _, jac = inverse_map(t, v, t0, alpha)

        def inv(tt, vv, t0=t0):
            xx, vv0, _ = inverse_map(tt, vv, t0, alpha)
            return np.array([xx, vv0])

        d_t = (inv(t + h, v) - inv(t - h, v)) / (2 * h)
        d_v = (inv(t, v + h) - inv(t, v - h)) / (2 * h)
        assert abs(d_t[0] * d_v[1] - d_t[1] * d_v[0]) == pytest.approx(jac, rel=1e-6)

        def fwd(a, b, x=x):
            return np.array(forward_map(a, b, x, alpha))

        f_t0 = (fwd(t0 + h, v0) - fwd(t0 - h, v0)) / (2 * h)
        f_v0 = (fwd(t0, v0 + h) - fwd(t0, v0 - h)) / (2 * h)
        det = abs(f_t0[0] * f_v0[1] - f_t0[1] * f_v0[0])
        assert det == pytest.approx((1 - x) * t0 * (1 - x**alpha) / t, rel=1e-6)


def test_bivariate_normal_cdf_matches_scipy():
    rng = np.random.default_rng(3)
    h, k = rng.normal(0, 2, (2, 30))
    r = rng.uniform(-0.9, 0.9, 30)
    ref = [stats.multivariate_normal([0, 0], [[1, c], [c, 1]]).cdf([a, b]) for a, b, c in zip(h, k, r, strict=True)]
    np.testing.assert_allclose(bivariate_normal_cdf(h, k, r), ref, atol=1e-6)


def test_t0_lower_is_where_the_honest_share_reaches_zero():
    rng = np.random.default_rng(1)
    t, v = rng.uniform(0.02, 0.98, (2, 500))
    for alpha in (0.5, 1.0, 2.5):
        root = t0_lower(t, v, alpha)
        _, v0, _ = inverse_map(t, v, root, alpha)
        np.testing.assert_allclose(v0, 0.0, atol=1e-9)
        assert np.all((root > 0) & (root <= t))


def _reference_density(t, v, p: MixtureParameters, extreme: bool, n_reg=np.inf, n_vot=np.inf) -> float:
    """∫ g(x) f(t0(x), v0(x)) t / ((1 − x) t0 (1 − x**α)) dx by adaptive quadrature in x, with
    ``f`` scipy's bivariate normal (sds widened by the binomial variance of ``n_reg``, ``n_vot``)."""
    s_t = np.sqrt(p.sigma_tau**2 + p.tau * (1 - p.tau) / n_reg)
    s_v = np.sqrt(p.sigma_nu**2 + p.nu * (1 - p.nu) / n_vot)
    cov = p.rho * p.sigma_tau * p.sigma_nu
    honest = stats.multivariate_normal([p.tau, p.nu], [[s_t**2, cov], [cov, s_v**2]])
    square = honest.cdf([1, 1]) - honest.cdf([0, 1]) - honest.cdf([1, 0]) + honest.cdf([0, 0])
    width = EXTREME_WIDTH if extreme else p.theta
    g_norm = 2 * special.ndtr(1 / width) - 1

    def integrand(x):
        t0 = 1 - (1 - t) / (1 - x)
        if t0 <= 0:
            return 0.0
        xa = x**p.alpha
        v0 = 1 - t * (1 - v) / (t0 * (1 - xa))
        if v0 < 0:
            return 0.0
        g = 2 * stats.norm.pdf((1 - x) if extreme else x, scale=width) / g_norm
        f = honest.pdf([t0, v0]) / square
        return g * f * t / ((1 - x) * t0 * (1 - xa))

    return integrate.quad(integrand, 0.0, t, limit=400, epsabs=1e-12, epsrel=1e-10, points=[0.5 * t])[0]


@pytest.mark.parametrize(("theta", "rho", "size"), [(0.03, 0.0, np.inf), (0.15, -0.4, 300.0), (0.5, 0.3, np.inf)])
def test_quadrature_matches_adaptive_integration_over_the_intensity(theta, rho, size):
    p = MixtureParameters(0.3, 0.05, 1.8, 0.6, 0.5, 0.12, 0.13, theta, rho)
    points = [(0.62, 0.55), (0.75, 0.7), (0.9, 0.85), (0.97, 0.95), (0.999, 0.998), (0.5, 0.3), (0.85, 0.4)]
    t = np.array([a for a, _ in points])
    v = np.array([b for _, b in points])
    noise = None if np.isinf(size) else count_noise(np.full(t.size, size), np.full(t.size, 0.6 * size))
    _, f_inc, f_ext = component_densities(t, v, p, noise=noise)
    ref_inc = np.array([_reference_density(a, b, p, False, size, 0.6 * size) for a, b in points])
    ref_ext = np.array([_reference_density(a, b, p, True, size, 0.6 * size) for a, b in points])
    scale_inc, scale_ext = max(ref_inc.max(), 1e-3), max(ref_ext.max(), 1e-3)
    np.testing.assert_allclose(f_inc, ref_inc, rtol=1e-3, atol=1e-4 * scale_inc)
    np.testing.assert_allclose(f_ext, ref_ext, rtol=1e-3, atol=1e-4 * scale_ext)


@pytest.mark.parametrize("scale", [(), (0.2, 3.0)])
def test_each_component_density_integrates_to_one(scale):
    """Normal honest model, and the scale mixture (ε, κ): each class is truncated on its own."""
    grid = (np.arange(500) + 0.5) / 500
    t, v = (a.ravel() for a in np.meshgrid(grid, grid, indexing="ij"))
    f0, f_inc, f_ext = component_densities(t, v, MixtureParameters(*P.vector()[:9], *scale))
    assert f0.mean() == pytest.approx(1.0, abs=1e-4)
    assert f_inc.mean() == pytest.approx(1.0, abs=2e-3)
    # The extreme component piles up in the corner (1, 1); the midpoint rule there is coarse.
    assert f_ext.mean() == pytest.approx(1.0, abs=2e-2)


@pytest.mark.parametrize("scale", [(), (0.2, 2.5), (0.2, 2.5, -0.05, 0.08)])
def test_simulation_matches_the_density(scale):
    """Cell probabilities of simulated stations against the density integrated over the cells
    (normal honest model, and the scale mixture with a fifth of the stations 2.5 times wider)."""
    p = MixtureParameters(0.3, 0.05, 1.8, 0.6, 0.5, 0.12, 0.13, 0.15, -0.3, *scale)
    sim = simulate(p, 40000, seed=7)
    t, v, component = sim.turnout, sim.leader_share, sim.component
    assert (component == 1).mean() == pytest.approx(0.3, abs=0.01)
    if not scale:  # (the wide class's truncation to [0, 1]² weakens the correlation)
        assert np.corrcoef(sim.honest_turnout, sim.honest_share)[0, 1] == pytest.approx(-0.3, abs=0.03)
    edges = np.linspace(0, 1, 11)
    observed, _, _ = np.histogram2d(t, v, bins=[edges, edges])
    fine = (np.arange(200) + 0.5) / 200
    tt, vv = (a.ravel() for a in np.meshgrid(fine, fine, indexing="ij"))
    f0, f_inc, f_ext = component_densities(tt, vv, p)
    dens = ((1 - p.fi - p.fe) * f0 + p.fi * f_inc + p.fe * f_ext).reshape(200, 200) / 200**2
    expected = dens.reshape(10, 20, 10, 20).sum(axis=(1, 3)) * t.size
    big = expected > 50
    chi2 = float((((observed - expected) ** 2) / expected)[big].sum())
    assert chi2 < stats.chi2.ppf(0.999, big.sum())
