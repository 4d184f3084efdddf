"""Digit tests: hand-worked cases, Benford's second-digit law, size-aware calibration."""

import numpy as np
import pytest
from scipy import stats

from analysis.core import registry
from analysis.stats import digits as D
from analysis.stats import measures
from analysis.stats import montecarlo as MC
from analysis.synthetic import simulate


def test_digit_extraction_hand_cases():
    x = np.array([5, 10, 19, 99, 100, 123, 1000, 2500, 98765])
    np.testing.assert_array_equal(D.last_digit(x), [5, 0, 9, 9, 0, 3, 0, 0, 5])
    np.testing.assert_array_equal(D.second_digit(x), [-1, 0, 9, 9, 0, 2, 0, 5, 8])
    # rounding halves up, exactly: 1/40 = 2.5 % -> 3; 1/3 -> 33; 2/3 -> 67; 1/8 = 12.5 -> 13
    np.testing.assert_array_equal(D.integer_percentage([1, 1, 2, 1, 1], [40, 3, 3, 8, 2]), [3, 33, 67, 13, 50])


def test_benford_second_digit_mean_is_4187_by_integration():
    # independent computation: the significand 10**U with U ~ Uniform(0, 1) is Benford;
    # its second digit, averaged over a fine midpoint grid of U
    u = (np.arange(2_000_000) + 0.5) / 2_000_000
    significand = 10**u
    second = np.floor(significand * 10).astype(int) % 10
    assert second.mean() == pytest.approx(4.187, abs=5e-4)
    assert D.BENFORD_SECOND_MEAN == pytest.approx(second.mean(), abs=1e-4)
    assert round(D.BENFORD_SECOND_MEAN, 3) == 4.187
    np.testing.assert_allclose(D.BENFORD_SECOND, np.bincount(second, minlength=10) / u.size, atol=1e-5)


def test_pair_nulls_are_exact_on_all_last_two_digit_pairs():
    counts = np.arange(100, 200)  # each of the 100 last-two-digit pairs once
    assert D.repeated_digits(counts, n_boot=0).statistic == pytest.approx(0.10)
    assert D.adjacent_digits(counts, n_boot=0).statistic == pytest.approx(0.18)  # no 0-9 wrap
    assert D.lastc(counts, n_boot=0).statistic == pytest.approx(4.5)
    assert D.c05s(counts, n_boot=0).statistic == pytest.approx(0.2)


def test_small_case_statistics_and_textbook_pvalues_by_hand():
    counts = np.array([11, 12, 23, 45, 50, 55, 7])  # 7 is below the minimum of 10
    r = D.lastc(counts, n_boot=0)
    assert r.statistic == pytest.approx((1 + 2 + 3 + 5 + 0 + 5) / 6)
    assert (r.n_used, r.n_excluded) == (6, 1)
    z = (16 / 6 - 4.5) / np.sqrt(8.25 / 6)
    assert r.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)))
    c = D.c05s(counts, n_boot=0)
    assert c.statistic == pytest.approx(3 / 6)
    assert c.pvalue == pytest.approx(stats.binomtest(3, 6, 0.2).pvalue)
    assert D.repeated_digits(counts, n_boot=0).statistic == pytest.approx(2 / 6)  # 11, 55
    assert D.adjacent_digits(counts, n_boot=0).statistic == pytest.approx(3 / 6)  # 12, 23, 45
    t = D.twobl(counts, n_boot=0)
    assert t.statistic == pytest.approx((1 + 2 + 3 + 5 + 0 + 5) / 6)  # second digit of 2-digit counts
    p = D.p05s([1, 1, 1, 2, 1], [2, 3, 4, 3, 40], n_boot=0)  # 50, 33, 25, 67, 3 %
    assert p.statistic == pytest.approx(2 / 5)


