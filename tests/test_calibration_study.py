"""The committed calibration study: which tests it certifies, and which it marks uncalibrated or stale."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.report import calibration_status as cs
from analysis.synthetic.calibration import cache, study
from test_calibration import TESTS


def _ci(k, n):
    ci = stats.binomtest(k, n).proportion_ci(method="exact")
    return k / n, ci.low, ci.high


@pytest.mark.parametrize(
    ("k", "n", "status", "reason"),
    [
        (50, 1000, "calibrated", ""),  # 5.0 % [3.7, 6.5]: half-width 1.4 points
        (25, 500, "uncalibrated", "too few elections"),  # 5.0 % [3.3, 7.3]: half-width 2.0 points
        (1, 30, "uncalibrated", "too conservative"),  # the 3.3 % on 30 ru-like elections
        (80, 1000, "uncalibrated", "too liberal"),
        (0, 0, "uncalibrated", "no valid p-values"),
    ],
)
def test_certify_band_and_half_width(k, n, status, reason):
    rate, low, high = _ci(k, n) if n else (np.nan, np.nan, np.nan)
    got = study.certify(rate, low, high)
    assert got[0] == status and got[1].startswith(reason)


def _study(rows, versions):
    scenarios = {"s1": {"n_elections": 1000}, "s2": {"n_elections": 1000}}
    return {"provenance": {"scenarios": scenarios}, "code_versions": versions, "rows": rows}


def _row(scenario, test, k, n):
    rate, low, high = _ci(k, n)
    status, reason = study.certify(rate, low, high)
    return {"scenario": scenario, "test": test, "n": n, "type1": rate, "ci_low": low, "ci_high": high}, (status, reason)


def _rows(*specs):
    out = []
    for scenario, test, k, n in specs:
        row, (status, reason) = _row(scenario, test, k, n)
        out.append(row | {"status": status, "reason": reason})
    return out


def test_status_stale_uncalibrated_worst_scenario_and_missing():
    versions = cache.code_versions(TESTS)
    rows = _rows(
        ("s1", "exact_binomial", 50, 1000),
        ("s2", "exact_binomial", 52, 1000),
        ("s1", "uniform", 49, 1000),
        ("s2", "uniform", 150, 1000),
    )
    committed = _study(rows, {**versions, "uniform": versions["uniform"]})
    status = study.study_status(committed, TESTS)
    assert status["exact_binomial"].status == "calibrated"
    assert status["uniform"].status == "uncalibrated" and status["uniform"].scenario == "s2"
    assert status["uniform"].rate == pytest.approx(0.15) and "too liberal" in status["uniform"].reason
    assert study.study_status(committed, TESTS, "s1")["uniform"].status == "calibrated"
    assert status["turnout_excess"].status == "not in study" and np.isnan(status["turnout_excess"].rate)
    stale = study.study_status(_study(rows, {**versions, "exact_binomial": "0" * 16}), TESTS)
    assert stale["exact_binomial"].status == "stale" and stale["uniform"].status == "uncalibrated"


def test_committed_study_round_trip_and_report_reader(tmp_path, monkeypatch):
    versions = cache.code_versions(TESTS)
    committed = _study(_rows(("s1", "uniform", 50, 1000)), versions)
    committed["provenance"] |= {"date": "2026-11-30T00:00:00Z", "git_commit": "abc", "seed": 1}
    path = study.write_study(committed, tmp_path / "type1_study.json")
    assert study.read_study(path) == committed and study.read_study(tmp_path / "none.json") is None
    monkeypatch.setattr(cs, "registered_tests", lambda: TESTS)
    status = cs.calibration_status(path=path)
    assert status["uniform"].status == "calibrated" and status["exact_binomial"].status == "not in study"
    keys = cs.study_results(committed, status)
    assert keys["study_status_uniform"] == "calibrated" and keys["n_study_not_in_study"] == 2
    assert keys["study_type1_uniform_s1"] == 0.05 and keys["study_date"] == "2026-11-30T00:00:00Z"
    assert keys["study_n_elections_s1"] == 1000


def test_the_committed_study_covers_every_registered_test():
    committed = study.read_study()
    if committed is None:
        pytest.skip("no committed study")
    tests = cs.registered_tests()
    assert set(committed["code_versions"]) == set(tests)
    scenarios = committed["provenance"]["scenarios"]
    assert {(r["scenario"], r["test"]) for r in committed["rows"]} == {(s, t) for s in scenarios for t in tests}
    for row in committed["rows"]:
        assert row["n"] + row["n_failed"] == scenarios[row["scenario"]]["n_elections"]
        assert (row["status"], row["reason"]) == study.certify(row["type1"], row["ci_low"], row["ci_high"])
