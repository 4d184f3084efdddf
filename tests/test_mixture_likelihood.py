"""The mixture log-likelihood's analytic gradient (fi, fe and the honest parameters) against
central differences of the log-likelihood itself."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.stats.mixture.likelihood import Likelihood, honest_loglik
from analysis.stats.mixture.model import MixtureParameters, clip_rates, count_noise, simulate, t0_lower


def _loglik(lik, vec):
    return float(np.log(lik.mix(lik._densities(vec[2:]), vec[0], vec[1])).sum())


@pytest.mark.parametrize(("with_noise", "scale_mixture"), [(False, False), (True, False), (True, True)])
# scale_mixture: ε, κ and the wide class's mean shifts δ_τ, δ_ν (the shifted mixture; δ = 0 is the scale mixture)
def test_gradient_matches_central_differences(with_noise, scale_mixture):
    rng = np.random.default_rng(4)
    n = 400
    registered = rng.integers(50, 3000, n).astype(float)
    shift_t, shift_v = rng.normal(0, 0.05, n), rng.normal(0, 0.05, n)
    truth = MixtureParameters(0.2, 0.03, 1.8, 0.55, 0.45, 0.09, 0.11, 0.15, -0.3)
    if scale_mixture:
        truth = MixtureParameters(*truth.vector()[:9], epsilon=0.1, kappa=3.0)
    sim = simulate(truth, n, seed=2, registered=registered, voters=0.6 * registered, shift_t=shift_t, shift_v=shift_v)
    t, v = clip_rates(sim.turnout, sim.leader_share)
    noise = count_noise(registered, 0.6 * registered, shift_t=shift_t, shift_v=shift_v) if with_noise else None
    lik = Likelihood(t, v, 12, noise)
    # Means near the edges and wide spreads: the truncation to [0, 1]² matters (square probability ~ 0.5).
    # The honest scale mixture (ε, κ) or the normal model (ε = 0, κ = 1: one class, zero derivative in ε, κ).
    honest = (0.15, 2.5, -0.05, 0.08) if scale_mixture else (0.0, 1.0, 0.0, 0.0)
    # The count overdispersion c (last) away from 1 where there is count variance: c multiplies it.
    vec = np.array([0.15, 0.04, 2.1, 0.85, 0.25, 0.25, 0.3, 0.2, 0.5, *honest, 2.5 if with_noise else 1.0])
    _, grad = lik.gradient(vec, 1e-6 * np.ones(vec.size))
    if not scale_mixture:
        assert (grad[9:13] == 0.0).all()
    if not with_noise:
        assert grad[13] == 0.0
    for j in (0, 1, 3, 4, 5, 6, 8, *((9, 10, 11, 12) if scale_mixture else ()), *((13,) if with_noise else ())):
        h = 1e-5
        up, down = vec.copy(), vec.copy()
        up[j] += h
        down[j] -= h
        central = (_loglik(lik, up) - _loglik(lik, down)) / (2 * h)
        assert grad[j] == pytest.approx(central, rel=1e-5, abs=1e-4), j


@pytest.mark.parametrize("scale", [(), (0.15, 2.5), (0.15, 2.5, 0.06, -0.04), (0.15, 2.5, 0.06, -0.04, 3.0)])
def test_honest_loglik_gradient_matches_central_differences(scale):
    rng = np.random.default_rng(7)
    n = 500
    registered = rng.integers(50, 3000, n).astype(float)
    shift_t, shift_v = rng.normal(0, 0.05, n), rng.normal(0, 0.05, n)
    sim = simulate(MixtureParameters(0.0, 0.0, 2.0, 0.6, 0.5, 0.1, 0.1, 0.2, 0.4), n, seed=3, registered=registered)
    t, v = clip_rates(sim.turnout, sim.leader_share)
    noise = count_noise(registered, 0.6 * registered, shift_t=shift_t, shift_v=shift_v)
    # truncation matters; ε, κ of the scale mixture, δ of the shifted one, the count overdispersion c
    honest = np.array([0.85, 0.25, 0.25, 0.3, 0.5, *scale])

    def loglik(y):
        return honest_loglik(t, v, MixtureParameters(0.0, 0.0, 1.0, *y[:4], 0.1, *y[4:]), noise)

    grad = loglik(honest)[1]
    for j in range(honest.size):
        step = np.zeros(honest.size)
        step[j] = 1e-5
        central = (loglik(honest + step)[0] - loglik(honest - step)[0]) / 2e-5
        assert grad[j] == pytest.approx(central, rel=1e-5, abs=1e-4), j


@pytest.mark.parametrize("alpha", [0.6, 0.87, 2.0])
def test_stepped_t0_min_matches_bisection(alpha):
    """The α step's lower integration limit (moved by the implicit-function derivative) is the
    bisection root to within the step's square."""
    sim = simulate(MixtureParameters(0.3, 0.05, alpha, 0.6, 0.5, 0.1, 0.1, 0.2), 2000, seed=5)
    t, v = clip_rates(sim.turnout, sim.leader_share)
    lik = Likelihood(t, v, 12)
    vec = np.array([0.3, 0.05, alpha, 0.6, 0.5, 0.1, 0.1, 0.2, 0.0])
    lik.evaluate(vec[2:])
    step = 1e-6 * alpha
    moved = lik._t0_stepped(alpha + step)
    exact = t0_lower(t, v, alpha + step)
    assert np.abs(moved - exact).max() < 1e-11
    assert np.abs(lik._t0[alpha] - exact).max() > 1e-9  # the step does move the root