def test_last_digit_chi2_by_hand():
    # 100 counts >= 100 whose last digits are 0 x 19, 1..9 x 9 each; 5 small counts excluded
    digits = np.concatenate([np.zeros(19, int), np.repeat(np.arange(1, 10), 9)])
    counts = np.concatenate([1000 + digits, [3, 14, 27, 55, 99]])
    r = D.last_digit_chi2(counts)
    expected_chi2 = (19 - 10) ** 2 / 10 + 9 * (9 - 10) ** 2 / 10
    assert r.statistic == pytest.approx(expected_chi2)
    assert r.pvalue == pytest.approx(stats.chi2.sf(expected_chi2, 9))
    assert (r.n_used, r.n_excluded) == (100, 5)
    assert np.isnan(r.pvalue_sizeaware)  # no sizes given
    np.testing.assert_array_equal(r.digit_counts, [19] + [9] * 9)


def test_bootstrap_interval_covers_the_mean():
    rng = np.random.default_rng(0)
    counts = rng.integers(10, 10_000, 2000)
    r = D.lastc(counts, n_boot=999, seed=1)
    assert r.ci_low < r.statistic < r.ci_high
    half_width = 1.96 * np.std(counts % 10) / np.sqrt(2000)
    assert (r.ci_high - r.ci_low) / 2 == pytest.approx(half_width, rel=0.15)


def test_input_errors_name_the_rows():
    with pytest.raises(ValueError, match="size smaller than count at rows \\[1\\]"):
        D.lastc([5, 50], [10, 20])
    with pytest.raises(ValueError, match="missing"):
        D.lastc(np.array([5.0, np.nan]))


def _small_clean_election(rng, n_stations=150):
    sizes = rng.integers(20, 300, n_stations)
    rates = rng.beta(4, 4, n_stations)
    return rng.binomial(sizes, rates), sizes


def test_sizeaware_pvalues_roughly_uniform_where_textbook_fails():
    """Small stations: Benford's second digit fails, the size-aware null holds."""
    rng = np.random.default_rng(2)
    # textbook: counts of 10..300 from a hump-shaped rate do not follow Benford's law, which a
    # larger clean election shows plainly; the size-aware null does not reject it
    counts, sizes = _small_clean_election(rng, 5000)
    big = D.twobl(counts, sizes, n_sims=199, n_boot=0, seed=1)
    assert big.pvalue < 1e-3 and big.pvalue_sizeaware > 0.05
    p_size, p_text, p_size_chi = [], [], []
    for i in range(300):
        counts, sizes = _small_clean_election(rng)
        r = D.twobl(counts, sizes, n_sims=99, n_boot=0, seed=i)
        p_size.append(r.pvalue_sizeaware)
        p_text.append(r.pvalue)
        p_size_chi.append(D.last_digit_chi2(counts, sizes, min_count=10, n_sims=99, seed=i).pvalue_sizeaware)
    p_size, p_text, p_size_chi = map(np.array, (p_size, p_text, p_size_chi))
    # size-aware: close to uniform (Monte Carlo p-values on a 1/100 grid)
    for p in (p_size, p_size_chi):
        assert np.mean(p <= 0.05) < 0.10
        assert np.mean(p <= 0.5) == pytest.approx(0.5, abs=0.12)
        assert stats.kstest(p, "uniform").pvalue > 1e-3


def test_sizeaware_detects_fabricated_last_digits():
    rng = np.random.default_rng(3)
    counts, sizes = _small_clean_election(rng, 400)
    sizes = sizes + 300
    counts = rng.binomial(sizes, 0.5)
    fabricated = counts - counts % 10 + rng.choice([0, 5], counts.size)  # only 0s and 5s
    r = D.c05s(fabricated, sizes, n_sims=199, n_boot=0, seed=1)
    assert r.pvalue < 1e-10 and r.pvalue_sizeaware == pytest.approx(2 / 200)  # the smallest two-sided value
    ok = D.c05s(counts, sizes, n_sims=199, n_boot=0, seed=1)
    assert ok.pvalue_sizeaware > 0.01


def test_all_digit_tests_reproducible_with_seed():
    rng = np.random.default_rng(4)
    counts, sizes = _small_clean_election(rng, 300)
    a = D.all_digit_tests(counts, sizes, n_sims=49, n_boot=99, seed=5)
    b = D.all_digit_tests(counts, sizes, n_sims=49, n_boot=99, seed=5)
    assert set(a) == {"last_digit_chi2", "lastc", "c05s", "p05s", "twobl", "repeated_digits", "adjacent_digits"}
    for k in a:
        np.testing.assert_equal(a[k].as_dict(), b[k].as_dict())
    table = D.results_table(a)
    assert list(table["test"]) == list(a)


