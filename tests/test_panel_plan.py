"""The panel pseudo-election: `level:<level>` requirements in the run plan, and the panel's tables and keys.

The plan test builds a small project (a region-, two station- and a panel-level election) and
checks that a notebook requiring ``level:station`` runs after that notebook of every
station-level election, and of no other. The table tests write results files by hand (the
numbers a reader can check) and read them back through :mod:`analysis.report.panel`.
"""

from __future__ import annotations

import json
import math

import nbformat
import pytest
import yaml

from analysis.core import config
from analysis.report import panel
from analysis.report import plan as run_plan


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture
def project(tmp_path):
    cfg = tmp_path / "config"
    _write(cfg / "analysis.yml", {"seed": {"default": 1, "help": "s"}})
    elections = {
        "reg": {"order": 1, "title": "R", "level": "region", "dataset": "reg", "leader": "A", "control": None},
        "st1": {"order": 2, "title": "S1", "level": "station", "dataset": "st1", "leader": "A", "control": "st2"},
        "st2": {"order": 3, "title": "S2", "level": "station", "dataset": "st2", "leader": "A", "control": None},
        "pan": {"order": 8, "title": "P", "level": "panel", "dataset": None},
    }
    for election, body in elections.items():
        _write(cfg / "elections" / f"{election}.yml", body)
    p = {"election": {"default": "st1", "help": "e"}}
    notebooks = {
        "03_dist": {"levels": ["station"], "parameters": p},
        "03r_dist": {"levels": ["region"], "parameters": p},
        "10_panel": {
            "levels": ["panel"],
            "requires": [
                {"notebook": "03_dist", "election": "level:station"},
                {"notebook": "03r_dist", "election": "level:region"},
                {"data": "level:station"},
            ],
            "parameters": p,
        },
    }
    (tmp_path / "notebooks").mkdir()
    for nb, body in notebooks.items():
        _write(cfg / "notebooks" / f"{nb}.yml", body)
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / f"{nb}.ipynb")
    return tmp_path


def _plan(root, **kwargs):
    return run_plan.build_plan(config_dir=root / "config", notebooks_dir=root / "notebooks", **kwargs)


def test_level_requirement_runs_after_every_election_of_that_level(project):
    plan = _plan(project)
    assert run_plan.describe(plan).splitlines()[-1] == (
        "pan/10_panel  <- data:st1, data:st2, st1/03_dist, st2/03_dist, reg/03r_dist"
    )
    only = _plan(project, elections=["pan"])  # `make all ELECTION=pan` plans what the panel reads
    assert [str(r) for r in only.all_runs()] == ["reg/03r_dist", "st1/03_dist", "st2/03_dist", "pan/10_panel"]
    assert "build/stamps/pan/10_panel.done: build/stamps/data/st1.done build/stamps/data/st2.done" in run_plan.makefile(
        only
    )


def test_level_requirement_rejects_unknown_levels(project):
    spec = project / "config" / "notebooks" / "10_panel.yml"
    _write(spec, {"levels": ["panel"], "requires": [{"notebook": "03_dist", "election": "level:stations"}]})
    with pytest.raises(config.ConfigError, match=r"'level:stations' must be an election id.*levels: station, region"):
        _plan(project)


def test_panel_level_needs_no_dataset_or_leader(project):
    assert config.load_election("pan", project / "config")["level"] == "panel"
    _write(project / "config" / "elections" / "st3.yml", {"title": "S3", "level": "station", "dataset": None})
    with pytest.raises(config.ConfigError, match="a station-level election needs 'dataset'"):
        config.load_election("st3", project / "config")


def test_repository_plan_for_the_panel_lists_every_election_it_reads():
    plan = run_plan.build_plan(elections=["panel"])
    runs = {str(r) for r in plan.all_runs()}
    station = panel.panel_elections(("station",))
    assert {f"{e}/06_integer_spikes" for e in station} <= runs and "kz2011/06r_kz2011_integer_spikes" in runs
    assert "calibration/07_calibration_power" in runs and not any(r.startswith("panel/0") for r in runs)
    assert set(plan.needs_data[run_plan.Run("panel", "10_panel")]) == set(station)


