"""Calibration machinery: rejection rates with exact intervals, reproducibility, and a test
known to be correct (uniform p-values under the null) landing inside its binomial interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.core import registry
from analysis.synthetic import calibration, simulate


def _scenario():
    return simulate.scenario_from_dict(
        {
            "name": "toy-cal",
            "n_stations": 400,
            "candidates": {"leader": "A", "others": {"B": 1}},
            "size": {"kind": "lognormal", "log_mean": 6.0, "log_sd": 0.4, "minimum": 100, "maximum": 2000},
            "turnout_sd": 0.0,
            "leader_sd": 0.0,
            "invalid_rate": 0.0,
            "mobile_rate": 0.0,
            "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}],
        }
    )


def exact_binomial_turnout_test(stations, votes, leader, rng):
    """Known-correct test: with rates fixed at 0.6 (sd 0), total issued ~ Bin(Σ registered, 0.6).

    Two-sided exact binomial test (scipy.stats.binomtest); its p-values are (conservatively)
    uniform under the null, so its rejection rate must be ≤ α up to sampling error.
    """
    k = int(stations["ballots_issued"].sum())
    n = int(stations["registered"].sum())
    return stats.binomtest(k, n, 0.6).pvalue


def uniform_pvalue_test(stations, votes, leader, rng):
    """A correct test by construction: p ~ U(0, 1) under any data."""
    return float(rng.random())


def turnout_excess_test(stations, votes, leader, rng):
    """One-sided: is total turnout above 0.6? Normal approximation to the binomial."""
    k = float(stations["ballots_issued"].sum())
    n = float(stations["registered"].sum())
    z = (k - 0.6 * n) / np.sqrt(n * 0.24)
    return float(stats.norm.sf(z))


TESTS = {
    "exact_binomial": exact_binomial_turnout_test,
    "uniform": uniform_pvalue_test,
    "turnout_excess": turnout_excess_test,
}


def test_rejection_rate_interval_is_clopper_pearson():
    r = calibration.rejection_rate([0.01, 0.2, 0.04, np.nan, 0.9], alpha=0.05)
    assert (r.rejections, r.n, r.n_failed) == (2, 4, 1)
    # Clopper-Pearson by its beta-quantile definition.
    assert r.ci_low == pytest.approx(stats.beta.ppf(0.025, 2, 3))
    assert r.ci_high == pytest.approx(stats.beta.ppf(0.975, 3, 2))


def test_correct_tests_are_calibrated_and_runs_reproducible():
    sc = _scenario()
    pv = calibration.simulate_pvalues(sc, TESTS, n_elections=200, seed=42, n_jobs=1, progress=False)
    table = calibration.type1_table(pv, list(TESTS), sc.name)
    for name in ("exact_binomial", "uniform", "turnout_excess"):
        row = table.set_index("test").loc[name]
        assert row["n"] == 200
        # The true rate (≤ 5 %) must lie inside the 95 % exact interval... for the exact test,
        # which is conservative, we only require the interval to reach down to ≤ 5 %.
        assert row["ci_low"] <= 0.05
    uni = table.set_index("test").loc["uniform"]
    assert uni["ci_low"] <= 0.05 <= uni["ci_high"]
    # Kolmogorov–Smirnov: the one-sided test's p-values are uniform under the null.
    assert stats.kstest(pv["turnout_excess"], "uniform").pvalue > 0.001
    again = calibration.simulate_pvalues(sc, TESTS, n_elections=200, seed=42, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(pv, again)


def test_power_rises_with_magnitude_and_80_percent_point():
    sc = _scenario()
    curve = calibration.power_curve(
        sc,
        {"turnout_excess": turnout_excess_test},
        "extreme",
        [0.0, 0.005, 0.05],
        n_elections=40,
        seed=1,
        n_jobs=1,
        progress=False,
    )
    power = curve.set_index("magnitude")["power"]
    assert power.loc[0.0] < 0.2 and power.loc[0.05] == 1.0
    m80 = calibration.magnitude_for_power(curve)
    assert m80["magnitude_80"].iloc[0] in (0.005, 0.05)


def test_failing_test_is_recorded_not_dropped():
    def broken(stations, votes, leader, rng):
        raise RuntimeError("boom")

    pv = calibration.simulate_pvalues(_scenario(), {"broken": broken}, n_elections=3, seed=0, n_jobs=1, progress=False)
    assert pv["broken"].isna().all() and pv["error:broken"].str.contains("boom").all()
    table = calibration.type1_table(pv, ["broken"], "toy")
    assert table["n_failed"].iloc[0] == 3 and table["flag"].iloc[0] == "no valid p-values"


def test_flags_a_liberal_test():
    pv = pd.DataFrame({"liberal": np.r_[np.full(30, 0.01), np.full(170, 0.5)]})
    table = calibration.type1_table(pv, ["liberal"], "toy")
    assert table["flag"].iloc[0] == "too liberal"
    assert bool(table["miscalibrated"].iloc[0])  # 15 % with 200 elections: interval excludes 5 %


def test_summary_table_joins_power():
    t1 = pd.DataFrame(
        {"scenario": ["s"], "test": ["a"], "n": [10], "type1": [0.05], "ci_low": [0.0], "ci_high": [0.3], "flag": [""]}
    )
    p80 = pd.DataFrame(
        {
            "scenario": ["s", "s"],
            "fraud_type": ["extreme", "rounding"],
            "test": ["a", "a"],
            "magnitude_80": [0.01, np.nan],
        }
    )
    out = calibration.summary_table(t1, p80)
    assert out.loc[0, "power80_extreme"] == 0.01 and np.isnan(out.loc[0, "power80_rounding"])


# ------------------------------------------------------------------ the registry


OWN_TESTS = {"dip_turnout", "dip_leader", "sobyanin_slope", "turnout_100_excess"}


def test_registered_tests_come_from_the_registry():
    # Every test registered by an analysis.stats module with @registry.calibration_test, found
    # by importing every module of the package (the ones of this family at least).
    tests = calibration.registered_tests()
    assert OWN_TESTS <= set(tests)
    assert list(tests) == sorted(tests)
    assert tests == {k: v for k, v in registry.CALIBRATION_TESTS.items() if v.__module__.startswith("analysis.stats.")}
    assert all(callable(fn) for fn in tests.values())


def _package(tmp_path, monkeypatch, name, modules):
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_a_module_that_fails_to_import_is_an_error(tmp_path, monkeypatch):
    # Null: no silent omission. A statistics module that cannot be imported must stop the
    # calibration, not drop its tests from it.
    good = (
        "from analysis.core import registry\n\n"
        "@registry.calibration_test('toy_registered')\n"
        "def toy(stations, votes, leader, rng):\n    return 0.5\n"
    )
    monkeypatch.setattr(registry, "CALIBRATION_TESTS", {})
    pkg = _package(tmp_path, monkeypatch, "toy_stats_ok", {"good": good})
    assert list(calibration.registered_tests(pkg)) == ["toy_registered"]
    broken = _package(
        tmp_path,
        monkeypatch,
        "toy_stats_broken",
        {"good": good.replace("toy_registered", "toy_other"), "bad": "import a_module_that_does_not_exist\n"},
    )
    with pytest.raises(registry.RegistryError, match="toy_stats_broken.bad failed to import"):
        calibration.registered_tests(broken)


def test_a_name_registered_twice_is_an_error(monkeypatch):
    monkeypatch.setattr(registry, "CALIBRATION_TESTS", {})

    @registry.calibration_test("twice")
    def first(stations, votes, leader, rng):
        return 0.5

    with pytest.raises(registry.RegistryError, match="registered twice"):

        @registry.calibration_test("twice")
        def second(stations, votes, leader, rng):
            return 0.5
