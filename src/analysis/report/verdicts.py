"""The verdict table: for one election, each registered test's statistic, calibrated p-value and verdict.

Which tests appear, where their numbers are and what they mean is configured in
``config/verdicts.yml``; every number is read from the results files the notebooks wrote
(``reports/results/<election>/<notebook>.json``), nothing is recomputed here. A test's verdict
uses its calibration on clean synthetic elections (``type1_<test>_<scenario>`` in the
calibration results): a test whose type-I error is shown to exceed the nominal level on some
scenario gives no verdict ("uncalibrated"), because its rejections on real data would mean
little.

Verdicts: ``anomalous`` (p ≤ α, calibrated null), ``no evidence`` (p > α), ``uncalibrated``
(the null over-rejects clean synthetic elections), ``not calibrated`` (p ≤ α but the test has
no calibration run), ``n/a`` (the test does not apply, e.g. station-level tests on regional
results).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.core import config, paths

VERDICT_KEYS = ("label", "notebook", "statistic", "pvalue", "calibration", "meaning")
EFFECT_KEYS = ("key", "minus", "per", "unit")
CALIBRATION_ELECTION = "calibration"
ORDER = {"anomalous": 0, "not calibrated": 1, "uncalibrated": 2, "no evidence": 3, "n/a": 4}


@dataclass(frozen=True)
class Calibration:
    """Type-I error of one test on one clean synthetic scenario, with its exact 95 % interval."""

    scenario: str
    rate: float
    ci_low: float
    ci_high: float
    n: int

    @property
    def too_liberal(self) -> bool:
        """The interval lies above the nominal 5 %: the null rejects clean elections too often."""
        return bool(self.n > 0 and self.ci_low > 0.05)


def load_specs(config_dir: Path | None = None) -> dict[str, dict]:
    """``config/verdicts.yml``, checked: unknown or missing keys are an error naming the entry.

    A project without the file has no verdict table (empty mapping).
    """
    path = (config_dir or paths.CONFIG) / "verdicts.yml"
    if not path.exists():
        return {}
    specs = config.load_yaml(path)
    for name, spec in specs.items():
        if not isinstance(spec, dict):
            raise config.ConfigError(f"{path}: entry {name!r} must be a mapping")
        unknown = set(spec) - set(VERDICT_KEYS) - {"effect"}
        missing = {"label", "notebook", "statistic", "pvalue", "meaning"} - set(spec)
        if unknown or missing:
            raise config.ConfigError(
                f"{path}: entry {name!r}: unknown key(s) {sorted(unknown)}, missing {sorted(missing)}"
            )
        effect = spec.get("effect") or {}
        if set(effect) - set(EFFECT_KEYS) or (effect and "key" not in effect):
            raise config.ConfigError(f"{path}: entry {name!r}: effect takes {EFFECT_KEYS} (key required)")
    return specs


def read_election(election: str, results_dir: Path | None = None) -> dict[str, dict]:
    """{notebook: results mapping} of one election (skipped runs left out)."""
    folder = (results_dir or paths.RESULTS) / election
    out = {}
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        results = json.loads(path.read_text(encoding="utf-8"))
        if results.get("status") != "skipped":
            out[path.stem] = results
    return out


def calibrations(results_dir: Path | None = None) -> dict[str, list[Calibration]]:
    """{test: [Calibration per scenario]} from the calibration election's results, if any.

    Reads the keys written by the calibration notebook: ``tests`` (comma-separated names),
    ``n_elections_<scenario>``, ``type1_<test>_<scenario>`` and ``type1_ci_low_`` /
    ``type1_ci_high_<test>_<scenario>``.
    """
    out: dict[str, list[Calibration]] = {}
    for results in read_election(CALIBRATION_ELECTION, results_dir).values():
        tests = [t for t in str(results.get("tests") or "").split(",") if t]
        scenarios = [k[len("n_elections_") :] for k in results if k.startswith("n_elections_")]
        for test in tests:
            for scenario in scenarios:
                rate = _number(results.get(f"type1_{test}_{scenario}"))
                if math.isfinite(rate):
                    out.setdefault(test, []).append(
                        Calibration(
                            scenario=scenario,
                            rate=rate,
                            ci_low=_number(results.get(f"type1_ci_low_{test}_{scenario}")),
                            ci_high=_number(results.get(f"type1_ci_high_{test}_{scenario}")),
                            n=int(_number(results.get(f"n_elections_{scenario}"))),
                        )
                    )
    return out


def _lookup(results_by_notebook: dict[str, dict], notebook: str, key: str | None):
    if not key:
        return None
    preferred = [nb for nb in results_by_notebook if nb.startswith(notebook)]
    for nb in preferred + [nb for nb in results_by_notebook if nb not in preferred]:
        if key in results_by_notebook[nb]:
            return results_by_notebook[nb][key]
    return None


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def verdict(pvalue: float, alpha: float, calibration: list[Calibration] | None) -> str:
    """The verdict word for one p-value (see the module docstring)."""
    if not math.isfinite(pvalue):
        return "n/a"
    if calibration and any(c.too_liberal for c in calibration):
        return "uncalibrated"
    if pvalue > alpha:
        return "no evidence"
    return "anomalous" if calibration else "not calibrated"


def study_note(row) -> str:
    """One line on a verdict-table row's standing in the committed study ("" when calibrated).

    >>> study_note({"study_status": "uncalibrated", "study_rate": 0.2, "study_ci_low": 0.1,
    ...             "study_ci_high": 0.3, "study_n": 30, "study_scenario": "ru2011-like"})
    'uncalibrated: type-I 20.0 % [10.0, 30.0] on 30 ru2011-like elections'
    """
    status = row["study_status"]
    if status == "calibrated":
        return ""
    if not math.isfinite(_number(row["study_rate"])):
        return status
    return (
        f"{status}: type-I {100 * row['study_rate']:.1f} % [{100 * row['study_ci_low']:.1f}, "
        f"{100 * row['study_ci_high']:.1f}] on {row['study_n']} {row['study_scenario']} elections"
    )


def verdict_table(
    results_by_notebook: dict[str, dict],
    *,
    alpha: float = 0.05,
    specs: dict[str, dict] | None = None,
    calibration: dict[str, list[Calibration]] | None = None,
    study: dict | None = None,
) -> pd.DataFrame:
    """One row per configured test: statistic, p-value, verdict, effect, type-I error, meaning.

    ``study``: ``{registered test: CalibrationStatus}`` of the committed calibration study
    (:func:`analysis.report.calibration_status.election_status`); its status and measured
    type-I error go in the ``study_*`` columns, so a test the study cannot certify is marked
    beside its verdict. Rows are ordered by evidence (anomalous first, then by p-value).
    """
    specs = load_specs() if specs is None else specs
    calibration = calibration or {}
    rows = []
    for test, spec in specs.items():
        nb = str(spec["notebook"])
        pvalue = _number(_lookup(results_by_notebook, nb, spec["pvalue"]))
        cal = calibration.get(spec.get("calibration") or "", [])
        effect = spec.get("effect") or {}
        value = _number(_lookup(results_by_notebook, nb, effect.get("key")))
        if effect.get("minus"):
            value -= _number(_lookup(results_by_notebook, nb, effect["minus"]))
        if effect.get("per"):
            value /= _number(_lookup(results_by_notebook, nb, effect["per"]))
        worst = max(cal, key=lambda c: c.rate) if cal else None
        certified = (study or {}).get(spec.get("calibration") or "")
        rows.append(
            {
                "test": test,
                "label": spec["label"],
                "statistic": _number(_lookup(results_by_notebook, nb, spec["statistic"])),
                "pvalue": pvalue,
                "verdict": verdict(pvalue, alpha, cal),
                "effect": value,
                "effect_unit": effect.get("unit", ""),
                "type1_max": worst.rate if worst else math.nan,
                "type1_scenario": worst.scenario if worst else "",
                "meaning": spec["meaning"],
                "study_status": certified.status if certified else "not in study",
                "study_rate": certified.rate if certified else math.nan,
                "study_ci_low": certified.ci_low if certified else math.nan,
                "study_ci_high": certified.ci_high if certified else math.nan,
                "study_n": certified.n if certified else 0,
                "study_scenario": certified.scenario if certified else "",
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["_order"] = table["verdict"].map(ORDER)
    table = table.sort_values(["_order", "pvalue", "test"], na_position="last").drop(columns="_order")
    return table.reset_index(drop=True)
