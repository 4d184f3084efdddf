"""The estimator-calibration harness (analysis.synthetic.estimators): bias, RMSE and coverage of a
fake estimator whose error distribution is known, the truths of the injections, the same numbers
whatever the workers, and the results keys."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.core import config, paths
from analysis.synthetic import estimators, simulate

_SHIFT, _SD = 0.01, 0.02


def _toy(n=300):
    return simulate.scenario_from_dict(
        {
            "name": "toy",
            "n_stations": n,
            "candidates": {"leader": "A", "others": {"B": 1, "C": 1}},
            "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.55, "leader_mean": 0.45}],
        }
    )


def _noisy_truth(election, target, rng, *, level):
    """Truth + N(shift, sd), with the exact level-``level`` interval of an estimator whose sd is known."""
    truth = estimators.fraud_fraction_truth(election, target)
    est = truth + rng.normal(_SHIFT, _SD)
    half = stats.norm.ppf((1 + level) / 2) * _SD
    return est, est - half, est + half


_SCENARIOS = {"clean": {"target": "fi"}, "extreme": {"fraud": {"extreme": 0.05}, "target": "fe"}}


def _fake(level=0.9):
    return {
        "fake": estimators.Estimator("fake", _noisy_truth, estimators.fraud_fraction_truth, options={"level": level})
    }


def test_harness_reports_the_known_bias_and_nominal_coverage():
    # Estimate = truth + N(0.01, 0.02) with the interval est ± z·0.02: bias 0.01, RMSE √(0.01² + 0.02²),
    # coverage of truth P(|N(0.01, 0.02)| ≤ z·0.02) = Φ(z − 0.5) − Φ(−z − 0.5) (≈ 0.876 at 90 %; the
    # interval is centred on the estimate, so the shift lowers the coverage slightly below nominal).
    n = 200
    rows = estimators.simulate_estimates(_toy(), _SCENARIOS, _fake(), n, seed=3)
    table = estimators.calibration_table(rows, mc_confidence=0.99).set_index("scenario")
    z = stats.norm.ppf(0.95)
    expected_cov = stats.norm.cdf(z - _SHIFT / _SD) - stats.norm.cdf(-z - _SHIFT / _SD)
    for scen, truth in (("clean", 0.0), ("extreme", 0.05)):
        r = table.loc[scen]
        assert r["truth"] == truth and r["n_elections"] == n and r["n_intervals"] == n
        # Mean of n normals: within 4 standard errors of the shift.
        assert r["bias"] == pytest.approx(_SHIFT, abs=4 * _SD / np.sqrt(n))
        assert r["rmse"] == pytest.approx(np.hypot(_SHIFT, _SD), rel=0.15)
        # The Clopper–Pearson interval on the coverage holds the true coverage (99 % level here: it
        # fails with probability ≤ 1 % by construction) and is no wider than a binomial's ± 4 sd.
        assert r["coverage_low"] <= expected_cov <= r["coverage_high"]
        assert r["coverage_high"] - r["coverage_low"] < 8 * np.sqrt(0.25 / n)
    # A harness that used one rng stream for all elections, or compared with a wrong truth, moves these.


def test_coverage_interval_is_clopper_pearson():
    rows = estimators.simulate_estimates(_toy(), {"clean": {"target": "fi"}}, _fake(), 30, seed=5)
    r = estimators.calibration_table(rows, mc_confidence=0.9).iloc[0]
    covered = round(r["coverage"] * 30)
    # Clopper–Pearson from the beta quantiles (the textbook form, independent of binomtest).
    lo = stats.beta.ppf(0.05, covered, 30 - covered + 1) if covered > 0 else 0.0
    hi = stats.beta.ppf(0.95, covered + 1, 30 - covered) if covered < 30 else 1.0
    assert (r["coverage_low"], r["coverage_high"]) == pytest.approx((lo, hi))


def test_serial_and_two_workers_give_the_same_rows():
    serial = estimators.simulate_estimates(_toy(), _SCENARIOS, _fake(), 4, seed=9, scheduler="serial")
    two = estimators.simulate_estimates(_toy(), _SCENARIOS, _fake(), 4, seed=9, scheduler="local", n_jobs=2)
    assert serial.equals(two)
    assert serial["estimate"].nunique() == len(serial)  # every election and scenario its own draw


def test_truths_of_the_injections():
    e = simulate.simulate_election(_toy(2000), 1, fraud={"incremental": 0.3, "extreme": 0.02})
    assert estimators.fraud_fraction_truth(e, "fi") == 0.3
    assert estimators.fraud_fraction_truth(e, "fe") == 0.02
    touched = e.fraud_mask["incremental"] | e.fraud_mask["extreme"]
    assert estimators.fraud_fraction_truth(e, "fraction") == touched.mean()
    # The excess is what the leader gained: recount it from the long votes table.
    v = e.votes
    gained = v.loc[v["candidate"] == "A", "votes"].to_numpy(float).sum() - e.honest_leader_votes.sum()
    assert estimators.excess_votes_truth(e) == gained > 0
    with pytest.raises(ValueError, match="target"):
        estimators.fraud_fraction_truth(e, "alpha")


def test_a_failing_estimator_is_recorded_not_dropped():
    bad = estimators.Estimator("bad", _noisy_truth, estimators.fraud_fraction_truth, options={"level": 2.0, "oops": 1})
    rows = estimators.simulate_estimates(_toy(), {"clean": {"target": "fi"}}, {"bad": bad}, 2, seed=0)
    assert rows["error"].str.contains("TypeError").all() and rows["estimate"].isna().all()
    t = estimators.calibration_table(rows).iloc[0]
    assert t["n_failed"] == 2 and np.isnan(t["bias"])


def test_real_estimators_run_and_give_the_results_keys():
    # Shpilkin (cheap) through the real path: a clean and an extreme-fraud scenario, the keys of the notebook.
    est = estimators.default_estimators(shpilkin_options={"n_bootstrap": 30})
    scen = {"clean": {"target": "fi"}, "stuffing": {"fraud": {"extreme": 0.05}, "target": "fe"}}
    rows = estimators.simulate_estimates(_toy(2000), scen, {"shpilkin": est["shpilkin"]}, 3, seed=2)
    table = estimators.calibration_table(rows)
    keys = estimators.results_keys(table)
    assert {
        "bias_shpilkin_clean",
        "coverage_shpilkin_clean",
        "bias_shpilkin_stuffing",
        "coverage_shpilkin_stuffing",
    } <= set(keys)
    stuffing = table.set_index("scenario").loc["stuffing"]
    assert stuffing["truth"] > 0 and (rows["error"] == "").all()
    # Extreme fraud moves stations far above the peak, where Shpilkin's method sees it: the estimate
    # is of the order of the truth (a sign error or a truth in the wrong units would fail this).
    assert 0.3 < stuffing["mean_estimate"] / stuffing["truth"] < 3


def test_notebook_declares_its_scenarios_and_estimator_keys():
    spec = config.load_yaml(paths.CONFIG / "notebooks" / "11_estimator_calibration.yml")
    assert spec["levels"] == ["synthetic"]
    for name, s in spec["parameters"]["scenarios"]["default"].items():
        assert s["target"] in estimators.TARGETS, name
    assert set(estimators.default_estimators()) == {"klimek", "fm", "shpilkin"}