def test_calibration_tests_are_registered_and_return_pvalues():
    # their run time (target 0.5 s each) is printed by bench/bench_spikes.py
    election = simulate.simulate_election(simulate.load_scenario("kz2011-like"), seed=12)
    tests = {name: fn for name, fn in registry.CALIBRATION_TESTS.items() if fn.__module__.startswith(D.__name__)}
    assert {"last_digit_chi2", "last_digit_sizeaware", "lastc", "c05s", "twobl"} <= set(tests)
    assert set(tests) == {
        "last_digit_chi2",
        "last_digit_sizeaware",
        "lastc",
        "lastc_sizeaware",
        "c05s",
        "twobl",
        "twobl_sizeaware",
    }
    rng = np.random.default_rng(0)
    for name, fn in tests.items():
        p = fn(election.stations, election.votes, election.leader, rng)
        assert 0 <= p <= 1, name


def test_all_digit_tests_shared_redraws_match_single_tests_in_distribution():
    rng = np.random.default_rng(6)
    counts, sizes = _small_clean_election(rng, 2000)
    shared = D.all_digit_tests(counts, sizes, n_sims=400, n_boot=0, seed=1)
    single = D.lastc(counts, sizes, n_sims=400, n_boot=0, seed=2)
    assert shared["lastc"].statistic == single.statistic and shared["lastc"].pvalue == single.pvalue
    a, b = shared["lastc"].null_statistics, single.null_statistics
    assert a.mean() == pytest.approx(b.mean(), abs=4 * b.std() / np.sqrt(200))
    assert a.std() == pytest.approx(b.std(), rel=0.2)
    assert shared["p05s"].statistic == D.p05s(counts, sizes, n_sims=0, n_boot=0).statistic


@pytest.mark.dataset
def test_ru2011_leader_second_digit_textbook_rejects_sizeaware_does_not(processed_election):
    stations, votes = processed_election("ru2011")
    lv = measures.leader_votes(stations, votes, "United Russia")
    size = (stations["valid"] + stations["invalid"]).to_numpy(dtype=float)
    ok = np.isfinite(lv) & (size > 0)
    r = D.twobl(lv[ok].astype(np.int64), size[ok].astype(np.int64), n_sims=99, n_boot=0, seed=1)
    assert r.n_used == 94632 and r.statistic == pytest.approx(4.23697, abs=1e-5)
    assert r.pvalue < 1e-5 and r.pvalue_sizeaware > 0.1


# ------------------------------------------------------------------ percentage grid


def test_on_percentage_grid_hand_cases():
    # T = 448,727: 96.15 % -> 431,451.01 -> 431,451 on the grid; 1.21 % -> 5,429.60 -> 5,430
    assert D.on_percentage_grid(431_451, 448_727) and D.on_percentage_grid(5_430, 448_727)
    assert not D.on_percentage_grid(5_431, 448_727) and not D.on_percentage_grid(5_429, 448_727)
    # T = 20,000: the grid is round(2k) = the even counts; T = 15,000: round(1.5 k) with halves
    # up gives 0, 2, 3, 5, 6, 8 ... = counts not congruent to 1 mod 3
    c = np.arange(0, 300)
    np.testing.assert_array_equal(D.on_percentage_grid(c, 20_000), c % 2 == 0)
    np.testing.assert_array_equal(D.on_percentage_grid(c, 15_000), c % 3 != 1)
    assert D.on_percentage_grid(7, 9_999)  # grid finer than one vote: every count
    # counts built from two-decimal percentages are on the grid, for any total
    rng = np.random.default_rng(0)
    totals = rng.integers(10_001, 2_000_000, 500)
    k = rng.integers(0, 10_001, 500)
    built = np.floor(totals * k / 10_000 + 0.5).astype(np.int64)
    assert D.on_percentage_grid(built, totals).all()
    assert D.on_percentage_grid(built + 1, totals).mean() < 0.05


