"""Distributions, fingerprints and their statistics, against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core import canonical, registry
from analysis.stats import distributions as D
from analysis.stats import measures
from analysis.stats.full_turnout import count_extreme


def canonical_tables(rng, n_stations=400, n_regions=4, leader="A", share_slope=0.0):
    """Small canonical stations/votes tables: binomial turnout, leader share ~ N(0.5 + slope*(t-0.6))."""
    registered = rng.integers(50, 2000, n_stations)
    region = np.array([f"R{i % n_regions}" for i in range(n_stations)])
    rate = np.clip(rng.normal(0.6, 0.08, n_stations), 0.05, 0.95)
    ballots = rng.binomial(registered, rate)
    invalid = rng.binomial(ballots, 0.01)
    valid = ballots - invalid
    share = np.clip(0.5 + share_slope * (ballots / registered - 0.6) + rng.normal(0, 0.05, n_stations), 0.01, 0.99)
    lead = rng.binomial(valid, share)
    key = pd.DataFrame(
        {"election": "synthetic", "region": region, "district": region, "station": [str(i) for i in range(n_stations)]}
    )
    i64 = lambda a: pd.array(a, dtype="Int64")  # noqa: E731
    stations = key.assign(
        station_type="ordinary",
        registered=i64(registered),
        ballots_issued=i64(ballots),
        ballots_in_boxes=i64(ballots),
        invalid=i64(invalid),
        valid=i64(valid),
        flag="",
    )
    votes = pd.concat(
        [key.assign(candidate=leader, votes=i64(lead)), key.assign(candidate="B", votes=i64(valid - lead))],
        ignore_index=True,
    )
    return stations, votes


# ------------------------------------------------------------------ station_measures


def test_station_measures_definitions_and_exclusions():
    stations = pd.DataFrame(
        {
            "region": ["a", "a", "b", "b", "b"],
            "station_type": ["ordinary", "abroad", "ordinary", "ordinary", "ordinary"],
            "registered": pd.array([100, 50, 0, 200, 10], dtype="Int64"),
            "ballots_issued": pd.array([60, 50, 0, 150, 5], dtype="Int64"),
            "ballots_in_boxes": pd.array([59, 50, 0, 150, 5], dtype="Int64"),
            "invalid": pd.array([1, 0, 0, 10, 0], dtype="Int64"),
            "valid": pd.array([58, 50, 0, 140, 5], dtype="Int64"),
            "flag": ["", "", "", "", ""],
        }
    )
    lv = [29, 40, 0, 75, 1]
    m = D.station_measures(stations, lv, min_registered=20)
    np.testing.assert_allclose(m.turnout, [0.60, 1.0, 0.75])
    np.testing.assert_allclose(m.leader_share, [29 / 59, 40 / 50, 75 / 150])
    assert m.excluded == {"registered < 20": 2}  # the 0-registered and the 10-registered rows
    boxes = D.station_measures(stations, lv, turnout_definition="boxes", station_types=["ordinary"])
    np.testing.assert_allclose(boxes.turnout, [0.59, 0.75, 0.5])
    assert boxes.excluded == {"station type not selected": 1, "turnout undefined (registered 0 or counts missing)": 1}
    with pytest.raises(ValueError, match="one value per stations row"):
        D.station_measures(stations, lv[:3])


def test_station_measures_leaves_out_pseudo_stations_and_counts_them_by_type():
    # Issue 10: electronic-voting and abroad pseudo-stations stay out of station-level nulls by
    # default, with the count shown. Counted per type, before every other reason.
    stations = pd.DataFrame(
        {
            "station_type": ["ordinary", "abroad", "electronic", "abroad", "military", "ordinary"],
            "registered": pd.array([100, 50, 0, 80, 40, 90], dtype="Int64"),
            "ballots_issued": pd.array([60, 50, 30, 40, 40, 45], dtype="Int64"),
            "invalid": pd.array([0, 0, 0, 0, 0, 0], dtype="Int64"),
            "valid": pd.array([60, 50, 30, 40, 40, 45], dtype="Int64"),
            "flag": ["", "", "", "missing: lost", "", ""],
        }
    )
    lv = [30, 20, 10, 20, 39, 15]
    m = D.station_measures(stations, lv, exclude_station_types=list(canonical.PSEUDO_STATION_TYPES))
    assert list(m.index) == [0, 4, 5]
    # the flagged abroad row counts under its type (the first reason), the 0-registered
    # electronic one too
    assert m.excluded == {"station type left out: abroad": 2, "station type left out: electronic": 1}
    assert m.excluded_types == {"abroad": 2, "electronic": 1} and m.n_excluded_pseudo == 3
    # station_types first, then exclude_station_types; only pseudo types count as pseudo
    m = D.station_measures(
        stations, lv, station_types=["ordinary", "military", "abroad"], exclude_station_types=["military"]
    )
    assert list(m.index) == [0, 1, 5]
    assert m.excluded_types == {"electronic": 1, "military": 1}
    assert m.n_excluded_pseudo == 1
    assert m.excluded["flagged row"] == 1  # the flagged abroad row is kept by type, left out as flagged
    # without a selection nothing is left out by type
    assert (
        D.station_measures(stations, lv).excluded_types == {}
        and D.station_measures(stations, lv).n_excluded_pseudo == 0
    )
    # the same counts from the type column alone, as notebook 04 counts its null's types
    assert D.excluded_by_type(stations["station_type"], exclude_station_types=["electronic", "abroad"]) == {
        "abroad": 2,
        "electronic": 1,
    }
    assert D.excluded_by_type(stations["station_type"], station_types=["ordinary"]) == {
        "abroad": 2,
        "electronic": 1,
        "military": 1,
    }
    assert D.pseudo_count({"abroad": 2, "electronic": 1, "military": 1}) == 3


def test_station_measures_excludes_impossible_counts_by_reason_and_carries_added_voters():
    # Issue 13, item 7: rows whose protocol counts cannot all be true (marked by the adapters
    # in `impossible_counts`) are left out of every station-level analysis and counted by
    # reason; before, they entered silently. A flagged row counts under the flag only.
    stations = pd.DataFrame(
        {
            "registered": pd.array([100, 100, 0, 100, 100, 100], dtype="Int64"),
            "ballots_issued": pd.array([60, 120, 5, 80, 70, 50], dtype="Int64"),
            "invalid": pd.array([0, 0, 0, 0, 0, 0], dtype="Int64"),
            "valid": pd.array([60, 120, 5, 79, 70, 50], dtype="Int64"),
            "flag": ["", "", "", "", "", "missing: lost"],
            "impossible_counts": [
                "",
                "votes > registered",
                "registered = 0 with votes",
                "valid + invalid != ballots in boxes",
                "",
                "votes > registered",
            ],
            "added_on_day": pd.array([3, 40, 0, 1, pd.NA, 0], dtype="Int64"),
        }
    )
    m = D.station_measures(stations, [30, 60, 2, 40, 35, 20])
    assert m.n == 2 and list(m.index) == [0, 4]
    assert m.excluded == {
        "flagged row": 1,
        "impossible counts: registered = 0 with votes": 1,
        "impossible counts: valid + invalid != ballots in boxes": 1,
        "impossible counts: votes > registered": 1,
    }
    np.testing.assert_array_equal(m.added_on_day, [3.0, np.nan])
    # Tables without the column, or a source that does not say, carry None.
    assert D.station_measures(stations.drop(columns="added_on_day"), [30, 60, 2, 40, 35, 20]).added_on_day is None
    unknown = stations.assign(added_on_day=pd.array([pd.NA] * 6, dtype="Int64"))
    assert D.station_measures(unknown, [30, 60, 2, 40, 35, 20]).added_on_day is None


# ------------------------------------------------------------------ histograms


def test_histogram_bins_centred_on_multiples_of_resolution():
    values = np.array([0.0, 0.002, 0.7, 0.99, 1.0, 1.0, 1.002])
    h = D.histogram(values, resolution=0.5)
    assert h.counts.size == 201 and h.centers[0] == 0 and h.centers[-1] == 100
    expected = np.zeros(201)
    for idx in (0, 0, 140, 198, 200, 200, 200):  # 0.2 % -> bin 0; 100.2 % rounds into the 100 bin
        expected[idx] += 1
    np.testing.assert_array_equal(h.counts, expected)
    fine = D.histogram(values, resolution=0.1, weights=np.arange(1, 8))
    assert fine.n_outside == 1  # 100.2 % lies beyond the last 0.1-point bin (99.95, 100.05]
    assert fine.counts[700] == 3 and fine.counts[990] == 4 and fine.counts[1000] == 5 + 6 and fine.counts[2] == 2


def test_histogram_matches_numpy_on_random_values():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 5000)
    w = rng.integers(1, 100, 5000)
    h = D.histogram(x, resolution=0.5, weights=w)
    edges = (np.arange(202) - 0.5) * 0.5
    ref, _ = np.histogram(100 * x, bins=edges, weights=w)
    np.testing.assert_allclose(h.counts, ref)


def test_fingerprint_matches_histogram2d():
    rng = np.random.default_rng(2)
    t, s, w = rng.uniform(0, 1, 3000), rng.uniform(0, 1, 3000), rng.integers(1, 50, 3000)
    fp = D.fingerprint(t, s, weights=w, resolution=2.0)
    edges = (np.arange(52) - 0.5) * 2.0
    ref, _, _ = np.histogram2d(100 * t, 100 * s, bins=[edges, edges], weights=w)
    np.testing.assert_allclose(fp.counts, ref)
    assert fp.counts.sum() == w.sum() and fp.n_outside == 0


def test_fingerprint_equal_bins_match_histogram2d():
    # Klimek et al.'s binning: equal bins on [0, 1], 100 % in the last bin (numpy's last bin is closed too).
    rng = np.random.default_rng(15)
    t, s = rng.uniform(0, 1, 3000), rng.uniform(0, 1, 3000)
    t[:5] = 1.0
    s[5] = 1.2  # outside: counted, not binned
    fp = D.fingerprint(t, s, bins=25)
    ref, _, _ = np.histogram2d(t[s <= 1], s[s <= 1], bins=25, range=[[0, 1], [0, 1]])
    np.testing.assert_array_equal(fp.counts, ref)
    assert fp.n_outside == 1 and fp.density.sum() == pytest.approx(1.0)
    assert fp.x_edges[-1] == 100.0 and fp.resolution == 4.0


# ------------------------------------------------------------------ shape


def test_shape_hand_computed():
    # x = 1, 2, 3, 10: mean 4, deviations -3 -2 -1 6; m2 = 12.5, m3 = 45, m4 = 348.5
    r = D.shape([1, 2, 3, 10])
    assert r.skewness == pytest.approx(45 / 12.5**1.5, rel=1e-12)
    assert r.kurtosis == pytest.approx(348.5 / 12.5**2, rel=1e-12)


def test_shape_known_distributions():
    rng = np.random.default_rng(3)
    normal = D.shape(rng.normal(size=200_000))
    assert abs(normal.skewness) < 0.02 and normal.kurtosis == pytest.approx(3.0, abs=0.05)
    uniform = D.shape(rng.uniform(size=200_000))
    assert uniform.kurtosis == pytest.approx(1.8, abs=0.02)  # non-excess kurtosis of U(0,1) = 9/5
    expo = D.shape(rng.exponential(size=200_000))
    assert expo.skewness == pytest.approx(2.0, abs=0.1) and expo.kurtosis == pytest.approx(9.0, abs=0.6)


# ------------------------------------------------------------------ dip test


def test_dip_uniform_not_rejected_bimodal_rejected():
    rng = np.random.default_rng(4)
    assert D.dip_test(rng.uniform(size=2000)).pvalue > 0.05
    bimodal = np.concatenate([rng.normal(0.3, 0.05, 1000), rng.normal(0.8, 0.05, 1000)])
    r = D.dip_test(bimodal)
    assert r.pvalue < 1e-3 and r.statistic > 0.05


def test_dip_hand_value_two_point_sample():
    # Half the mass at 0, half at 1 (n = 4, 2 + 2): the best unimodal fit is 1/4 away at the jump
    # in Hartigan & Hartigan's definition, D = 1/4 for two equal clusters of size n/2 with n = 4.
    assert D.dip_test([0.0, 0.0, 1.0, 1.0]).statistic == pytest.approx(0.25)


def test_dip_type_one_error_on_uniform_samples():
    rng = np.random.default_rng(5)
    p = np.array([D.dip_test(rng.uniform(size=300)).pvalue for _ in range(400)])
    # Uniform is the least favourable unimodal law: rejection rate ≈ alpha.
    assert 0.02 <= (p < 0.05).mean() <= 0.09


def test_dip_jitter_undoes_rounding_to_whole_ballots():
    rng = np.random.default_rng(6)
    n = rng.integers(10, 30, 10_000)
    turnout = rng.binomial(n, rng.uniform(0.3, 0.9, n.size)) / n  # unimodal (uniform) rate, discrete turnout
    raw = D.dip_test(turnout)
    jittered = D.dip_test(turnout, jitter_halfwidth=0.5 / n, rng=np.random.default_rng(0))
    assert raw.pvalue < 0.001 and jittered.pvalue > 0.2
    with pytest.raises(ValueError, match="rng"):
        D.dip_test(turnout, jitter_halfwidth=0.5 / n)


# ------------------------------------------------------------------ correlation


def test_correlation_against_numpy_and_repeated_rows():
    rng = np.random.default_rng(7)
    x = rng.uniform(size=200)
    y = 0.3 * x + rng.normal(0, 0.1, 200)
    w = rng.integers(1, 6, 200)
    r = D.correlation(x, y, weights=w)
    assert r.statistic == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    # With integer weights, the weighted r equals the plain r of the data with each row repeated w times.
    assert r.weighted == pytest.approx(np.corrcoef(np.repeat(x, w), np.repeat(y, w))[0, 1], rel=1e-10)
    # One-sided p-values halve the two-sided one on the side of the sign of r (t test of r = 0).
    assert D.correlation(x, y, alternative="greater").pvalue == pytest.approx(r.pvalue / 2, rel=1e-9)
    assert D.correlation(x, y, alternative="less").pvalue == pytest.approx(1 - r.pvalue / 2, rel=1e-9)


# ------------------------------------------------------------------ Sobyanin–Sukhovolsky


def _sandwich_reference(x, y, w=None, clusters=None, regions=None):
    """Slope and its HC1 / CR1 standard error by explicit matrix algebra (independent code path).

    With ``regions``: one dummy per region instead of the constant (fixed effects); the slope is
    the last coefficient and the intercept is not returned (NaN).
    """
    n = x.size
    if regions is None:
        X = np.column_stack([np.ones(n), x])
    else:
        labels = np.unique(regions)
        X = np.column_stack([(regions == g).astype(float) for g in labels] + [x])
    k = X.shape[1]
    W = np.eye(n) if w is None else np.diag(w)
    bread = np.linalg.inv(X.T @ W @ X)
    beta = bread @ X.T @ W @ y
    e = y - X @ beta
    if clusters is None:
        meat = X.T @ W @ np.diag(e**2) @ W @ X
        V = bread @ meat @ bread * n / (n - k)
    else:
        labels = np.unique(clusters)
        meat = np.zeros((k, k))
        for g in np.unique(clusters):
            s = clusters == g
            score = X[s].T @ (W[np.ix_(s, s)] @ e[s])
            meat += np.outer(score, score)
        G = np.unique(clusters).size
        V = bread @ meat @ bread * G / (G - 1) * (n - 1) / (n - k)
    return beta[-1], (beta[0] if regions is None else np.nan), np.sqrt(V[-1, -1])


def test_sobyanin_slope_and_se_against_matrix_formulas():
    rng = np.random.default_rng(8)
    n = 150
    x = rng.uniform(0.3, 0.9, n)
    reg = rng.integers(100, 1000, n).astype(float)
    votes = np.round(reg * x * rng.uniform(0.3, 0.7, n))
    y = votes / reg
    cl = rng.integers(0, 7, n)
    for w, c in ((None, None), (reg, None), (None, cl), (reg, cl)):
        r = D.sobyanin_sukhovolsky(x, votes, reg, weights=w, clusters=c)
        slope, intercept, se = _sandwich_reference(x, y, w, c)
        assert r.slope == pytest.approx(slope, rel=1e-10) and r.intercept == pytest.approx(
            intercept, rel=1e-8, abs=1e-12
        )
        assert r.se == pytest.approx(se, rel=1e-10)
        assert r.covariance == ("HC1" if c is None else "CR1")
    assert np.polyfit(x, y, 1)[0] == pytest.approx(D.sobyanin_sukhovolsky(x, votes, reg).slope, rel=1e-10)
    regions = rng.integers(0, 4, n)
    for w, c in ((None, None), (reg, None), (None, cl), (reg, cl)):
        r = D.sobyanin_sukhovolsky(x, votes, reg, weights=w, clusters=c, regions=regions)
        slope, _, se = _sandwich_reference(x, y, w, c, regions=regions)
        assert r.slope == pytest.approx(slope, rel=1e-10) and r.se == pytest.approx(se, rel=1e-10)
        assert np.isnan(r.intercept) and r.n_regions == 4


def test_sobyanin_null_slope_is_mean_share_when_share_is_constant():
    # y = s·T exactly with a constant s: slope = null slope = s, whatever the turnouts.
    x = np.array([0.3, 0.5, 0.6, 0.9, 0.4])
    reg = np.full(5, 1000.0)
    r = D.sobyanin_sukhovolsky(x, 0.4 * x * reg, reg)
    assert r.slope == pytest.approx(0.4) and r.null_slope == pytest.approx(0.4)
    # Two regions with different constant shares: within-region null = the S_g-weighted shares.
    x2 = np.array([0.3, 0.5, 0.7, 0.6, 0.8])
    s2 = np.array([0.3, 0.3, 0.3, 0.7, 0.7])
    within = D.sobyanin_sukhovolsky(x2, s2 * x2 * 1000, np.full(5, 1000.0), regions=list("aaabb"))
    s_a, s_b = ((x2[:3] - x2[:3].mean()) ** 2).sum(), ((x2[3:] - x2[3:].mean()) ** 2).sum()
    assert within.null_slope == pytest.approx((0.3 * s_a + 0.7 * s_b) / (s_a + s_b))
    assert within.slope == pytest.approx(within.null_slope)


def test_sobyanin_within_regions_removes_honest_heterogeneity():
    rng = np.random.default_rng(12)
    z_within, p_pooled, p_within = [], [], []
    for _ in range(300):
        region = np.repeat(np.arange(12), 40)
        t_mean = rng.uniform(0.4, 0.8, 12)
        # Honest but heterogeneous: high-turnout regions favour the leader; within a region the
        # share is independent of turnout.
        s_mean = 0.2 + 0.5 * (t_mean - 0.4)
        x = np.clip(t_mean[region] + rng.normal(0, 0.06, region.size), 0.05, 1)
        share = np.clip(s_mean[region] + rng.normal(0, 0.05, region.size), 0, 1)
        reg = rng.integers(200, 2000, region.size).astype(float)
        p_pooled.append(D.sobyanin_sukhovolsky(x, reg * x * share, reg).pvalue)
        r = D.sobyanin_sukhovolsky(x, reg * x * share, reg, regions=region)
        z_within.append(r.statistic)
        p_within.append(r.pvalue)
    assert np.mean(np.array(p_pooled) < 0.05) > 0.9
    assert 0.025 <= np.mean(np.array(p_within) < 0.05) <= 0.08
    assert np.std(z_within) == pytest.approx(1.0, abs=0.1)  # se_test has the right scale


def test_sobyanin_null_calibrated_and_power():
    rng = np.random.default_rng(9)
    pvals = []
    for _ in range(400):
        n = 300
        reg = rng.integers(100, 1500, n).astype(float)
        x = rng.uniform(0.3, 0.9, n)
        share = rng.uniform(0.3, 0.7, n)  # independent of turnout: H0 true, slope = E[share]
        pvals.append(D.sobyanin_sukhovolsky(x, reg * x * share, reg).pvalue)
    assert 0.025 <= np.mean(np.array(pvals) < 0.05) <= 0.08
    x = rng.uniform(0.3, 0.9, 300)
    reg = np.full(300, 500.0)
    stuffed = D.sobyanin_sukhovolsky(x, reg * x * (0.2 + 0.6 * x), reg)  # share rises with turnout
    assert stuffed.pvalue < 1e-6 and stuffed.slope > stuffed.null_slope


def test_sobyanin_alternatives_are_normal_tails_of_one_statistic():
    # H0 is the same; only the rejection region changes: P(Z >= z), P(Z <= z), P(|Z| >= |z|).
    from scipy import stats

    rng = np.random.default_rng(13)
    x = rng.uniform(0.3, 0.9, 200)
    reg = np.full(200, 800.0)
    votes = reg * x * rng.uniform(0.3, 0.7, 200)
    greater = D.sobyanin_sukhovolsky(x, votes, reg)
    less = D.sobyanin_sukhovolsky(x, votes, reg, alternative="less")
    both = D.sobyanin_sukhovolsky(x, votes, reg, alternative="two-sided")
    z = greater.statistic
    assert less.statistic == z and both.slope == greater.slope
    assert greater.pvalue == pytest.approx(stats.norm.sf(z)) and less.pvalue == pytest.approx(stats.norm.cdf(z))
    assert both.pvalue == pytest.approx(2 * min(stats.norm.sf(z), stats.norm.cdf(z)))
    assert both.pvalue_vs_1 == pytest.approx(2 * stats.norm.sf(abs(greater.statistic_vs_1)))
    with pytest.raises(ValueError, match="alternative"):
        D.sobyanin_sukhovolsky(x, votes, reg, alternative="bigger")


def test_results_are_flat_with_statistic_and_pvalue_first():
    rng = np.random.default_rng(14)
    x = rng.uniform(0.3, 0.9, 100)
    reg = np.full(100, 500.0)
    votes = reg * x * rng.uniform(0.3, 0.7, 100)
    for res in (D.dip_test(x), D.correlation(x, x**2), D.sobyanin_sukhovolsky(x, votes, reg)):
        flat = res.as_dict("k_")
        assert list(flat)[:2] == ["k_statistic", "k_pvalue"]
        assert flat["k_pvalue"] == res.pvalue


# ------------------------------------------------------------------ high-turnout votes


def test_leader_votes_at_high_turnout_hand_example():
    turnout = [0.5, 0.8, 0.9, 0.95, 0.99, 1.0]
    votes = [10, 20, 30, 40, 50, 50]
    r = D.leader_votes_at_high_turnout(turnout, votes)
    assert r.shares == pytest.approx((190 / 200, 170 / 200, 140 / 200, 100 / 200))
    assert r.station_shares == pytest.approx((5 / 6, 4 / 6, 3 / 6, 2 / 6))
    assert r.share_at(0.9) == pytest.approx(0.85)


# ------------------------------------------------------------------ calibration registry


def test_calibration_tests_registered_return_pvalues():
    # Importing the family registers its tests (their cost is printed by bench/bench_calibration.py).
    tests = {name: registry.CALIBRATION_TESTS[name] for name in ("dip_turnout", "dip_leader", "sobyanin_slope")}
    assert all(fn.__module__ == "analysis.stats.distributions.summary" for fn in tests.values())
    rng = np.random.default_rng(10)
    stations, votes = canonical_tables(rng, n_stations=9725, n_regions=20)
    for name, fn in tests.items():
        p = fn(stations, votes, "A", np.random.default_rng(0))
        assert 0.0 <= p <= 1.0, name
    assert tests["sobyanin_slope"](stations, votes, "A", rng) > 0.01
    stuffed, stuffed_votes = canonical_tables(np.random.default_rng(11), n_stations=2000, n_regions=20, share_slope=1.5)
    assert tests["sobyanin_slope"](stuffed, stuffed_votes, "A", rng) < 1e-4


# ------------------------------------------------------------------ real data


@pytest.mark.dataset
def test_ru2011_reference_counts(processed_election):
    stations, votes = processed_election("ru2011")
    lv = measures.leader_votes(stations, votes, "United Russia")
    m = D.station_measures(stations, lv, turnout_definition="issued")
    # Reference (issue 4, computed independently): 3,750 stations with ballots issued = registered,
    # 914 with >= 100 registered, turnout >= 99 % and leader share >= 99 %.
    assert int((m.turnout_numerator == m.registered).sum()) == 3750
    assert count_extreme(m, turnout_min=0.99, share_min=0.99, min_registered=100) == 914
    # With ballots in the boxes (Kobak et al.): the dataset README's 3,595 rows at 100 %.
    boxes = D.station_measures(stations, lv, turnout_definition="boxes")
    assert int((boxes.turnout_numerator == boxes.registered).sum()) == 3595
    # The one station with zero ballots (Kamchatka ship) has no leader share and is counted, not dropped.
    assert m.excluded == {"leader share undefined (no ballots counted)": 1} and m.n == 95_224


@pytest.mark.dataset
def test_pl2020r1_control_is_unimodal(processed_election):
    stations, votes = processed_election("pl2020r1")
    m = D.station_measures(stations, measures.leader_votes(stations, votes, "Duda"))
    assert m.excluded.get("flagged row") == 4  # the four military-contingent rows holding "-"
    assert m.excluded.get("impossible counts: votes > registered") == 1  # the Sarbinowo resort station
    stats = D.summary_statistics(m, rng=np.random.default_rng(0))
    assert stats["dip_turnout_pvalue"] > 0.05 and stats["dip_leader_pvalue"] > 0.05
    assert stats["leader_votes_share_turnout_ge_90"] < 0.01
