"""Integer-percentage spikes (Kobak et al. 2016), exact Poisson-binomial null, Rozenas RKD."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.core import registry
from analysis.stats import measures
from analysis.stats import montecarlo as MC
from analysis.stats import poisson_binomial as PB
from analysis.stats import spikes as S
from analysis.stats.spikes import rozenas as R
from analysis.synthetic import simulate

# ------------------------------------------------------------------ integer percentages


@pytest.mark.parametrize(
    "k, n, expected",
    [
        (1, 2000, True),  # 0.05 %: on the boundary, inclusive
        (21, 2000, True),  # 1.05 %: floating point would say 0.0500000000000000444 > 0.05
        (22, 2000, False),  # 1.10 %
        (1, 4, True),  # 25 %
        (1, 3, False),  # 33.33 %
        (2, 3, False),  # 66.67 %
        (333, 1000, False),  # 33.3 %
        (0, 17, True),  # 0 %
        (17, 17, True),  # 100 %
        (501, 1000, False),  # 50.1 %: 0.1 from the integer
        (5005, 10000, True),  # 50.05 %
        (5006, 10000, False),  # 50.06 %
    ],
)
def test_is_integer_percentage_hand_cases(k, n, expected):
    assert bool(S.is_integer_percentage(k, n)) is expected


def test_is_integer_percentage_matches_float_definition_off_boundary():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 5000, 20000)
    k = rng.integers(0, n + 1)
    p = 100 * k / n
    dist = np.abs(p - np.round(p))
    off_boundary = np.abs(dist - 0.05) > 1e-9
    assert off_boundary.sum() > 19000
    np.testing.assert_array_equal(S.is_integer_percentage(k, n)[off_boundary], (dist <= 0.05)[off_boundary])


def test_integer_probability_equals_brute_force_pmf_sum():
    rng = np.random.default_rng(1)
    n = np.concatenate([np.arange(1, 60), rng.integers(60, 4000, 300), [5000, 12000]])
    p = rng.uniform(0, 1, n.size)
    p[:5] = [0.0, 1.0, 1e-6, 1 - 1e-6, 0.5]
    got = S.integer_probability(n, p, max_elements=5000)  # small chunks exercise the chunking
    expected = np.empty(n.size)
    for i, (ni, pi) in enumerate(zip(n, p)):
        k = np.arange(ni + 1)
        expected[i] = stats.binom.pmf(k, ni, pi)[S.is_integer_percentage(k, ni)].sum()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-13)
    # a station of 3 voters lands on an integer only at 0 % or 100 %: (1-p)^3 + p^3
    np.testing.assert_allclose(S.integer_probability([3], [0.3]), [0.7**3 + 0.3**3], rtol=1e-12)


def test_integer_probability_two_decimal_scale_equals_brute_force():
    rng = np.random.default_rng(10)
    n = rng.integers(500, 30_000, 40)
    p = rng.uniform(0.01, 0.99, 40)
    got = S.integer_probability(n, p, scale=10_000)
    for i, (ni, pi) in enumerate(zip(n, p)):
        k = np.arange(ni + 1)
        expected = stats.binom.pmf(k, ni, pi)[S.is_integer_percentage(k, ni, scale=10_000)].sum()
        assert got[i] == pytest.approx(expected, rel=1e-9, abs=1e-13)
    # 1 of 200,000 = 0.0005 % = 0.05 hundredths: on the boundary, inclusive; 1 of 190,000 is 0.0526
    assert S.is_integer_percentage(1, 200_000, scale=10_000) and not S.is_integer_percentage(1, 190_000, scale=10_000)
    assert not S.is_integer_percentage(4_315, 100_000, scale=10_000)  # 4.315 % = 431.5 hundredths
    assert S.is_integer_percentage(43_100, 1_000_000, scale=10_000)  # 4.31 %


def test_integer_probability_validates_input():
    with pytest.raises(ValueError, match="positive"):
        S.integer_probability([0], [0.5])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        S.integer_probability([10], [1.5])


# ------------------------------------------------------------------ Poisson-binomial


def _dp_pmf(q):
    pmf = np.array([1.0])
    for qi in q:
        pmf = np.convolve(pmf, [1 - qi, qi])
    return pmf


def test_poisson_binomial_sf_matches_dynamic_programming_including_far_tail():
    rng = np.random.default_rng(2)
    q = rng.uniform(0.02, 0.3, 400)
    pmf = _dp_pmf(q)
    np.testing.assert_allclose(PB._product_tree_pmf(q), pmf, atol=1e-14)
    for k in [0, 30, 60, int(q.sum()), 90, 120, 160, 200]:
        expected = pmf[k:].sum()
        got = PB.poisson_binomial_sf(k, q)
        assert got == pytest.approx(expected, rel=1e-7, abs=1e-300), k
    # far tail (about 1e-40): plain summation of the DP pmf is still exact there
    assert PB.poisson_binomial_sf(180, q) == pytest.approx(pmf[180:].sum(), rel=1e-6)
    assert pmf[180:].sum() < 1e-30


def test_truncated_product_tree_matches_dynamic_programming_on_5000_stations():
    # large enough that the upper tree levels are cut to their Bernstein windows
    rng = np.random.default_rng(12)
    q = rng.uniform(0.02, 0.3, 5000)
    pmf = _dp_pmf(q)
    np.testing.assert_allclose(PB._product_tree_pmf(q), pmf, rtol=0, atol=1e-14)
    mean = q.sum()
    for k in [int(mean) - 50, int(mean), int(mean) + 60, int(mean) + 150]:
        assert PB.poisson_binomial_sf(k, q) == pytest.approx(pmf[k:].sum(), rel=1e-8), k


def test_poisson_binomial_equal_probabilities_is_binomial():
    q = np.full(1000, 0.1)
    for k in [80, 100, 130, 180]:
        assert PB.poisson_binomial_sf(k, q) == pytest.approx(stats.binom.sf(k - 1, 1000, 0.1), rel=1e-8)
    r = PB.poisson_binomial_test(130, q)
    assert r.mean == pytest.approx(100) and r.variance == pytest.approx(90) and r.excess == pytest.approx(30)


def test_poisson_binomial_edge_cases():
    q = np.array([0.0, 1.0, 0.5])
    assert PB.poisson_binomial_sf(0, q) == 1.0
    assert PB.poisson_binomial_sf(1, q) == 1.0  # the sure station
    assert PB.poisson_binomial_sf(2, q) == pytest.approx(0.5)
    assert PB.poisson_binomial_sf(3, q) == 0.0  # only two stations can be integer


def test_poisson_binomial_lower_and_two_sided_tails_match_dynamic_programming():
    rng = np.random.default_rng(13)
    q = rng.uniform(0.02, 0.3, 300)
    pmf = _dp_pmf(q)
    for k in [5, 20, int(q.sum()), 60]:
        less = PB.poisson_binomial_test(k, q, alternative="less")
        assert less.pvalue == pytest.approx(pmf[: k + 1].sum(), rel=1e-7, abs=1e-300), k
        two = PB.poisson_binomial_test(k, q, alternative="two-sided").pvalue
        assert two == pytest.approx(min(1.0, 2 * min(pmf[k:].sum(), pmf[: k + 1].sum())), rel=1e-7), k
    with pytest.raises(ValueError, match="alternative"):
        PB.poisson_binomial_test(3, q, alternative="above")


# ------------------------------------------------------------------ Kobak et al. sample and test


def test_kobak_sample_filters_each_reason():
    # rows: kept, no ballots received, 99 registered, turnout 99.5 %, leader share 99.5 %, missing
    leader = [300, 300, 30, 300, 199, 100]
    valid = [580, 580, 58, 580, 190, 500]
    invalid = [20, 20, 2, 20, 10, pd.NA]
    issued = [600, 600, 60, 995, 200, 500]
    registered = [1000, 1000, 99, 1000, 1000, 1000]
    received = [1000, 0, 99, 1000, 1000, 1000]
    s = S.kobak_sample(leader, valid, invalid, issued, registered, received)
    np.testing.assert_array_equal(s.included, [True, False, False, False, False, False])
    assert s.n_included == 1 and "1 with a missing value" in s.filter_applied
    # 99 % exactly is kept (<=)
    s2 = S.kobak_sample([99], [100], [0], [990], [1000], [1000])
    assert s2.n_included == 1


def _clean_sample(rng, n_stations=3000):
    registered = rng.integers(100, 2500, n_stations)
    turnout = np.clip(rng.normal(0.6, 0.1, n_stations), 0.2, 0.95)
    issued = rng.binomial(registered, turnout)
    counted = issued
    leader = rng.binomial(counted, np.clip(rng.normal(0.45, 0.1, n_stations), 0.05, 0.9))
    return S.kobak_sample(leader, counted, np.zeros(n_stations, int), issued, registered, registered)


def test_exact_null_agrees_with_both_monte_carlo_methods():
    rng = np.random.default_rng(3)
    sample = _clean_sample(rng)
    q = S.integer_probabilities(sample)
    ind = S.simulate_integer_counts_indicator(q["leader"], q["turnout"], 4000, np.random.default_rng(4))
    binom = S.simulate_integer_counts_binomial(sample, 400, np.random.default_rng(5))
    for name in S.QUANTITIES:
        mean, sd = q[name].sum(), np.sqrt(np.sum(q[name] * (1 - q[name])))
        assert abs(ind[name].mean() - mean) < 4 * sd / np.sqrt(4000)
        assert abs(binom[name].mean() - mean) < 4 * sd / np.sqrt(400)
        assert ind[name].std(ddof=1) == pytest.approx(sd, rel=0.06)
        assert binom[name].std(ddof=1) == pytest.approx(sd, rel=0.2)
    # indicator draws: the leader and turnout flags are independent, as in the binomial redraw
    assert np.corrcoef(ind["leader"], ind["turnout"])[0, 1] == pytest.approx(0, abs=0.05)


def test_integer_test_detects_injected_round_percentages_and_not_clean_data():
    rng = np.random.default_rng(6)
    clean = _clean_sample(rng)
    r = S.integer_percentage_test(clean, n_sims=999, seed=1)
    assert r.monte_carlo["either"].pvalue > 0.01 and r.exact["either"].pvalue > 0.01
    assert abs(r.exact["either"].excess) < 4 * r.exact["either"].sd
    # rig 300 stations: leader votes set to an exact integer percentage of the ballots counted
    leader = clean.leader.copy()
    idx = rng.choice(clean.n_included, 300, replace=False)
    counted = clean.counted[idx]
    for j, i in enumerate(idx):
        for pct in range(60, 40, -1):  # first integer percentage representable exactly
            if (pct * counted[j]) % 100 == 0:
                leader[i] = pct * counted[j] // 100
                break
    rigged = S.IntegerSample(leader, clean.counted, clean.turnout_count, clean.registered, clean.included, "rigged")
    n_rigged_int = int(S.is_integer_percentage(leader[idx], counted).sum())
    rr = S.integer_percentage_test(rigged, n_sims=999, seed=1)
    assert rr.exact["leader"].pvalue < 1e-6 and rr.monte_carlo["leader"].pvalue == pytest.approx(1 / 1000)
    excess_gain = rr.exact["leader"].excess - r.exact["leader"].excess
    # each rigged station that was not already integer adds one
    assert excess_gain == pytest.approx(n_rigged_int * 0.9, rel=0.35)
    assert rr.monte_carlo["leader"].null_q999 > rr.monte_carlo["leader"].null_mean


def test_exact_pvalues_are_roughly_uniform_on_clean_elections():
    rng = np.random.default_rng(7)
    pvals = []
    for _ in range(200):
        s = _clean_sample(rng, n_stations=300)
        q = S.integer_probabilities(s)
        flags = S.observed_integer_flags(s)
        pvals.append(PB.poisson_binomial_sf(int(flags["either"].sum()), q["either"]))
    pvals = np.array(pvals)
    # discrete one-sided p-values are conservative: rejection rate at most about alpha
    assert np.mean(pvals <= 0.05) <= 0.09
    assert np.mean(pvals <= 0.5) == pytest.approx(0.5, abs=0.12)


def test_binomial_redraws_of_two_quantities_keep_the_interleaved_draw_order():
    # the binomial Monte Carlo draws leader votes, then ballots issued, chunk by chunk
    rng = np.random.default_rng(14)
    sample = _clean_sample(rng, n_stations=200)
    got = list(
        MC.binomial_redraws(
            (sample.leader, sample.turnout_count),
            (sample.counted, sample.registered),
            7,
            np.random.default_rng(1),
            chunk=3,
        )
    )
    ref = np.random.default_rng(1)
    for m, (x_l, x_t) in zip([3, 3, 1], got):
        np.testing.assert_array_equal(x_l, ref.binomial(sample.counted, sample.leader / sample.counted, size=(m, 200)))
        np.testing.assert_array_equal(
            x_t, ref.binomial(sample.registered, sample.turnout_count / sample.registered, size=(m, 200))
        )


def test_integer_test_alternatives():
    rng = np.random.default_rng(15)
    sample = _clean_sample(rng, n_stations=500)
    greater = S.integer_percentage_test(sample, n_sims=199, seed=3)
    less = S.integer_percentage_test(sample, n_sims=199, seed=3, alternative="less")
    draws = greater.null_draws["either"]
    assert less.pvalue == pytest.approx((1 + np.sum(draws <= greater.statistic)) / 200)
    assert less.exact["either"].pvalue + greater.exact["either"].pvalue >= 1  # both tails hold the observed count
    assert (
        greater.pvalue == greater.monte_carlo["either"].pvalue
        and greater.statistic == greater.monte_carlo["either"].observed
    )


def test_percentage_histogram_centres_bins_on_integers():
    centres, counts = S.percentage_histogram([50.0, 50.04, 50.06, 99.96], bin_width=0.1)
    assert centres[500] == pytest.approx(50.0)
    assert counts[500] == 2 and counts[501] == 1 and counts[1000] == 1 and counts.sum() == 4


# ------------------------------------------------------------------ Rozenas


def test_kde_on_grid_equals_scipy_gaussian_kde():
    rng = np.random.default_rng(20)
    shares = rng.beta(5, 5, (1, 400))
    bw = 0.01
    got = R._kde_on_grid(shares, 101, bw)[0]
    kde = stats.gaussian_kde(shares[0], bw_method=bw / shares[0].std(ddof=1))
    np.testing.assert_allclose(got, kde(np.linspace(0, 1, 101)), rtol=1e-6, atol=1e-6)


def test_binned_kde_converges_to_exact_kde_when_bandwidth_exceeds_lattice():
    rng = np.random.default_rng(21)
    shares = rng.beta(4, 6, (2, 3000))
    exact = stats.gaussian_kde(shares[0], bw_method=0.02 / shares[0].std(ddof=1))(np.linspace(0, 1, 1001))
    binned = R._kde_on_grid_binned(shares, 1001, 0.02)
    np.testing.assert_allclose(binned[0], exact, rtol=0, atol=2e-3 * exact.max())
    # narrow bandwidth (1e-4, the package default)
    # R's binned density with bw = 1e-4 below the lattice step is a scaled histogram: one
    # station's mass, times the kernel's peak 1 / (bw sqrt(2 pi)), over a step or two
    one = R._kde_on_grid_binned(np.array([[0.5]]), 1001, 1e-4)[0]
    lattice_step = (1 + 8e-4) / 1023
    assert one.sum() * 1e-3 == pytest.approx(lattice_step / (1e-4 * np.sqrt(2 * np.pi)), rel=0.03)
    visible = np.flatnonzero(one > 1e-9 * one.max())
    assert visible.size <= 3 and np.all(np.abs(visible - 500) <= 1)


def test_beta_binomial_mixture_recovers_known_components():
    rng = np.random.default_rng(22)
    n = rng.integers(200, 1500, 6000)
    comp = rng.random(6000) < 0.3
    rate = np.where(comp, rng.beta(20, 60, 6000), rng.beta(60, 30, 6000))  # means 0.25 and 0.667
    k = rng.binomial(n, rate)
    fit = S.fit_beta_binomial_mixture(k, n, 2)
    order = np.argsort(fit.alpha / (fit.alpha + fit.beta))
    means = (fit.alpha / (fit.alpha + fit.beta))[order]
    np.testing.assert_allclose(means, [0.25, 2 / 3], atol=0.01)
    np.testing.assert_allclose(fit.weights[order], [0.3, 0.7], atol=0.02)
    np.testing.assert_allclose((fit.alpha + fit.beta)[order], [80, 90], rtol=0.2)
    # log-likelihood equals scipy's beta-binomial mixture log-likelihood at the fitted values
    ll = np.log(sum(w * stats.betabinom.pmf(k, n, a, b) for w, a, b in zip(fit.weights, fit.alpha, fit.beta))).sum()
    assert fit.loglik == pytest.approx(ll, rel=1e-9)
    # EM never lowers the likelihood: more iterations, at least as high
    longer = S.fit_beta_binomial_mixture(k, n, 2, max_iter=fit.n_iter + 5, rtol=0)
    assert longer.n_iter == fit.n_iter + 5 and longer.loglik >= fit.loglik - 1e-6


def _rozenas_data(rng, n=5000):
    registered = rng.integers(300, 2500, n)
    ballots = rng.binomial(registered, rng.beta(12, 8, n))
    votes = rng.binomial(ballots, rng.beta(8, 8, n))
    return votes, ballots, registered


def test_rozenas_null_level_and_injected_coarse_shares():
    rng = np.random.default_rng(8)
    votes, ballots, registered = _rozenas_data(rng)
    kw = dict(n_resamples=100, max_components=2, seed=1, n_null=10)
    clean = S.rozenas_spikes(votes, ballots, registered, **kw)
    # clean data look like the null's own draws (F > 0 by chance in ~1/101 of 1001 bins)
    null = clean.null_spike_share_pct
    assert null.size == 10 and 0 < null.mean() < 2
    assert clean.spike_share_pct < null.max() + 3 * null.std(ddof=1)
    # 3 % of the stations put exactly on 40, 45, 50, 55, 60 % (ballots made a multiple of 20)
    rigged, rigged_ballots = votes.copy(), ballots.copy()
    idx = rng.choice(votes.size, 150, replace=False)
    targets = np.array([40, 45, 50, 55, 60])[np.arange(150) % 5]
    rigged_ballots[idx] = 20 * np.maximum(1, ballots[idx] // 20)
    rigged[idx] = targets * rigged_ballots[idx] // 100
    res = S.rozenas_spikes(rigged, rigged_ballots, registered, **kw)
    spike_points = np.round(100 * res.grid[res.spike_bins])
    assert {40, 45, 50, 55, 60} <= set(spike_points.tolist())
    # the five injected spikes add about 3 points, less the few stations the null puts there
    at_targets = np.isin(np.round(1000 * res.grid), [400, 450, 500, 550, 600])
    injected = 100 * np.sum((res.observed_share - res.resampled_mean_share)[at_targets])
    assert injected == pytest.approx(3.0, abs=0.3)
    assert res.spike_share_pct - clean.spike_share_pct == pytest.approx(3.0, abs=1.0)


def test_rozenas_validates_input():
    with pytest.raises(ValueError, match="no station"):
        S.rozenas_spikes([5], [3], [10])
    with pytest.raises(ValueError, match="kde"):
        S.rozenas_spikes([1, 2], [3, 4], [10, 10], kde="histogram")


# ------------------------------------------------------------------ registry


def test_calibration_tests_are_registered_and_return_pvalues():
    # their run time (target 0.5 s each) is printed by bench/bench_spikes.py
    election = simulate.simulate_election(simulate.load_scenario("kz2011-like"), seed=11)
    tests = {name: fn for name, fn in registry.CALIBRATION_TESTS.items() if fn.__module__.startswith(S.__name__)}
    assert set(tests) == {"integer_either", "integer_leader", "integer_turnout"}
    rng = np.random.default_rng(0)
    for name, fn in tests.items():
        p = fn(election.stations, election.votes, election.leader, rng)
        assert 0 <= p <= 1, name
    # the registered p-value is the exact test's
    sample = S.sample_from_tables(
        election.stations, measures.leader_votes(election.stations, election.votes, election.leader)
    )
    r = S.integer_percentage_test(sample, n_sims=9, seed=0)
    assert tests["integer_leader"](election.stations, election.votes, election.leader, rng) == r.exact["leader"].pvalue


# ------------------------------------------------------------------ real data


@pytest.mark.dataset
def test_ru2011_reference_integer_excess(processed_election):
    stations, votes = processed_election("ru2011")
    lv = measures.leader_votes(stations, votes, "United Russia")
    sample = S.sample_from_tables(stations, lv)
    assert sample.n_included == 86718
    r = S.integer_percentage_test(sample, n_sims=1000, seed=2011)
    # reference (issue 5): excess 1003.5 / 767.1 / 449.3, null sd 113.1 / 87.5 / 87.7
    for name, excess, sd in [("either", 1003.5, 113.1), ("leader", 767.1, 87.5), ("turnout", 449.3, 87.7)]:
        assert abs(r.monte_carlo[name].excess - excess) < 2 * sd, name
        assert abs(r.exact[name].excess - excess) < 2 * sd, name
        assert r.exact[name].sd == pytest.approx(sd, rel=0.1), name
        assert abs(r.monte_carlo[name].null_mean - r.exact[name].mean) < 4 * sd / np.sqrt(1000), name


def test_integer_count_test_on_a_few_large_units():
    # 16 "regions" of ~500,000 ballots: the binomial sd is ~0.04 points, so q is large when the
    # observed share sits near an integer and tiny otherwise (the null anchors on the data)
    rng = np.random.default_rng(9)
    sizes = rng.integers(200_000, 900_000, 16)
    counts = rng.binomial(sizes, 0.9)
    q = S.integer_probability(sizes, counts / sizes)
    expected = np.zeros(16)
    for i, (n, c) in enumerate(zip(sizes, counts)):  # independent: binomial cdf over each window
        j = np.arange(80, 100)
        hi = np.floor(n * (j + 0.05) / 100 + 1e-9)
        lo = np.ceil(n * (j - 0.05) / 100 - 1e-9)
        expected[i] = np.sum(stats.binom.cdf(hi, n, c / n) - stats.binom.cdf(lo - 1, n, c / n))
    np.testing.assert_allclose(q, expected, rtol=1e-6, atol=1e-12)
    dist = np.abs(100 * counts / sizes - np.round(100 * counts / sizes))
    assert np.all(q[dist < 0.02] > 0.3) and np.all(q[dist > 0.2] < 0.01)
    mc, exact, draws = S.integer_count_test(counts, sizes, n_sims=2000, seed=1)
    assert exact.mean == pytest.approx(q.sum())
    assert mc.null_mean == pytest.approx(exact.mean, abs=4 * exact.sd / np.sqrt(2000))
    # all 16 exactly on integers: exact p = prod(q)
    rounded_sizes = sizes - sizes % 100
    rounded = rounded_sizes * np.round(100 * counts / sizes).astype(np.int64) // 100
    _, ex, _ = S.integer_count_test(rounded, rounded_sizes, n_sims=10, seed=1)
    assert ex.observed == 16
    q2 = S.integer_probability(rounded_sizes, rounded / rounded_sizes)
    assert ex.pvalue == pytest.approx(np.prod(q2), rel=1e-6)
