"""Benchmark: compute time of every station-level notebook on one election (issue 10, "Speed").

Runs each notebook whose ``levels`` (config/notebooks/<nb>.yml) contain ``station`` for one
election through ``python -m analysis.report.pipeline run`` (papermill + HTML export, as
``make all`` does) and prints one row per notebook: wall seconds, CPU seconds (user + system of
the pipeline process and everything it starts, the notebook's kernel included:
``getrusage(RUSAGE_CHILDREN)`` around the run), the election's stations and CPU seconds per
100,000 stations. A notebook that reads a control election (03, 04: pl2020r1 for ru2011)
computes it in the same run. Expensive calls whose results other runs repeat exactly are read from a
content-hash cache (:mod:`analysis.report.memo`): in ``make all`` the control's own run of a
notebook fills it, and every election that shows the control beside it reads it back (notebook
06: pl2020r1's Rozenas estimate and bootstrap null). By default (``--controls cached``) the bench
does the same: before timing an election's notebook it runs the control's (untimed, printed), so
the time is the election's own share of a panel run; ``--controls cold`` times the control's work
inside the election's run (a first run of one election alone).

Issue 10's target: the per-election test notebooks (protocols, distributions, 100 %, digits,
spikes) together take at most 60 s of compute per 100,000 stations. They are the notebooks
declared with ``budget: tests`` (the default in config/notebooks/<nb>.yml); the fraud-estimator
notebooks (``budget: fraud_estimators``, issue 11: <= 120 s per 100,000 stations) are timed
but left out of that total.
CPU time is the measure: on a shared machine wall time grows with the load, CPU time less
(though it too grows when the cores are oversubscribed: ``--repeat N`` shows the fastest of N).

The runs write to a temporary project root (``ELECTION_FORENSICS_ROOT``: links to this
project's config/, notebooks/, src/ and data/, an empty reports/), so a benchmark never
overwrites the reports of a real run; ``--keep DIR`` keeps that root's reports/ in DIR (e.g.
to compare results with ``python -m analysis.report.compare``).

    python bench/bench_notebooks.py [--election ru2011] [--notebooks 02_protocols 03_distributions] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from analysis.core import config, paths
from analysis.report import provenance

TARGET_CPU_PER_100K_S = 60.0
FRAUD_TARGET_CPU_PER_100K_S = 120.0
LINKED = ("config", "notebooks", "src", "data", "pyproject.toml")


def station_notebooks() -> list[str]:
    """Every declared notebook that runs for station-level elections, by name."""
    return [nb for nb in config.list_notebooks() if "station" in config.load_notebook(nb).levels]


def in_test_budget(notebook: str) -> bool:
    """Counted in issue 10's per-election total: declared ``budget: tests`` (the default)."""
    return config.load_notebook(notebook).budget == "tests"


def n_stations(election: str) -> int:
    """Rows of the election's prepared stations table (read from the Parquet footer)."""
    return pq.ParquetFile(paths.processed_dir(election) / "stations.parquet").metadata.num_rows


