"""Honest-model misfit diagnostics of the finite-mixture fraud model (analysis.stats.mixture.diagnostics)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.stats.mixture import (
    MixtureParameters,
    clip_rates,
    expected_fraud_votes,
    fit_fraud_mixture,
    honest_misfit,
    simulate,
    station_posterior,
)


def test_tail_share_of_a_scale_mixture_matches_its_chi_square_mixture():
    """Clean stations from Tukey's contaminated normal (ε = 0.1, κ = 3), standardised by the narrow
    class: P(d > 3) = 0.9 exp(−9/2) + 0.1 exp(−9/(2 κ²)) (d²/κ² ~ χ²₂ in the wide class), within
    four binomial standard errors; the narrow-class reference is exp(−9/2)."""
    p = MixtureParameters(0.0, 0.0, 2.0, 0.6, 0.45, 0.04, 0.05, 0.2, 0.3, epsilon=0.1, kappa=3.0)
    n = 40000
    sim = simulate(p, n, seed=2)
    registered = np.full(n, 1000.0)
    post = station_posterior(p, sim.turnout, sim.leader_share, registered)
    res = honest_misfit(p, sim.turnout, sim.leader_share, post, registered)
    expected = 0.9 * np.exp(-4.5) + 0.1 * np.exp(-4.5 / 9.0)
    assert res.share_beyond_3 == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / n))
    assert res.normal_share_beyond_3 == pytest.approx(stats.chi2.sf(9.0, 2))
    # Symmetric; the sample skewness of a κ = 3 mixture varies more than a normal's (its variance
    # grows with the sixth moment), and the truncation to [0, 1] trims the wide tails.
    assert abs(res.skewness_turnout) < 0.25 and abs(res.skewness_share) < 0.25
    assert res.high_p_stations == 0 and np.isnan(res.high_p_median_z_share) and res.by_group == {}


def test_incremental_stations_lie_at_a_turnout_excess_and_small_stations_are_not_singled_out():
    """Simulated incremental fraud (fi = 0.15, θ = 0.3, α = 2: stuffing with less stealing) at the
    true parameters: the stations the component takes have turnout above their honest mean
    (median z_τ > 1), the manufactured votes are most of the fraudulent ones (stealing x**2 < x),
    and with equal counts noise by size P(incremental) does not depend on the station size."""
    p = MixtureParameters(0.15, 0.0, 2.0, 0.6, 0.45, 0.05, 0.06, 0.3)
    n = 20000
    sim = simulate(p, n, seed=4)
    registered = np.random.default_rng(4).integers(200, 3000, n).astype(float)
    post = station_posterior(p, sim.turnout, sim.leader_share, registered)
    groups = np.where(sim.component == 1, "incremental", "other")
    res = honest_misfit(p, sim.turnout, sim.leader_share, post, registered, groups=groups)
    assert res.high_p_stations > 0.5 * 0.15 * n
    # By group: the counts add up, and at the true parameters the posterior is calibrated: of the
    # stations taken, the truly incremental ones number sum(P) within four binomial sd's.
    assert sum(g[0] for g in res.by_group.values()) == n
    assert sum(g[2] for g in res.by_group.values()) == res.high_p_stations
    taken = post.p_incremental[post.p_incremental > 0.5]
    sd = np.sqrt((taken * (1 - taken)).sum())
    assert res.by_group["incremental"][2] == pytest.approx(taken.sum(), abs=4 * sd)
    assert res.by_group["incremental"][1] > 5 * res.by_group["other"][1]
    assert res.high_p_median_z_turnout > 1.0
    assert res.manufactured_share > 0.5
    assert res.p_incremental_smallest_fifth == pytest.approx(res.p_incremental_largest_fifth, abs=0.02)
    assert res.skewness_turnout > 0.5  # fraud moves turnout to the right


def test_fraud_in_heavy_tailed_stations_reads_as_a_turnout_excess():
    """The counterpart of the clean heavy-tailed election in test_mixture_fit.py (where the normal
    honest model invents fraud and the diagnostic reads no turnout excess): with fraud injected
    (fi = 0.12, fe = 0.01, α = 2) the normal model's incremental stations lie at a turnout excess
    and most of the fraudulent votes are manufactured."""
    rng = np.random.default_rng(1)
    registered = rng.integers(80, 2000, 2500).astype(float)
    p = MixtureParameters(0.12, 0.01, 2.0, 0.6, 0.45, 0.06, 0.07, 0.2, -0.4, epsilon=0.1, kappa=3.0)
    sim = simulate(p, 2500, seed=1, registered=registered, voters=0.6 * registered)
    args = (sim.turnout, sim.leader_share, registered, 0.6 * registered)
    res = fit_fraud_mixture(*args)
    votes = expected_fraud_votes(res, *args[:3], voters=args[3])
    misfit = honest_misfit(res.parameters, *clip_rates(*args), votes.stations, registered, noise=res.honest_context)
    assert misfit.turnout_excess
    assert misfit.high_p_median_z_turnout > 1.0 and misfit.manufactured_share > 0.5