SPECS = {
    "integer_either": {
        "label": "Integer",
        "notebook": "06",
        "statistic": "integer_observed_either",
        "pvalue": "integer_exact_pvalue_either",
        "calibration": "integer_either",
        "effect": {"key": "integer_excess_either", "per": "integer_null_sd_either", "unit": "null sd"},
        "meaning": "m",
    },
    "percentage_grid": {
        "label": "Grid",
        "notebook": "05",
        "statistic": "kz_grid_observed",
        "pvalue": "kz_grid_pvalue",
        "calibration": None,
        "meaning": "m",
    },
}


@pytest.fixture
def results_dir(tmp_path):
    files = {
        ("ru", "06_integer_spikes"): {"integer_observed_either": 1100, "integer_exact_pvalue_either": 1e-6,
                                      "integer_excess_either": 100.0, "integer_null_sd_either": 20.0,
                                      "integer_null_q999_either": 1060.0, "n_included": 900},
        ("ru", "04_full_turnout"): {"n_turnout_100": 50, "expected_turnout_100": 5.0},
        ("pl", "06_integer_spikes"): {"integer_observed_either": 500, "integer_exact_pvalue_either": 0.4,
                                      "integer_excess_either": 2.0, "integer_null_sd_either": 10.0,
                                      "integer_null_q999_either": 530.0, "n_included": 400},
        ("kz", "05r_kz_digits"): {"kz_grid_observed": 54, "kz_grid_pvalue": 1e-5},
        ("skipped", "06_integer_spikes"): {"status": "skipped", "reason": "no data"},
    }  # fmt: skip
    for (election, nb), data in files.items():
        path = tmp_path / election / f"{nb}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def test_panel_tables_and_keys_from_results_files(results_dir, capsys):
    results = panel.gather(["ru", "pl", "kz", "skipped", "never"], results_dir)
    assert list(results) == ["ru", "pl", "kz"]
    assert "skipped: no results yet" in capsys.readouterr().out
    cal = {"integer_either": []}
    levels = {"ru": "station", "pl": "station", "kz": "region"}
    long = panel.verdict_long(results, alpha=0.05, specs=SPECS, calibration=cal, levels=levels)
    got = {(r.election, r.test): r.verdict for r in long.itertuples()}
    # kz keeps only the test that applies to it; ru's grid test has no p-value: n/a
    assert got == {
        ("ru", "integer_either"): "not calibrated",
        ("ru", "percentage_grid"): "n/a",
        ("pl", "integer_either"): "no evidence",
        ("pl", "percentage_grid"): "n/a",
        ("kz", "percentage_grid"): "not calibrated",
    }
    effect = long.set_index(["election", "test"]).loc[("ru", "integer_either"), "effect"]
    assert effect == pytest.approx(100.0 / 20.0)
    matrix = panel.verdict_matrix(long, ["pl", "ru", "kz"], list(SPECS))
    assert matrix.loc["integer_either", "kz"] == "—" and matrix.columns.tolist() == ["pl", "ru", "kz"]
    series = panel.series_table(results)
    assert series.loc["ru", "integer_band_either"] == pytest.approx(1060.0 - (1100 - 100.0))
    assert series.loc["ru", "n_turnout_100"] == 50 and math.isnan(series.loc["pl", "n_turnout_100"])
    keys = panel.panel_results(results, long)
    assert keys == {
        "n_elections": 3,
        "integer_excess_either_ru": 100.0,
        "integer_null_sd_either_ru": 20.0,
        "n_included_ru": 900,
        "integer_excess_either_pl": 2.0,
        "integer_null_sd_either_pl": 10.0,
        "n_included_pl": 400,
        "pvalue_integer_either_ru": 1e-6,
        "pvalue_integer_either_pl": 0.4,
        "pvalue_percentage_grid_kz": 1e-5,
    }


def test_kobak_series_config_is_checked(tmp_path):
    _write(tmp_path / "kobak_series.yml", {"series": {"x": {"excess": 1.0, "turnout_count": "ballots_cast"}}})
    with pytest.raises(config.ConfigError, match="turnout_count 'ballots_cast'"):
        panel.load_kobak_series(tmp_path)
    entries = panel.load_kobak_series()
    assert entries["ru2020_issued"]["election"] == "ru2020" and entries["ru2004"]["turnout_count"] == "ballots_issued"
