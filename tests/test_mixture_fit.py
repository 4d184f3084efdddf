"""Maximum-likelihood fit of the finite-mixture fraud model: recovery, interval coverage, zero on
clean elections, posterior expectations, and Mebane & Kalinin's published ru2011 estimates."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.core import canonical
from analysis.stats import measures
from analysis.stats.distributions import station_measures
from analysis.stats.mixture import (
    MixtureParameters,
    clip_rates,
    expected_fraud_votes,
    fit_fraud_mixture,
    honest_misfit,
    simulate,
    station_posterior,
)

HONEST = {"tau": 0.6, "nu": 0.45, "sigma_tau": 0.1, "sigma_nu": 0.12, "theta": 0.3}


def _params(fi, fe, alpha):
    return MixtureParameters(fi=fi, fe=fe, alpha=alpha, **HONEST)


@pytest.mark.parametrize(
    ("fi", "fe", "alpha", "seed"),
    [(0.0, 0.0, 2.0, 5), (0.1, 0.01, 1.7, 5), (0.3, 0.0, 2.5, 5), (0.0, 0.03, 2.0, 6)],
)
def test_recovery_within_intervals(fi, fe, alpha, seed):
    sim = simulate(_params(fi, fe, alpha), 2000, seed=seed)
    res = fit_fraud_mixture(sim.turnout, sim.leader_share)
    assert res.converged
    assert res.fi_low <= fi <= res.fi_high
    assert res.fe_low <= fe <= res.fe_high
    if fi + fe > 0:
        assert res.alpha_low <= alpha <= res.alpha_high
    assert res.tau == pytest.approx(0.6, abs=0.02)
    assert res.nu == pytest.approx(0.45, abs=0.02)


@pytest.mark.slow
def test_interval_coverage_at_nominal_rate():
    """20 small elections at fi = 0.15: the 95 % intervals of fi and of the expected fraudulent
    votes (their estimand: the posterior expectation at the true parameters) cover the truth at
    least as often as the 0.5 % quantile of Binomial(20, 0.95)."""
    reps, level = 20, 0.95
    floor = stats.binom.ppf(0.005, reps, level)
    covered_fi = covered_votes = 0
    for rep in range(reps):
        sim = simulate(_params(0.15, 0.02, 2.0), 800, seed=100 + rep)
        res = fit_fraud_mixture(sim.turnout, sim.leader_share, seed=rep)
        covered_fi += res.fi_low <= 0.15 <= res.fi_high
        registered = np.full(sim.turnout.size, 1000.0)
        votes = expected_fraud_votes(res, sim.turnout, sim.leader_share, registered)
        # The interval's estimand: the expected fraudulent votes given the data at the true parameters.
        t, v = clip_rates(sim.turnout, sim.leader_share)
        true_votes = station_posterior(_params(0.15, 0.02, 2.0), t, v, registered).fraud_votes.sum()
        covered_votes += votes.expected_fraud_votes_low <= true_votes <= votes.expected_fraud_votes_high
    assert covered_fi >= floor, (covered_fi, floor)
    assert covered_votes >= floor, (covered_votes, floor)


@pytest.mark.parametrize("seed", [11, 13])
def test_clean_synthetic_election_gives_no_fraud(seed):
    """fi <= 0.02 with an interval from 0. Seeds 11 and 13 are ones where the unrestricted fi
    runs far along the flat ridge (incremental fraud with θ → 0 is the honest distribution);
    the likelihood-ratio test of no fraud does not reject, so the no-fraud model is reported."""
    sim = simulate(_params(0.0, 0.0, 2.0), 2000, seed=seed)
    res = fit_fraud_mixture(sim.turnout, sim.leader_share)
    assert res.no_fraud_selected
    assert res.lr_pvalue > 0.05
    assert res.fi <= 0.02
    assert res.fi_low == 0.0 <= res.fi_high
    assert res.fe_low == 0.0
    assert res.tau == pytest.approx(0.6, abs=0.01)


def test_no_fraud_upper_bounds_invert_the_likelihood_ratio():
    """Where no fraud is selected, fi and fe get profile-likelihood upper bounds (mixture.profile).
    fe's has a closed form: with no station near (100 %, 100 %) the extreme component's density
    vanishes at every station, ℓ_p(f) = ℓ_max + n log(1 − f), and the one-sided 95 % bound
    (χ²₁ at 0.90: Self & Liang 1987) is 1 − exp(−2.706 / 2n). The Wald bound of the unrestricted
    fit said little here (fi's was the whole range 1 on 12 of 16 clean 1,000-station elections)."""
    n = 1500
    sim = simulate(_params(0.0, 0.0, 2.0), n, seed=7)
    res = fit_fraud_mixture(sim.turnout, sim.leader_share, min_intensity=1.0)
    assert res.no_fraud_selected
    q = stats.chi2.ppf(0.90, df=1)
    assert res.fe_high == pytest.approx(1 - np.exp(-q / (2 * n)), rel=0.01)
    assert res.fi_low == 0.0 and 0.0 < res.fi_high < 0.1
    # Without a minimum intensity fi is not identified under no fraud (θ → 0 is the honest
    # distribution): ℓ_p is flat in fi and the bound runs to the whole range.
    flat = fit_fraud_mixture(sim.turnout, sim.leader_share)
    assert flat.no_fraud_selected and flat.fi_high > 0.5


def test_likelihood_ratio_rejects_no_fraud_when_there_is_fraud():
    sim = simulate(_params(0.1, 0.01, 2.0), 2000, seed=31)
    res = fit_fraud_mixture(sim.turnout, sim.leader_share)
    assert res.lr_pvalue < 1e-6
    assert not res.no_fraud_selected
    assert res.unrestricted == res.parameters


def _realised_fraud_votes(sim, registered):
    """Manufactured (registered × (t − t0)) and stolen (registered × (t0 (1 − v0) − t (1 − v))) votes of a simulation."""
    manufactured = (registered * (sim.turnout - sim.honest_turnout)).sum()
    stolen = (registered * (sim.honest_turnout * (1 - sim.honest_share) - sim.turnout * (1 - sim.leader_share))).sum()
    return manufactured, stolen


@pytest.mark.parametrize(
    ("sigma_tau", "sigma_nu", "identified"),
    # Compact honest spread: most incremental stations leave the honest cloud, fi is identified.
    # Wide honest spread at θ = 0.3: most incremental stations move by less than σ_τ and stay inside
    # the cloud, so fi trades against the honest spread and ρ (fi 0.11–0.27 for a true 0.2 on seeds
    # 21–23, each inside its wide interval); what the data identify is the fraudulent votes.
    [(0.05, 0.06, True), (0.1, 0.12, False)],
)
def test_expected_votes_and_posteriors_follow_the_simulated_fraud(sigma_tau, sigma_nu, identified):
    """Posterior probabilities separate the simulated components; the expected fraudulent votes'
    interval covers the realised fraudulent votes and their estimand (the posterior expectation at
    the true parameters), which recovers the realised manufactured and stolen votes; where the
    honest spread lets the fraud stand out, fi and the vote totals are recovered within 15 %."""
    true = MixtureParameters(0.2, 0.03, 2.0, 0.6, 0.45, sigma_tau, sigma_nu, 0.3)
    sim = simulate(true, 3000, seed=21)
    registered = np.full(sim.turnout.size, 1000.0)
    res = fit_fraud_mixture(sim.turnout, sim.leader_share)
    votes = expected_fraud_votes(res, sim.turnout, sim.leader_share, registered)
    post = votes.stations
    manufactured, stolen = _realised_fraud_votes(sim, registered)
    t, v = clip_rates(sim.turnout, sim.leader_share)
    at_truth = station_posterior(true, t, v, registered)
    # The posterior expectation at the true parameters recovers the realised votes (no fit involved).
    assert at_truth.manufactured.sum() == pytest.approx(manufactured, rel=0.03)
    assert at_truth.stolen.sum() == pytest.approx(stolen, rel=0.03)
    assert res.fi_low <= 0.2 <= res.fi_high
    assert res.fe_low <= 0.03 <= res.fe_high
    assert votes.expected_fraud_votes_low <= at_truth.fraud_votes.sum() <= votes.expected_fraud_votes_high
    assert votes.expected_fraud_votes_low <= manufactured + stolen <= votes.expected_fraud_votes_high
    fraud = post.p_incremental + post.p_extreme
    assert fraud[sim.component == 2].mean() > 0.9
    assert post.p_extreme[sim.component == 2].mean() > 0.5
    assert post.p_extreme[sim.component == 0].mean() < 0.01
    assert post.p_incremental[sim.component == 1].mean() > 1.5 * post.p_incremental[sim.component == 0].mean()
    assert votes.expected_incremental_stations == pytest.approx(post.p_incremental.sum())
    if identified:
        assert res.fi == pytest.approx(0.2, rel=0.15)
        assert votes.expected_manufactured_votes == pytest.approx(manufactured, rel=0.1)
        assert votes.expected_stolen_votes == pytest.approx(stolen, rel=0.1)
        assert votes.expected_fraud_votes == pytest.approx(manufactured + stolen, rel=0.05)


def _districts(n, seed):
    """80 districts whose honest turnout and share means differ (sd 0.06 and 0.08), and station
    sizes from 80 to 2,000 registered voters: the heterogeneity of a real election."""
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, 80, n)
    shift_t, shift_v = rng.normal(0, 0.06, 80)[unit], rng.normal(0, 0.08, 80)[unit]
    registered = rng.integers(80, 2000, n).astype(float)
    return unit, shift_t, shift_v, registered


