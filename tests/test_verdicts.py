"""Verdict table: numbers read from results files, verdicts from p-values and calibration."""

import json
import math

import pytest

from analysis.core.config import ConfigError
from analysis.report import verdicts as V

SPECS = {
    "integer_either": {
        "label": "Integer spikes",
        "notebook": "06",
        "statistic": "integer_observed_either",
        "pvalue": "integer_exact_pvalue_either",
        "calibration": "integer_either",
        "effect": {"key": "integer_excess_either", "per": "integer_null_sd_either", "unit": "null sd"},
        "meaning": "m1",
    },
    "lastc": {
        "label": "LastC",
        "notebook": "05",
        "statistic": "lastc",
        "pvalue": "lastc_pvalue",
        "calibration": "lastc",
        "meaning": "m2",
    },
    "grid": {
        "label": "Grid",
        "notebook": "05",
        "statistic": "g",
        "pvalue": "g_pvalue",
        "calibration": None,
        "meaning": "m3",
    },
    "dip": {
        "label": "Dip",
        "notebook": "03",
        "statistic": "dip",
        "pvalue": "dip_pvalue",
        "calibration": "dip",
        "meaning": "m4",
    },
}


def _cal(rate, low, high, n=200):
    return [V.Calibration("kz2011_like", rate, low, high, n)]


def test_verdicts_follow_pvalue_and_calibration():
    results = {
        "05_digits": {"lastc": 4.4, "lastc_pvalue": 0.001, "g": 54, "g_pvalue": 1e-5},
        "06_integer_spikes": {
            "integer_observed_either": 17803,
            "integer_exact_pvalue_either": 2e-18,
            "integer_excess_either": 1000.0,
            "integer_null_sd_either": 100.0,
        },
        "03_distributions": {"dip": None, "dip_pvalue": None},
    }
    cal = {"integer_either": _cal(0.05, 0.03, 0.08), "lastc": _cal(0.60, 0.42, 0.76), "dip": _cal(0.0, 0.0, 0.02)}
    table = V.verdict_table(results, alpha=0.05, specs=SPECS, calibration=cal).set_index("test")
    assert table.loc["integer_either", "verdict"] == "anomalous"
    assert table.loc["integer_either", "effect"] == pytest.approx(10.0)  # 1000 / 100 null sd
    assert table.loc["lastc", "verdict"] == "uncalibrated"  # over-rejects clean elections: no verdict
    assert table.loc["lastc", "type1_max"] == pytest.approx(0.60)
    assert table.loc["grid", "verdict"] == "not calibrated"  # p <= alpha but never checked on clean data
    assert table.loc["dip", "verdict"] == "n/a"  # does not apply (null results)
    assert math.isnan(table.loc["dip", "statistic"])
    # ordered by evidence: anomalous first, n/a last
    assert list(table.index) == ["integer_either", "grid", "lastc", "dip"]


def test_no_evidence_above_alpha_and_region_notebooks_found_by_prefix():
    results = {"05r_kz2011_digits": {"lastc": 4.9, "lastc_pvalue": 0.6}}
    table = V.verdict_table(
        results, alpha=0.05, specs={"lastc": SPECS["lastc"]}, calibration={"lastc": _cal(0.05, 0.03, 0.08)}
    )
    assert table.loc[0, "verdict"] == "no evidence"
    assert table.loc[0, "statistic"] == 4.9


def test_calibrations_read_from_results(tmp_path):
    folder = tmp_path / "calibration"
    folder.mkdir()
    (folder / "07_calibration_power.json").write_text(
        json.dumps(
            {
                "tests": "lastc,integer_either",
                "n_elections_kz2011_like": 200,
                "type1_lastc_kz2011_like": 0.6,
                "type1_ci_low_lastc_kz2011_like": 0.53,
                "type1_ci_high_lastc_kz2011_like": 0.67,
                "type1_integer_either_kz2011_like": 0.045,
                "type1_ci_low_integer_either_kz2011_like": 0.02,
                "type1_ci_high_integer_either_kz2011_like": 0.08,
            }
        )
    )
    cal = V.calibrations(tmp_path)
    assert cal["lastc"] == [V.Calibration("kz2011_like", 0.6, 0.53, 0.67, 200)]
    assert cal["lastc"][0].too_liberal and not cal["integer_either"][0].too_liberal


def test_config_is_valid_and_typos_are_errors(tmp_path):
    specs = V.load_specs()
    assert {"integer_either", "turnout_100_excess", "sobyanin_slope"} <= set(specs)
    (tmp_path / "verdicts.yml").write_text(
        "x:\n  label: a\n  notebook: '05'\n  statistic: s\n  pvalue: p\n  meaning: m\n  pvlaue: q\n"
    )
    with pytest.raises(ConfigError, match=r"entry 'x': unknown key\(s\) \['pvlaue'\]"):
        V.load_specs(tmp_path)


def test_the_committed_study_marks_what_it_cannot_certify():
    from analysis.synthetic.calibration.study import CalibrationStatus

    results = {"05_digits": {"lastc": 4.4, "lastc_pvalue": 0.001}}
    study = {
        "lastc": CalibrationStatus("uncalibrated", 0.12, 0.08, 0.17, 100, "pl2020-like", "outside [3.5 %, 6.5 %]"),
        "integer_either": CalibrationStatus("calibrated", 0.05, 0.04, 0.062, 1000, "pl2020-like", ""),
    }
    table = V.verdict_table(results, alpha=0.05, specs=SPECS, study=study).set_index("test")
    assert table.loc["lastc", "verdict"] == "not calibrated"  # the verdict word is unchanged ...
    assert V.study_note(table.loc["lastc"]) == "uncalibrated: type-I 12.0 % [8.0, 17.0] on 100 pl2020-like elections"
    assert V.study_note(table.loc["integer_either"]) == ""  # ... and a certified test carries no mark
    assert table.loc["grid", "study_status"] == "not in study"
    assert V.study_note(table.loc["grid"]) == "not in study"