def test_percentage_grid_probability_closed_forms():
    # even counts of Binomial(T, p): (1 + (1 - 2p)^T) / 2
    p = np.array([0.3, 0.5, 0.9999])
    np.testing.assert_allclose(
        D.percentage_grid_probability([20_000] * 3, p), (1 + (1 - 2 * p) ** 20_000) / 2, rtol=1e-10
    )
    k = np.arange(15_001)
    expected = stats.binom.pmf(k, 15_000, 0.37)[k % 3 != 1].sum()
    assert D.percentage_grid_probability([15_000], [0.37])[0] == pytest.approx(expected, rel=1e-10)
    # large totals: about 10,000 / T
    assert D.percentage_grid_probability([500_000], [0.3])[0] == pytest.approx(0.02, rel=0.01)


def test_percentage_grid_test_null_calibration_and_derived_counts():
    rng = np.random.default_rng(1)
    pvals = []
    for i in range(60):
        totals = rng.integers(50_000, 120_000, 16)
        shares = rng.dirichlet([30, 2, 2, 2], 16)
        counts = np.array([rng.multinomial(t, s) for t, s in zip(totals, shares)])
        r = D.percentage_grid_test(counts, n_sims=199, seed=i)
        assert abs(r.null_statistics.mean() - r.expected) < 5 * r.null_sd / np.sqrt(199) + 0.05
        pvals.append(r.pvalue)
    pvals = np.array(pvals)
    assert np.mean(pvals <= 0.05) <= 0.12 and np.mean(pvals <= 0.5) >= 0.3
    # counts derived from two-decimal percentages, the last one as total minus the others
    totals = rng.integers(200_000, 900_000, 16)
    pct = np.round(rng.dirichlet([30, 2, 2, 2], 16) * 100, 2)
    minor = np.floor(totals[:, None] * pct[:, 1:] * 100 / 10_000 + 0.5).astype(np.int64)
    derived = np.column_stack([totals - minor.sum(axis=1), minor])
    r = D.percentage_grid_test(derived, n_sims=999, seed=2)
    assert r.on_grid[:, 1:].all()  # the three derived counts (their total is unchanged)
    assert r.statistic >= 48 and r.pvalue == pytest.approx(1 / 1000) and r.pvalue_bound < 1e-40
    assert r.units_all_on_grid >= 6  # the constrained one lands on the grid about 2/3 of the time
    with pytest.raises(ValueError, match="units"):
        D.percentage_grid_test(np.array([[0, 0], [1, 2]]))


def test_monte_carlo_pvalue_formula_by_hand():
    draws = np.arange(1.0, 10.0)  # 1..9
    # one-sided: (1 + #{draws >= 8}) / (9 + 1) = 3 / 10
    assert MC.mc_pvalue(8.0, draws, "greater") == pytest.approx(0.3)
    # two-sided: twice the smaller tail, (1 + #{<= 8}) / 10 = 0.9 vs 0.3 -> 0.6
    assert MC.mc_pvalue(8.0, draws, "two-sided") == pytest.approx(0.6)
    assert MC.mc_pvalue(100.0, draws, "greater") == pytest.approx(0.1)  # never below 1 / (n + 1)
    assert MC.mc_pvalue(5.0, draws, "two-sided") == 1.0
    assert MC.mc_pvalue(2.0, draws, "less") == pytest.approx(0.3)  # (1 + #{<= 2}) / 10
    assert np.isnan(MC.mc_pvalue(np.nan, draws, "greater")) and np.isnan(MC.mc_pvalue(1.0, [], "greater"))


def test_alternatives_of_the_mean_tests():
    counts = np.array([10, 15, 20, 25, 31, 42, 50, 55, 60, 73])  # 7 of 10 end in 0 or 5
    greater = D.c05s(counts, n_boot=0, alternative="greater")
    assert greater.pvalue == pytest.approx(stats.binomtest(7, 10, 0.2, alternative="greater").pvalue)
    assert D.c05s(counts, n_boot=0, alternative="less").pvalue == pytest.approx(
        stats.binomtest(7, 10, 0.2, alternative="less").pvalue
    )
    r = D.lastc(counts, n_boot=0, alternative="less")
    z = (r.statistic - 4.5) / np.sqrt(8.25 / 10)
    assert r.pvalue == pytest.approx(stats.norm.cdf(z))
    # the size-aware p-value follows the same direction
    rng = np.random.default_rng(8)
    c, s = _small_clean_election(rng, 300)
    two = D.lastc(c, s, n_sims=99, n_boot=0, seed=1)
    up = D.lastc(c, s, n_sims=99, n_boot=0, seed=1, alternative="greater")
    assert up.pvalue_sizeaware == pytest.approx((1 + np.sum(two.null_statistics >= two.statistic)) / 100)
    with pytest.raises(ValueError, match="alternative"):
        D.lastc(counts, alternative="up")