@pytest.mark.parametrize(("fi", "fe"), [(0.0, 0.0), (0.12, 0.01)])
def test_recovery_with_district_means_correlation_and_count_variance(fi, fe):
    """Stations simulated with district-shifted, correlated honest means and binomial count
    variance: the fit centred on the district medians recovers fi and fe (and finds none on the
    clean election)."""
    unit, shift_t, shift_v, registered = _districts(3000, 4)
    p = MixtureParameters(fi, fe, 2.0, 0.6, 0.45, 0.06, 0.07, 0.2, -0.4)
    voters = registered * 0.6
    sim = simulate(p, 3000, seed=8, registered=registered, voters=voters, shift_t=shift_t, shift_v=shift_v)
    res = fit_fraud_mixture(sim.turnout, sim.leader_share, registered, voters, unit=unit)
    assert res.fi_low <= fi <= res.fi_high
    assert res.fe_low <= fe <= res.fe_high
    assert res.rho == pytest.approx(-0.4, abs=0.15)
    if fi == 0:
        assert res.fi <= 0.02 and res.fi_low == 0.0


def test_too_few_stations_is_an_error():
    with pytest.raises(ValueError, match="at least 20"):
        fit_fraud_mixture(np.full(5, 0.5), np.full(5, 0.5))


def _real(processed_election, election, leader):
    stations, votes = processed_election(election)
    m = station_measures(stations, measures.leader_votes(stations, votes, leader))
    keep = ~np.isin(m.station_type.astype(str), canonical.PSEUDO_STATION_TYPES)
    region = np.asarray(m.region).astype(str)
    district = np.char.add(region, "|" + stations["district"].astype(str).to_numpy()[m.index])
    args = (m.turnout[keep], m.leader_share[keep], m.registered[keep], m.voters[keep])
    return args, district[keep]