def make_root(where: Path) -> Path:
    """A project root whose inputs link to this project's and whose reports/ is empty."""
    for name in LINKED:
        (where / name).symlink_to(paths.ROOT / name)
    (where / "reports").mkdir()
    return where


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_one(election: str, notebook: str, root: Path, params: str) -> tuple[float, float, int]:
    """(wall s, CPU s, exit status) of one pipeline run in ``root``."""
    env = {**os.environ, "ELECTION_FORENSICS_ROOT": str(root)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.ROOT / "src"), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "analysis.report.pipeline", "run", "--election", election, "--notebook", notebook]
    if params:
        command += ["--params", params]
    cpu0, wall0 = cpu_children(), time.perf_counter()
    done = subprocess.run(command, check=False, env=env, cwd=root, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall0, cpu_children() - cpu0
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
    return wall, cpu, done.returncode


def timed_uncached(election: str, notebook: str, root: Path, params: str) -> tuple[float, float, int]:
    """:func:`run_one`, then the cache entries it wrote are removed: a repeat computes them again."""
    cache = root / "build" / "cache"
    before = set(cache.rglob("*")) if cache.exists() else set()
    timed = run_one(election, notebook, root, params)
    for path in sorted(set(cache.rglob("*")) - before, reverse=True) if cache.exists() else []:
        path.unlink() if path.is_file() else path.rmdir()
    return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--election", default="ru2011")
    parser.add_argument("--notebooks", nargs="*", default=None, help="only these (default: every station-level one)")
    parser.add_argument("--params", default="", help='overrides passed to every run, e.g. "seed=7"')
    parser.add_argument("--keep", type=Path, default=None, help="copy the runs' reports/ into this folder")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each notebook this many times; the fastest run is shown"
    )
    parser.add_argument(
        "--controls",
        choices=("cached", "cold"),
        default="cached",
        help="cached (default): run the control's notebook first, untimed, as make all does; cold: not",
    )
    args = parser.parse_args(argv)

    notebooks = station_notebooks()
    if args.notebooks:
        unknown = sorted(set(args.notebooks) - set(notebooks))
        if unknown:
            parser.error(f"not station-level notebooks: {', '.join(unknown)} (known: {', '.join(notebooks)})")
        notebooks = [nb for nb in notebooks if nb in args.notebooks]
    try:
        stations = n_stations(args.election)
    except (FileNotFoundError, OSError) as exc:
        print(f"bench_notebooks: skipped: {args.election} has no prepared stations table ({exc})")
        return 0

    control = config.load_election(args.election).get("control")
    print(f"bench_notebooks {args.election}: {stations:,} stations; CPU = user + sys of the run and its kernel")
    if control and args.controls == "cached":
        print(
            f"  control {control}: its own run of each notebook that reads it goes first, untimed (cache filled as in make all)"
        )
    header = f"  {'notebook':<22} {'wall s':>8} {'CPU s':>8} {'stations':>9} {'CPU s/100k':>11}  in total"
    print(header)
    rows, failed = [], []
    with tempfile.TemporaryDirectory(prefix="bench-notebooks-") as tmp:
        root = make_root(Path(tmp))
        for nb in notebooks:
            if (
                args.controls == "cached"
            ):  # the other elections this run reads (its `requires`), as the plan resolves them
                for other in provenance.control_elections(nb, args.election, config.parse_overrides(args.params)):
                    run_one(other, nb, root, args.params)
            runs = [timed_uncached(args.election, nb, root, args.params) for _ in range(max(1, args.repeat))]
            wall, cpu, status = min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)
            if status:
                failed.append(nb)
            counted = in_test_budget(nb)
            rows.append((nb, wall, cpu, counted))
            note = "yes" if counted else "no (own budget)"
            print(
                f"  {nb:<22} {wall:8.1f} {cpu:8.1f} {stations:9,} {cpu * 1e5 / stations:11.1f}  "
                f"{note}{'  FAILED' if status else ''}",
                flush=True,
            )
        if args.keep:
            shutil.copytree(root / "reports", args.keep, dirs_exist_ok=True)
    wall = sum(r[1] for r in rows if r[3])
    cpu = sum(r[2] for r in rows if r[3])
    print(f"  {'total (in total: yes)':<22} {wall:8.1f} {cpu:8.1f} {stations:9,} {cpu * 1e5 / stations:11.1f}")
    per_100k = cpu * 1e5 / stations
    print(
        f"  target (issue 10): per-election test notebooks (protocols, distributions, 100 %, digits, spikes) "
        f"together <= {TARGET_CPU_PER_100K_S:.0f} s CPU per 100,000 stations: "
        f"{per_100k:.1f} s, {'met' if per_100k <= TARGET_CPU_PER_100K_S else 'MISSED'}"
        f"{'' if not args.notebooks else ' (only the notebooks run)'}"
    )
    fraud_cpu = sum(r[2] for r in rows if config.load_notebook(r[0]).budget == "fraud_estimators")
    if fraud_cpu:
        fraud_100k = fraud_cpu * 1e5 / stations
        print(
            f"  fraud estimators (issue 11, budget: fraud_estimators, control's fits included): "
            f"{fraud_cpu:.1f} s CPU = {fraud_100k:.1f} s per 100,000 stations; target <= "
            f"{FRAUD_TARGET_CPU_PER_100K_S:.0f} s: {'met' if fraud_100k <= FRAUD_TARGET_CPU_PER_100K_S else 'MISSED'}"
        )
    if failed:
        print(f"  FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