def test_digit_result_flat_mapping_keeps_its_keys():
    r = D.lastc([11, 12, 23, 45, 50, 55], n_boot=0)
    assert list(r.as_dict("x_")) == [
        "x_statistic",
        "x_null_value",
        "x_pvalue",
        "x_pvalue_sizeaware",
        "x_ci_low",
        "x_ci_high",
        "x_n_used",
        "x_n_excluded",
    ]


def test_p05_quantity_float_path_equals_integer_percentage():
    from analysis.stats.digits.benford import _q_p05

    rng = np.random.default_rng(11)
    totals = np.concatenate([np.arange(1, 400), rng.integers(1, 60_000, 5_000)])
    x = np.stack([rng.integers(0, totals + 1) for _ in range(3)] + [np.zeros_like(totals), totals])
    value, eligible = _q_p05(x, totals, 0)
    expected = np.mod(D.integer_percentage(x, np.broadcast_to(totals, x.shape)), 5) == 0
    np.testing.assert_array_equal(value.astype(bool), expected)
    assert eligible.all()


def _null_statistics_per_draw(counts, sizes, n_sims, rng, min_count_chi2, min_count):
    """The size-aware null as it was first written: every quantity function on every redraw."""
    from analysis.stats.digits import benford as B

    quantities = {"lastc": B._q_last_digit, "c05s": B._q_c05, "p05s": B._q_p05, "twobl": B._q_second_digit,
                  "repeated_digits": B._q_repeated, "adjacent_digits": B._q_adjacent}  # fmt: skip
    parts = {name: [] for name in ["last_digit_chi2", *quantities]}
    rate = counts / sizes
    for x in [rng.binomial(sizes[:, None], rate[:, None], size=(sizes.size, n_sims)).T]:  # the same stream
        parts["last_digit_chi2"].append(B._row_chi2(x, sizes, min_count_chi2))
        for name, q in quantities.items():
            parts[name].append(B._row_means(*q(x, sizes, 0 if name == "p05s" else min_count)))
    return {name: np.concatenate(p) for name, p in parts.items()}


@pytest.mark.parametrize("min_count_chi2, min_count", [(100, 10), (30, 0), (0, 25)])
def test_histogram_null_equals_per_draw_quantities_draw_by_draw(min_count_chi2, min_count):
    from analysis.stats.digits.battery import _sizeaware_null_statistics

    rng = np.random.default_rng(3)
    sizes = np.concatenate([rng.integers(1, 60, 300), rng.integers(100, 3_000, 700), [12_345]])
    counts = rng.binomial(sizes, rng.uniform(0.01, 0.9, sizes.size))
    fast = _sizeaware_null_statistics(counts, sizes, 57, np.random.default_rng(9), min_count_chi2, min_count)
    slow = _null_statistics_per_draw(counts, sizes, 57, np.random.default_rng(9), min_count_chi2, min_count)
    assert set(fast) == set(slow)
    for name in slow:
        np.testing.assert_allclose(fast[name], slow[name], rtol=1e-12, atol=1e-12, err_msg=name)


def test_multinomial_bootstrap_interval_matches_scipy_bootstrap():
    from analysis.stats.digits.lastdigit import _bootstrap_ci

    values = np.random.default_rng(2).integers(0, 10, 400).astype(float)
    lo, hi = _bootstrap_ci(values, 20_000, np.random.default_rng(1))
    ref = stats.bootstrap((values,), np.mean, n_resamples=20_000, method="percentile", rng=np.random.default_rng(4))
    se = values.std() / np.sqrt(values.size)
    assert lo == pytest.approx(ref.confidence_interval.low, abs=0.05 * se)
    assert hi == pytest.approx(ref.confidence_interval.high, abs=0.05 * se)
