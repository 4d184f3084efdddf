"""The calibration study: type-I error of every test on many clean elections, with its provenance.

The study's table is committed (``data/calibration/type1_study.json``), so ``make all`` shows
it without recomputing; :func:`study_status` says, per test, whether it is calibrated, and
marks it *stale* when the test's code changed since the study (its code version,
:func:`analysis.synthetic.calibration.cache.test_code_version`, differs from the committed one).

A test is *calibrated* in a scenario when its rejection rate at α = 5 % lies within
[3.5 %, 6.5 %] and the half-width of its exact 95 % interval is at most 1.5 points; otherwise
it is *uncalibrated* (too liberal, too conservative, or too few elections to tell).

Run the study (the full one needs ≥ 1,000 clean elections per scenario, ~5 CPU-hours; on a
cluster with ``--scheduler tcp://host:8786``)::

    python -m analysis.synthetic.calibration.study --n kz2011-like=1000 pl2020-like=1000 \\
        ru2011-like=1000 [--scheduler ...] [--n-jobs 64] [--out data/calibration/type1_study.json]

Finished units are cached (``build/cache/calibration``), so a study can be extended.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.core import paths
from analysis.synthetic import simulate
from analysis.synthetic.calibration import cache
from analysis.synthetic.calibration.rates import CALIBRATED_BAND, type1_table
from analysis.synthetic.calibration.runs import registered_tests, simulate_pvalues

STUDY_PATH = paths.ROOT / "data" / "calibration" / "type1_study.json"
MAX_HALF_WIDTH = 0.015
DEFAULT_SEED = 20110403
STATUSES = ("calibrated", "uncalibrated", "stale", "not in study")


@dataclass(frozen=True)
class CalibrationStatus:
    """One test's standing in the committed study.

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    rate, ci_low, ci_high : float
        The type-I error and its exact 95 % interval (NaN when not in the study); across
        scenarios, those of the worst one (furthest from α among the uncalibrated).
    n : int
        Clean elections behind the rate.
    scenario : str
        The scenario the numbers come from.
    reason : str
        Why it is not calibrated ("" when it is).
    """

    status: str
    rate: float
    ci_low: float
    ci_high: float
    n: int
    scenario: str
    reason: str


def certify(rate: float, ci_low: float, ci_high: float, *, band=CALIBRATED_BAND, max_half_width=MAX_HALF_WIDTH):
    """``("calibrated", "")`` or ``("uncalibrated", reason)`` from a rate and its interval.

    Examples
    --------
    >>> certify(0.05, 0.04, 0.062)
    ('calibrated', '')
    >>> certify(0.05, 0.01, 0.17)[1]
    'too few elections: interval half-width 8.0 points > 1.5'
    >>> certify(0.2, 0.18, 0.22)[1]
    'too liberal: 20.0 % outside [3.5 %, 6.5 %]'
    """
    if not np.isfinite(rate):
        return "uncalibrated", "no valid p-values"
    if not band[0] <= rate <= band[1]:
        side = "too liberal" if rate > band[1] else "too conservative"
        return "uncalibrated", f"{side}: {100 * rate:.1f} % outside [{100 * band[0]:.1f} %, {100 * band[1]:.1f} %]"
    half = (ci_high - ci_low) / 2
    if half > max_half_width:
        return (
            "uncalibrated",
            f"too few elections: interval half-width {100 * half:.1f} points > {100 * max_half_width:.1f}",
        )
    return "calibrated", ""


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_study(
    n_by_scenario: Mapping[str, int],
    *,
    seed: int = DEFAULT_SEED,
    alpha: float = 0.05,
    n_jobs: int = 2,
    scheduler: str | None = None,
    cache_dir=cache.DEFAULT_CACHE_DIR,
    progress: bool = True,
) -> dict:
    """Type-I error of every registered test on ``n_by_scenario[s]`` clean elections of each scenario.

    Returns the study as written to the committed JSON: ``provenance`` (date, commit, seed,
    α, per scenario its elections, stations and source, wall and CPU seconds, workers),
    ``code_versions`` (per test) and ``rows`` (per scenario and test: the rate, its interval,
    ``status`` and ``reason``).
    """
    tests = registered_tests()
    rows, scenarios, wall, cpu, workers = [], {}, 0.0, 0.0, 1
    for name, n in n_by_scenario.items():
        scen = simulate.load_scenario(name)
        pv = simulate_pvalues(
            scen, tests, int(n), seed=seed, n_jobs=n_jobs, scheduler=scheduler, cache_dir=cache_dir, progress=progress
        )
        run = pv.attrs["run"]
        wall, cpu, workers = wall + run["wall_seconds"], cpu + run["cpu_seconds"], max(workers, run["n_workers"])
        scenarios[name] = {"n_elections": int(n), "n_stations": scen.n_stations, "source": scen.source, **run}
        for row in type1_table(pv, list(tests), name, alpha=alpha).to_dict("records"):
            status, reason = certify(row["type1"], row["ci_low"], row["ci_high"])
            rows.append(
                {
                    **{k: row[k] for k in ("scenario", "test", "n", "n_failed", "rejections", "type1")},
                    "ci_low": row["ci_low"],
                    "ci_high": row["ci_high"],
                    "status": status,
                    "reason": reason,
                }
            )
    provenance = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": _git_commit(),
        "seed": seed,
        "alpha": alpha,
        "band": list(CALIBRATED_BAND),
        "max_half_width": MAX_HALF_WIDTH,
        "simulation_version": cache.simulation_version(),
        "scenarios": scenarios,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "n_workers": workers,
        "command": " ".join(sys.argv),
    }
    return {"provenance": provenance, "code_versions": cache.code_versions(tests), "rows": rows}


def write_study(study: dict, path: Path = STUDY_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(study, indent=1, sort_keys=False, default=float, allow_nan=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_study(path: Path | None = None) -> dict | None:
    """The committed study, or None when there is none."""
    path = Path(path) if path is not None else STUDY_PATH
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def study_status(study: dict | None, tests: Mapping, scenario: str | None = None) -> dict[str, CalibrationStatus]:
    """Per test of ``tests``: calibrated, uncalibrated (with its rate), stale or not in the study.

    ``scenario`` limits it to one scenario's rows; by default a test is calibrated only when it
    is in every scenario of the study, and the numbers shown are the worst scenario's.
    """
    versions = cache.code_versions(tests)
    rows = [r for r in (study or {}).get("rows", []) if scenario is None or r["scenario"] == scenario]
    committed = (study or {}).get("code_versions", {})
    out = {}
    for name in tests:
        mine = [r for r in rows if r["test"] == name]
        if not mine:
            out[name] = CalibrationStatus("not in study", np.nan, np.nan, np.nan, 0, scenario or "", "")
            continue
        bad = [r for r in mine if r["status"] != "calibrated"]
        worst = max(bad or mine, key=lambda r: abs(r["type1"] - 0.05) if np.isfinite(r["type1"]) else np.inf)
        status, reason = ("uncalibrated", worst["reason"]) if bad else ("calibrated", "")
        if committed.get(name) != versions[name]:
            status, reason = "stale", "the test's code changed since the study"
        out[name] = CalibrationStatus(
            status, worst["type1"], worst["ci_low"], worst["ci_high"], worst["n"], worst["scenario"], reason
        )
    return out


def _parse_n(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        name, _, n = item.partition("=")
        out[name] = int(n)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.synthetic.calibration.study", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--n", nargs="+", required=True, help="scenario=elections, e.g. kz2011-like=1000")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--scheduler", default=None, help="serial | local | dask-local | tcp://host:8786")
    parser.add_argument("--cache", default=str(cache.DEFAULT_CACHE_DIR), help="cache of finished units ('' = none)")
    parser.add_argument("--out", type=Path, default=STUDY_PATH)
    parser.add_argument("--note", default="", help="recorded in the provenance (e.g. how cached units were computed)")
    args = parser.parse_args(argv)
    study = run_study(
        _parse_n(args.n), seed=args.seed, n_jobs=args.n_jobs, scheduler=args.scheduler, cache_dir=args.cache or None
    )
    study["provenance"]["note"] = args.note
    write_study(study, args.out)
    for row in study["rows"]:
        print(
            f"{row['scenario']:<14}{row['test']:<24}{100 * row['type1']:6.1f} % [{100 * row['ci_low']:.1f}, "
            f"{100 * row['ci_high']:.1f}]  {row['status']} {row['reason']}"
        )
    p = study["provenance"]
    print(f"wall {p['wall_seconds']:.0f} s, CPU {p['cpu_seconds']:.0f} s, {p['n_workers']} workers -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
