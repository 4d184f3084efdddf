"""Adding an election takes a catalog entry and config/elections/<id>.yml, nothing else (issue 9).

The project is copied into a temporary folder; ``ru2011copy`` is registered there as a copy of
ru2011's catalog entry (config/datasets.yml) and election config, and ``make all
ELECTION=ru2011copy`` runs every notebook of a station-level election on it end to end: data
preparation (from ``ELECTION_DATA_MIRROR``), the control's data, the notebooks, the index.
Monte Carlo and bootstrap sizes are shrunk through ``PARAMS`` so that it takes minutes.
"""

from __future__ import annotations

import copy
import json
import shutil
import time

import pytest
import yaml

from analysis.core import paths

NEW = "ru2011copy"
TEMPLATE = "ru2011"
SMALL = (
    "n_sims=19 n_sims_candidates=9 n_boot=49 rozenas_resamples=20 rozenas_fit_stations=2000 rozenas_null_draws=2 "
    "n_bootstrap=2 maxiter=60 max_stations=3000"
)
COPIED = ("src", "config", "notebooks", "Makefile", "pyproject.toml")


def _copy_project(root):
    for name in COPIED:
        source = paths.ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, root / name)
    shutil.copytree(paths.DATA_RAW, root / "data" / "raw", ignore=shutil.ignore_patterns("external"))
    (root / "data" / "processed").mkdir(parents=True)


def _register_copy(root):
    """The two edits a user makes: a catalog entry and an election config."""
    catalog_path = root / "config" / "datasets.yml"
    entry = copy.deepcopy(yaml.safe_load(catalog_path.read_text(encoding="utf-8"))[TEMPLATE])
    entry["title"] = f"{entry['title']} (copy)"
    with open(catalog_path, "a", encoding="utf-8") as fh:
        fh.write("\n" + yaml.safe_dump({NEW: entry}, allow_unicode=True, sort_keys=False))
    election = yaml.safe_load((root / "config" / "elections" / f"{TEMPLATE}.yml").read_text(encoding="utf-8"))
    election.update(dataset=NEW, title=f"{election['title']} (copy)", order=99)
    (root / "config" / "elections" / f"{NEW}.yml").write_text(
        yaml.safe_dump(election, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


@pytest.mark.slow
@pytest.mark.dataset
def test_new_election_by_config_runs_end_to_end(tmp_path, mirror, run_make, record_property):
    from analysis.data import datasets

    for dataset_id in (TEMPLATE, "pl2020r1"):  # the election and its control
        entry = datasets.dataset_entry(dataset_id)
        if datasets.local_file(entry, mirror=mirror) is None:
            pytest.skip(datasets.how_to_get(entry))
    root = tmp_path / "proj"
    _copy_project(root)
    _register_copy(root)

    started = time.perf_counter()
    result = run_make(root, "all", "-j2", f"ELECTION={NEW}", f"PARAMS={SMALL}", "STRICT=1", timeout=3600)
    duration = time.perf_counter() - started
    record_property("make_all_new_election_s", round(duration, 1))
    print(f"make all ELECTION={NEW}: {duration:.0f} s")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    plan = (root / "build" / "plan.mk").read_text(encoding="utf-8")
    runs_line = next(line for line in plan.splitlines() if line.startswith(f"PLAN_RUNS_{NEW} := "))
    notebooks = [stamp.rsplit("/", 1)[1].removesuffix(".done") for stamp in runs_line.split()[2:]]
    assert len(notebooks) >= 5, runs_line
    for notebook in notebooks:
        results = json.loads((root / "reports" / "results" / NEW / f"{notebook}.json").read_text(encoding="utf-8"))
        assert results and results.get("status") != "skipped", (notebook, results)
        assert (root / "reports" / "notebooks" / NEW / f"{notebook}.html").exists()
    assert (root / "data" / "processed" / NEW / "stations.parquet").exists()
    assert f'id="{NEW}"' in (root / "reports" / "index.html").read_text(encoding="utf-8")

    again = run_make(root, "all", f"ELECTION={NEW}", f"PARAMS={SMALL}", "STRICT=1")
    assert again.returncode == 0 and "RUN " not in again.stderr and "Nothing to be done" in again.stdout, again.stderr
