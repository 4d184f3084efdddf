"""Cache of finished calibration units: a rerun with more elections computes only the new ones,
with the same numbers as a run without cache; editing one test's module invalidates it only."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pandas as pd

from analysis.synthetic import calibration
from analysis.synthetic.calibration import cache
from test_calibration import TESTS, _scenario


def _pv(n, cache_dir=None, tests=TESTS, fraud=None):
    return calibration.simulate_pvalues(
        _scenario(), tests, n, seed=5, fraud=fraud, n_jobs=1, progress=False, cache_dir=cache_dir
    )


def test_rerun_with_more_elections_reuses_finished_units(tmp_path):
    first = _pv(4, tmp_path)
    assert first.attrs["run"]["n_units_computed"] == 4 * len(TESTS)
    assert first.attrs["run"]["n_units_cached"] == 0
    more = _pv(7, tmp_path)
    run = more.attrs["run"]
    assert run["n_units_cached"] == 4 * len(TESTS) and run["n_units_computed"] == 3 * len(TESTS)
    assert run["n_elections_simulated"] == 3
    plain = _pv(7)
    pd.testing.assert_frame_equal(more, plain)
    again = _pv(7, tmp_path)
    assert again.attrs["run"]["n_units_computed"] == 0 and again.attrs["run"]["n_elections_simulated"] == 0
    pd.testing.assert_frame_equal(again, plain)


def test_a_new_test_computes_only_its_units(tmp_path):
    _pv(5, tmp_path, tests={k: TESTS[k] for k in ("uniform", "turnout_excess")})
    both = _pv(5, tmp_path)
    assert both.attrs["run"]["n_units_computed"] == 5 and both.attrs["run"]["n_units_cached"] == 10
    pd.testing.assert_frame_equal(both, _pv(5))


def test_power_curve_and_fraud_are_separate_batches(tmp_path):
    clean = _pv(3, tmp_path)
    fraud = _pv(3, tmp_path, fraud={"extreme": {"magnitude": 0.2}})
    assert fraud.attrs["run"]["n_units_cached"] == 0  # another batch: fraud is part of the key
    assert not np.allclose(clean["turnout_excess"], fraud["turnout_excess"])
    kwargs = dict(n_jobs=1, progress=False, seed=3)
    curve = calibration.power_curve(_scenario(), TESTS, "extreme", [0.0, 0.1], 3, cache_dir=tmp_path, **kwargs)
    again = calibration.power_curve(_scenario(), TESTS, "extreme", [0.0, 0.1, 0.2], 3, cache_dir=tmp_path, **kwargs)
    assert again.attrs["run"]["n_units_computed"] == 3 * len(TESTS)
    pd.testing.assert_frame_equal(again[again["magnitude"] < 0.15].reset_index(drop=True), curve)


def test_editing_one_test_module_changes_only_its_version(tmp_path, monkeypatch):
    pkg = tmp_path / "toycal"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "one.py").write_text("def one(s, v, l, rng):\n    return 0.5\n")
    (pkg / "two.py").write_text("def two(s, v, l, rng):\n    return 0.25\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    one, two = importlib.import_module("toycal.one").one, importlib.import_module("toycal.two").two
    before = cache.code_versions({"one": one, "two": two})
    (pkg / "one.py").write_text("def one(s, v, l, rng):\n    return 0.75  # edited\n")
    cache._stats_closure.cache_clear()
    after = cache.code_versions({"one": one, "two": two})
    assert after["one"] != before["one"] and after["two"] == before["two"]
    for name in ("toycal", "toycal.one", "toycal.two"):
        sys.modules.pop(name, None)


def test_a_test_version_covers_the_stats_modules_it_imports():
    tests = calibration.registered_tests()
    module = sys.modules[tests["sobyanin_slope"].__module__]
    closure = dict(cache._stats_closure(module.__name__))
    assert module.__name__ in closure and len(closure) > 1  # it imports other analysis.stats modules
    assert all(name.startswith("analysis.stats") for name in closure)
