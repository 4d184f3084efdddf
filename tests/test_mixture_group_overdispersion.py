"""Count overdispersion by station group (``overdispersion="by_group"``) of the finite-mixture
fraud model: elections whose small institution-like stations scatter more than the ordinary
ones, with counts drawn beta-binomially (not from the model's normal approximation)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.stats.mixture import MixtureParameters, fit_fraud_mixture, simulate
from analysis.stats.mixture.likelihood import _HONEST, Likelihood, honest_loglik
from analysis.stats.mixture.model import clip_rates, count_noise, forward_map

C_ORDINARY, C_INSTITUTION = 2.0, 8.0


def _beta_binomial(rng, n, mean, c):
    """Counts with mean ``n · mean`` and variance ``c`` times the binomial one: beta-binomial with
    ``a + b = (n − c)/(c − 1)`` (intra-class correlation ``(c − 1)/(n − 1)``); ``c`` per station."""
    concentration = (n - c) / (c - 1.0)
    p = rng.beta(mean * concentration, (1.0 - mean) * concentration)
    return rng.binomial(n.astype(int), p)


def _two_group_election(n_stations, seed, fi=0.0, fe=0.0):
    """A tenth of the stations institution-like (40–200 registered, count variance 8 × binomial),
    the rest ordinary (300–2500 registered, 2 × binomial). Honest (t0, v0) from the model's
    structural normal, the turnout and leader counts drawn beta-binomially around them (the
    model's honest rates carry the count noise), then fraud as the model's. A station's c is
    capped at half its count (a beta-binomial needs c < n)."""
    rng = np.random.default_rng(seed)
    institution = rng.random(n_stations) < 0.1
    registered = np.where(institution, rng.integers(40, 200, n_stations), rng.integers(300, 2500, n_stations))
    registered = registered.astype(float)
    c = np.where(institution, C_INSTITUTION, C_ORDINARY)
    sim = simulate(MixtureParameters(fi, fe, 2.0, 0.6, 0.45, 0.04, 0.05, 0.3, -0.4), n_stations, seed=seed)
    t0 = np.clip(sim.honest_turnout, 1e-3, 1 - 1e-3)
    voters = np.maximum(_beta_binomial(rng, registered, t0, np.minimum(c, registered / 2)), 4).astype(float)
    v0 = np.clip(sim.honest_share, 1e-3, 1 - 1e-3)
    leader = _beta_binomial(rng, voters, v0, np.minimum(c, voters / 2))
    t, v = forward_map(voters / registered, leader / voters, sim.intensity, 2.0)
    voters = np.maximum(np.round(t * registered), 1.0)
    return voters / registered, np.round(v * voters) / voters, registered, voters, institution


def test_group_overdispersion_gradient_matches_central_differences():
    """The analytic scores in c and c_other (mixture and honest-only) against central differences
    of the log-likelihood, with unit shifts, ρ ≠ 0 and the scale mixture's two classes."""
    rng = np.random.default_rng(1)
    n = 300
    registered = rng.integers(30, 1500, n)
    t, v = rng.uniform(0.3, 0.9, n), rng.uniform(0.2, 0.8, n)
    voters = np.maximum(np.round(t * registered), 1)
    t, v = clip_rates(t, v, registered, voters)
    shifts = rng.normal(0.0, 0.02, (2, n))
    noise = count_noise(registered, voters, shift_t=shifts[0], shift_v=shifts[1], group=rng.random(n) < 0.3)
    steps = np.full(15, 1e-6)

    def mixture_ll(vec):
        return Likelihood(t, v, 12, noise).gradient(vec, steps)[0]

    def honest_ll(vec):
        return honest_loglik(t, v, MixtureParameters.from_vector(vec), noise)[0]

    for epsilon, kappa in ((0.0, 1.0), (0.1, 2.5)):
        p = MixtureParameters(0.1, 0.02, 1.7, 0.6, 0.45, 0.06, 0.07, 0.2, 0.3, epsilon, kappa, 0, 0, 3.0, 9.0)
        vec = p.vector()
        _, grad = Likelihood(t, v, 12, noise).gradient(vec, steps)
        _, honest_grad = honest_loglik(t, v, p, noise)
        for j in (13, 14):
            up, down = vec.copy(), vec.copy()
            up[j] += 1e-6
            down[j] -= 1e-6
            assert grad[j] == pytest.approx((mixture_ll(up) - mixture_ll(down)) / 2e-6, rel=1e-5)
            assert honest_grad[_HONEST.index(j)] == pytest.approx((honest_ll(up) - honest_ll(down)) / 2e-6, rel=1e-5)


def test_clean_election_recovers_both_overdispersions_and_no_fraud():
    """Clean stations with beta-binomial counts, institution-like ones 8 × binomial, ordinary ones
    2 ×: both c's within three standard errors of the truth (the ordinary c within 25 %: 1.64 ±
    0.31 in development, and 1.65–1.92 on three fraud elections of this design, a low bias of
    about one standard error; the institutions' 8.46 ± 0.66), the no-fraud model selected with
    fi's interval from 0. The single c, pulled between the groups (5.3), fits worse."""
    t, v, registered, voters, institution = _two_group_election(2500, 11)
    res = fit_fraud_mixture(t, v, registered, voters, overdispersion="by_group", groups=institution, min_intensity=1.0)
    se = res.standard_errors
    for name, truth in (("dispersion", C_ORDINARY), ("dispersion_other", C_INSTITUTION)):
        assert getattr(res, name) == pytest.approx(truth, rel=0.25)
        assert abs(getattr(res, name) - truth) < 3 * se[name]
    assert res.no_fraud_selected and res.fi_low == 0.0 and res.fi <= 0.02
    assert res.fe_low == 0.0
    single = fit_fraud_mixture(t, v, registered, voters, overdispersion="fitted", min_intensity=1.0)
    assert single.dispersion_other == 1.0 and res.loglik > single.loglik


def test_fraud_is_recovered_with_group_overdispersion():
    """Fraud (fi = 0.12, fe = 0.01, α = 2) in stations drawn from the model itself (count
    variance 2 × binomial for the ordinary stations, 8 × for the institution-like tenth, in the
    model's normal approximation): fi, fe, α inside their intervals, both c's within three
    standard errors. (With beta-binomial counts, docs/fraud_mixture.md, one of fi and α fell
    outside its interval on two of three seeds, with either overdispersion option: the
    approximation's, not the groups'.)"""
    _, _, registered, _, institution = _two_group_election(2500, 12)
    truth = MixtureParameters(0.12, 0.01, 2.0, 0.6, 0.45, 0.04, 0.05, 0.3, -0.4, dispersion=2.0, dispersion_other=8.0)
    voters = 0.6 * registered
    sim = simulate(truth, 2500, seed=12, context=count_noise(registered, voters, group=institution))
    res = fit_fraud_mixture(
        sim.turnout,
        sim.leader_share,
        registered,
        voters,
        overdispersion="by_group",
        groups=institution,
        min_intensity=1.0,
    )
    assert res.converged and not res.no_fraud_selected
    assert res.fi_low <= 0.12 <= res.fi_high
    assert res.fe_low <= 0.01 <= res.fe_high
    assert res.alpha_low <= 2.0 <= res.alpha_high
    se = res.standard_errors
    assert abs(res.dispersion - 2.0) < 3 * se["dispersion"]
    assert abs(res.dispersion_other - 8.0) < 3 * se["dispersion_other"]


def test_one_group_is_the_single_overdispersion_and_options_are_checked():
    """All stations in one group: ``"by_group"`` is ``"fitted"`` (the same fit, c_other pinned at
    1); groups are required with ``"by_group"`` only, one per station."""
    t, v, registered, voters, _ = _two_group_election(400, 13)
    options = {"min_intensity": 1.0, "prefit_stations": 300}
    single = fit_fraud_mixture(t, v, registered, voters, overdispersion="fitted", **options)
    grouped = fit_fraud_mixture(
        t, v, registered, voters, overdispersion="by_group", groups=np.zeros(t.size, bool), **options
    )
    assert grouped.parameters == single.parameters and grouped.dispersion_other == 1.0
    with pytest.raises(ValueError, match="groups"):
        fit_fraud_mixture(t, v, registered, voters, overdispersion="by_group")
    with pytest.raises(ValueError, match="groups"):
        fit_fraud_mixture(t, v, registered, voters, groups=np.zeros(t.size, bool))
    with pytest.raises(ValueError, match="one entry per station"):
        fit_fraud_mixture(t, v, registered, voters, overdispersion="by_group", groups=np.zeros(3, bool))