@pytest.mark.dataset
@pytest.mark.slow
def test_pl2020r1_clean_control_has_little_fraud(processed_election):
    """Poland 2020 (first round), the clean control: with honest means centred on the district
    (gmina) medians, correlated, with count variance, fi <= 0.025 (docs/fraud_mixture.md: the
    residual ~2 % is the honest distribution's skew, not fraud; with one national honest
    distribution fi was 0.997)."""
    args, district = _real(processed_election, "pl2020r1", "Duda")
    res = fit_fraud_mixture(*args, unit=district, seed=20110403)
    assert res.converged
    assert res.fi <= 0.025
    assert res.fe <= 0.002


@pytest.mark.dataset
@pytest.mark.slow
def test_ru2011_against_mebane_kalinin(processed_election):
    """Mebane & Kalinin's ru2011 finite-mixture fit: fi = 0.1209, fe = 0.003226, α = 1.756,
    τ = 0.606, ν = 0.481 (dkobak/elections mebane-kalinin.txt), one national honest
    distribution. Ours, centred on district medians, must find fraud (no-fraud rejected, fi's
    interval away from 0); fe within 20 % of theirs, and the documented difference on fi
    (docs/fraud_mixture.md) is asserted."""
    args, district = _real(processed_election, "ru2011", "United Russia")
    res = fit_fraud_mixture(*args, unit=district, seed=20110403)
    assert res.converged
    assert res.n_stations > 90000
    assert res.lr_pvalue < 1e-10 and not res.no_fraud_selected
    assert res.fi_low > 0.02
    # fe agrees with theirs (0.0033 in development, 2 % off); fi is a third of theirs: centred on
    # district medians, fraud that moves a whole district is honest to our model.
    assert res.fe == pytest.approx(0.003226, rel=0.2)
    assert res.fi < 0.5 * 0.1209


