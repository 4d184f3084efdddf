"""The batch runner: many elections' notebooks as one task graph; a failing task is reported
with the notebook's error, its dependants are skipped, and every other task completes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import yaml

from analysis.core import paths
from analysis.report import batch
from analysis.report.pipeline import KERNEL_NAME

BODY = (
    "from analysis.core.results import write_results\n"
    "if election == 'sb' and NB == 'n1':\n"
    "    raise ValueError('deliberate failure of sb')\n"
    "write_results(election, NB, {'n': n})"
)


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def _project(root):
    """Two synthetic elections, n1 and n2 (n2 reads n1's results); n1 fails for sb."""
    _write(root / "config/analysis.yml", {"seed": {"default": 1, "help": "s"}})
    _write(root / "config/datasets.yml", {})
    for election in ("sa", "sb"):
        _write(root / f"config/elections/{election}.yml", {"title": election, "level": "synthetic", "dataset": None})
    for nb, requires in (("n1", []), ("n2", [{"notebook": "n1"}])):
        params = {"election": {"default": "sa", "help": "e"}, "n": {"default": 3, "help": "n"}}
        _write(
            root / f"config/notebooks/{nb}.yml", {"levels": ["synthetic"], "requires": requires, "parameters": params}
        )
        book = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell(f'election = "sa"\nn = 3\nNB = "{nb}"')
        cell.metadata["tags"] = ["parameters"]
        book.cells = [nbformat.v4.new_markdown_cell(f"# {nb}"), cell, nbformat.v4.new_code_cell(BODY)]
        book.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "py", "language": "python"}
        (root / "notebooks").mkdir(exist_ok=True)
        nbformat.write(book, root / "notebooks" / f"{nb}.ipynb")
    return root


def test_task_graph_follows_the_plan(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CONFIG", _project(tmp_path) / "config")
    monkeypatch.setattr(paths, "NOTEBOOKS", tmp_path / "notebooks")
    graph = batch.task_graph(None, "n=5")
    assert sorted(graph) == ["sa/n1", "sa/n2", "sb/n1", "sb/n2"]
    assert graph["sb/n2"][1] == ("sb/n1",) and graph["sa/n1"][1] == ()
    assert graph["sa/n2"][0]["params"] == "n=5" and graph["sa/n2"][0]["stamp"] == "build/stamps/sa/n2.done"
    assert batch.task_command(graph["sa/n2"][0])[-4:] == ["--notebook", "n2", "--params", "n=5"]


def test_a_failing_task_is_reported_and_the_rest_complete(tmp_path):
    root = _project(tmp_path)
    env = {**os.environ, "ELECTION_FORENSICS_ROOT": str(root)}
    cmd = [sys.executable, "-m", "analysis.report.pipeline", "batch", "--scheduler", "local", "--n-workers", "2"]
    done = subprocess.run(
        cmd + ["--params", "n=4"], check=False, cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stderr
    assert "sb/n1: sb/n1 failed in cell" in done.stderr and "deliberate failure of sb" in done.stderr
    for run in ("sa/n1", "sa/n2"):  # the other election's results are all there, as make writes them
        assert json.loads((root / f"reports/results/{run}.json").read_text())["n"] == 4
        assert (root / f"build/stamps/{run}.done").exists()
    assert (root / "reports/results/sb/n1.FAILED.txt").exists() and not (root / "build/stamps/sb/n1.done").exists()
    assert (root / "reports/index.html").exists()
    summary = json.loads((root / "reports/batch/latest.json").read_text())
    assert (summary["n_tasks"], summary["n_ok"], summary["n_failed"], summary["n_skipped"]) == (4, 2, 1, 1)
    assert summary["n_workers"] == 2 and summary["wall_seconds"] > 0
    assert (
        "failed in cell" in summary["failures"]["sb/n1"] and "deliberate failure of sb" in summary["failures"]["sb/n1"]
    )
    assert summary["failures"]["sb/n2"] == "dependency failed: sb/n1"
    assert {t["task"]: t["status"] for t in summary["tasks"]}["sa/n2"] == "ok"
