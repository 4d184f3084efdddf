"""The mixture log-likelihood's analytic gradient (fi, fe and the honest parameters) against
central differences of the log-likelihood itself."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.stats.mixture.likelihood import Likelihood, honest_loglik
from analysis.stats.mixture.model import MixtureParameters, clip_rates, count_noise, simulate


def _loglik(lik, vec):
    return float(np.log(lik.mix(lik._densities(vec[2:]), vec[0], vec[1])).sum())


@pytest.mark.parametrize("with_noise", [False, True])
def test_gradient_matches_central_differences(with_noise):
    rng = np.random.default_rng(4)
    n = 400
    registered = rng.integers(50, 3000, n).astype(float)
    shift_t, shift_v = rng.normal(0, 0.05, n), rng.normal(0, 0.05, n)
    truth = MixtureParameters(0.2, 0.03, 1.8, 0.55, 0.45, 0.09, 0.11, 0.15, -0.3)
    sim = simulate(truth, n, seed=2, registered=registered, voters=0.6 * registered, shift_t=shift_t, shift_v=shift_v)
    t, v = clip_rates(sim.turnout, sim.leader_share)
    noise = count_noise(registered, 0.6 * registered, shift_t=shift_t, shift_v=shift_v) if with_noise else None
    lik = Likelihood(t, v, 12, noise)
    # Means near the edges and wide spreads: the truncation to [0, 1]² matters (square probability ~ 0.5).
    vec = np.array([0.15, 0.04, 2.1, 0.85, 0.25, 0.25, 0.3, 0.2, 0.5])
    _, grad = lik.gradient(vec, 1e-6 * np.ones(vec.size))
    for j in (0, 1, 3, 4, 5, 6, 8):
        h = 1e-5
        up, down = vec.copy(), vec.copy()
        up[j] += h
        down[j] -= h
        central = (_loglik(lik, up) - _loglik(lik, down)) / (2 * h)
        assert grad[j] == pytest.approx(central, rel=1e-5, abs=1e-4), j


def test_honest_loglik_gradient_matches_central_differences():
    rng = np.random.default_rng(7)
    n = 500
    registered = rng.integers(50, 3000, n).astype(float)
    shift_t, shift_v = rng.normal(0, 0.05, n), rng.normal(0, 0.05, n)
    sim = simulate(MixtureParameters(0.0, 0.0, 2.0, 0.6, 0.5, 0.1, 0.1, 0.2, 0.4), n, seed=3, registered=registered)
    t, v = clip_rates(sim.turnout, sim.leader_share)
    noise = count_noise(registered, 0.6 * registered, shift_t=shift_t, shift_v=shift_v)
    honest = np.array([0.85, 0.25, 0.25, 0.3, 0.5])  # truncation matters

    def loglik(y):
        return honest_loglik(t, v, MixtureParameters(0.0, 0.0, 1.0, *y[:4], 0.1, y[4]), noise)

    grad = loglik(honest)[1]
    for j in range(5):
        step = np.zeros(5)
        step[j] = 1e-5
        central = (loglik(honest + step)[0] - loglik(honest - step)[0]) / 2e-5
        assert grad[j] == pytest.approx(central, rel=1e-5, abs=1e-4), j
