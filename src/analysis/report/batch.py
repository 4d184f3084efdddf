"""Run the notebooks of many elections as one batch: each (election, notebook) a task.

``python -m analysis.report.pipeline batch --elections ru2004 ru2007 ... --scheduler tcp://host:8786``
(or ``make batch ELECTION="..." SCHEDULER=...``) builds the run plan
(:func:`analysis.report.plan.build_plan`) and turns it into a task graph: the preparation of
each election's data is a task, and each run depends on the data it reads and on the runs
whose results it reads. The graph runs through :func:`analysis.core.execution.run_graph`
(serial, local processes, a Dask ``LocalCluster`` or a Dask scheduler), and each task writes
what ``make all`` writes (``reports/results``, ``reports/notebooks``, ``reports/figures`` and
the ``build/stamps`` that make reads, so a later ``make all`` does not redo them).

A failing task is recorded with the notebook's error and does not stop the others; tasks that
depend on it are skipped (and say which dependency failed). The batch ends by rebuilding
``reports/index.html`` and writing its summary, ``reports/batch/<UTC time>.json`` (and
``reports/batch/latest.json``): wall time, tasks, workers, scheduler, failures and one record
per task (status, error, seconds, host).

Workers must see the repository and the data at the same paths (a shared file system, or the
same checkout with ``ELECTION_DATA_MIRROR``): README, "Parallel and distributed runs".
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

from analysis.core import config, execution, paths
from analysis.report import plan as run_plan

BATCH_DIR = "batch"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def task_command(task: dict) -> list[str]:
    """The command a task runs: the one ``make`` runs for the same target."""
    if task["kind"] == "data":
        cmd = [sys.executable, "-m", "analysis.data.datasets", "prepare", task["election"]]
    else:
        cmd = [sys.executable, "-m", "analysis.report.pipeline", "run", "--election", task["election"]]
        cmd += ["--notebook", task["notebook"], "--params", task["params"]]
    return [*cmd, "--strict"] if task["strict"] else cmd


def index_command() -> list[str]:
    """The command that rebuilds ``reports/index.html`` at the end of a batch."""
    return [sys.executable, "-m", "analysis.report.index", "--out", str(paths.REPORTS / "index.html")]


def _error(stderr: str, returncode: int) -> str:
    """The notebook's error as the runner printed it (``ERROR: ... failed in cell N: ...``), else the last lines."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    return errors[-1] if errors else f"exit status {returncode}: " + " | ".join(lines[-3:])


def _touch(stamp: str) -> None:
    path = paths.ROOT / stamp
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def execute_task(task: dict, dependencies: list[dict]) -> dict:
    """Run one task of a batch (prepare an election's data, or one notebook); never raises.

    The task runs :func:`task_command` (what ``make`` runs for the same target) in its own
    process. Returns a record: ``task``, ``status`` (``ok``, ``failed``, ``skipped``),
    ``error`` (the notebook's error), ``wall_seconds``, ``cpu_seconds`` (the task's processes,
    notebook kernel included), ``host``, ``pid``.
    """
    start, cpu = time.perf_counter(), _children_cpu()
    record = {"task": task["name"], "kind": task["kind"], "status": "ok", "error": ""}
    failed = [d["task"] for d in dependencies if d["status"] != "ok"]
    if failed:
        record.update(status="skipped", error=f"dependency failed: {', '.join(failed)}")
    else:
        # a process per task, as under make: a crashing notebook cannot take the worker down
        done = subprocess.run(task_command(task), cwd=paths.ROOT, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            _touch(task["stamp"])
        else:  # recorded per task: one failing election does not stop the batch
            record.update(status="failed", error=_error(done.stderr, done.returncode))
    record.update(
        wall_seconds=time.perf_counter() - start,
        cpu_seconds=_children_cpu() - cpu,
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    return record


def task_graph(elections: list[str] | None, params: str = "", strict: bool = False) -> dict[str, tuple]:
    """The plan as a task graph for :func:`analysis.core.execution.run_graph`: ``{name: (task, dependencies)}``.

    ``params`` are the overrides as ``PARAMS`` writes them (``"alpha=0.01 n_sims=200"``).
    """
    plan = run_plan.build_plan(elections or None, config.parse_overrides(params))
    graph: dict[str, tuple] = {}
    for election in plan.data_elections:
        name = f"data:{election}"
        task = {"name": name, "kind": "data", "election": election, "strict": strict}
        graph[name] = (task | {"stamp": run_plan.data_stamp(election)}, ())
    for run in run_plan.run_order(plan):  # the longest chains first, as make -j starts them
        task = {
            "name": str(run),
            "kind": "run",
            "election": run.election,
            "notebook": run.notebook,
            "params": params,
            "strict": strict,
            "stamp": run.stamp,
        }
        deps = [f"data:{e}" for e in plan.needs_data[run]] + [str(r) for r in plan.needs_runs[run]]
        graph[str(run)] = (task, tuple(deps))
    return graph


def run_batch(
    elections: list[str] | None,
    params: str = "",
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    strict: bool = False,
    progress: bool = True,
    build_index: bool = True,
) -> dict:
    """Run every task of the batch; return (and write) its summary. See the module docstring."""
    graph = task_graph(elections, params, strict)
    started = datetime.datetime.now(datetime.UTC)
    done, info = execution.run_graph(
        execute_task, graph, scheduler=scheduler, n_workers=n_workers, progress=progress, desc="batch"
    )
    records = list(done.values())
    if build_index:
        # its own process, as the runs: the index's imports (results tables, calibration studies)
        # would otherwise weigh on every `pipeline run`, which imports this module
        subprocess.run(index_command(), cwd=paths.ROOT, check=True)
    summary = {
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "elections": sorted({t["election"] for t, _ in graph.values()}),
        "params": params,
        "scheduler": info.scheduler,
        "n_workers": info.n_workers,
        "n_tasks": info.n_units,
        "wall_seconds": info.wall_seconds,
        "cpu_seconds": sum(r["cpu_seconds"] for r in records),
        "n_ok": sum(r["status"] == "ok" for r in records),
        "n_failed": sum(r["status"] == "failed" for r in records),
        "n_skipped": sum(r["status"] == "skipped" for r in records),
        "failures": {r["task"]: r["error"] for r in records if r["status"] != "ok"},
        "tasks": records,
    }
    out_dir = paths.REPORTS / BATCH_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=1, default=str) + "\n"
    (out_dir / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json").write_text(text, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    return summary


def describe(summary: dict) -> str:
    """The summary in a few lines (printed at the end of a batch)."""
    lines = [
        f"batch: {summary['n_tasks']} tasks on {summary['n_workers']} workers ({summary['scheduler']}) in "
        f"{summary['wall_seconds']:.1f} s wall, {summary['cpu_seconds']:.1f} s CPU: {summary['n_ok']} ok, "
        f"{summary['n_failed']} failed, {summary['n_skipped']} skipped"
    ]
    lines += [f"  {task}: {error}" for task, error in summary["failures"].items()]
    lines.append(f"  summary: {Path(paths.REPORTS) / BATCH_DIR / 'latest.json'}")
    return "\n".join(lines)