@pytest.mark.dataset
@pytest.mark.slow
def test_pl2020r1_and_ru2011_with_overdispersion_and_minimum_intensity(processed_election):
    """Notebook 09's defaults (count overdispersion fitted, minimum intensity one honest sd): the
    clean control's fi <= 0.02 (0.0063 in development, its interval still above 0) with c well
    above 1 (7.6), and on ru2011 fraud is found, fe within 20 % of Mebane & Kalinin's
    (docs/fraud_mixture.md, "Count overdispersion and a minimum fraud intensity")."""
    options = {"overdispersion": "fitted", "min_intensity": 1.0, "seed": 20110403}
    args, district = _real(processed_election, "pl2020r1", "Duda")
    pl = fit_fraud_mixture(*args, unit=district, **options)
    assert pl.converged and pl.fi <= 0.02 and pl.dispersion > 2.0
    args, district = _real(processed_election, "ru2011", "United Russia")
    ru = fit_fraud_mixture(*args, unit=district, **options)
    assert ru.lr_pvalue < 1e-10 and ru.fi_low > 0.02
    assert ru.fe == pytest.approx(0.003226, rel=0.2)


def _heavy_tailed(fi, fe, n, seed):
    """Stations whose honest spread is Tukey's contaminated normal: a tenth of them three times
    wider (binomial count variance on top), with fraud injected at (fi, fe)."""
    rng = np.random.default_rng(seed)
    registered = rng.integers(80, 2000, n).astype(float)
    p = MixtureParameters(fi, fe, 2.0, 0.6, 0.45, 0.06, 0.07, 0.2, -0.4, epsilon=0.1, kappa=3.0)
    sim = simulate(p, n, seed=seed, registered=registered, voters=0.6 * registered)
    return sim, registered


def test_heavy_tailed_clean_election_normal_model_invents_fraud_scale_mixture_does_not():
    """Clean stations with heavy-tailed honest spread: the normal honest model rejects no fraud
    and puts fi's interval above 0 (the incremental component absorbs the tails); the scale
    mixture reports no fraud and recovers ε and κ."""
    sim, registered = _heavy_tailed(0.0, 0.0, 2500, 1)
    args = (sim.turnout, sim.leader_share, registered, 0.6 * registered)
    normal = fit_fraud_mixture(*args)
    assert normal.lr_pvalue < 1e-6 and normal.fi_low > 0.0
    # ... and the misfit diagnostic says so: the stations the invented component takes lie in the
    # leader-share tail without a turnout excess, and most of its "fraud votes" are stolen, not
    # manufactured (as on pl2020r1; docs/fraud_mixture.md).
    votes = expected_fraud_votes(normal, *args[:3], voters=args[3])
    misfit = honest_misfit(
        normal.parameters, *clip_rates(*args), votes.stations, registered, noise=normal.honest_context
    )
    assert not misfit.turnout_excess and misfit.manufactured_share < 0.5
    assert misfit.share_beyond_3 > 2 * misfit.normal_share_beyond_3
    mixed = fit_fraud_mixture(*args, honest="scale_mixture")
    assert mixed.no_fraud_selected and mixed.fi == 0.0 and mixed.fi_low == 0.0
    assert mixed.epsilon == pytest.approx(0.1, abs=0.05)
    assert mixed.kappa == pytest.approx(3.0, abs=0.6)


def test_heavy_tailed_fraud_is_recovered_by_the_scale_mixture():
    sim, registered = _heavy_tailed(0.12, 0.01, 2500, 1)
    res = fit_fraud_mixture(sim.turnout, sim.leader_share, registered, 0.6 * registered, honest="scale_mixture")
    assert res.converged and not res.no_fraud_selected
    assert res.fi_low <= 0.12 <= res.fi_high
    assert res.fe_low <= 0.01 <= res.fe_high
    assert res.alpha_low <= 2.0 <= res.alpha_high


def test_unknown_honest_model_is_an_error():
    with pytest.raises(ValueError, match="honest must be one of"):
        fit_fraud_mixture(np.full(30, 0.5), np.full(30, 0.5), honest="student")
