"""Benchmark: scaling of calibration (and batches) over serial, local processes and Dask; a projection.

Measured on this machine (issue 12, item 4):

1. the same calibration of ``--n`` Russia-sized synthetic elections (ru2011-like, 95,225
   stations) through every registered test on ``serial``, ``local`` with ``--workers``
   processes, and a Dask ``LocalCluster`` of as many single-threaded worker processes (the
   calibration reaches it at its ``tcp://`` address, as on a cluster), in ``--repeat`` rounds
   of the three back to back (the fastest round of each is shown, every wall listed): wall
   time, CPU time, speed-up over serial, overhead per task against the ideal (serial wall /
   workers), and the Dask path's overhead relative to the local path at equal workers and
   equal work (target <= 10 % for tasks of >= 1 s), in wall and in CPU. Every backend runs
   warm: this process runs one election first (its forked local workers inherit the imports
   and the scenario's caches) and each spawned Dask worker runs one; the LocalCluster's
   start-up and warm-up are shown apart, outside the timed rounds;
2. memory: the peak resident memory of a worker (target <= 1 GB per Russia-sized election);
3. a projection from the per-task cost, with the model
   ``T(W) = n_tasks * (cost + overhead) / W + startup`` (W workers, perfectly divisible work,
   overhead per task: the Dask run's CPU beyond the local run's; start-up as measured here):
   5,000 Russia-sized elections through every test, and a batch of 1,000 Russia-sized elections (all notebooks of one election per
   task group; per-election cost from the latest ``make batch`` summary,
   ``reports/batch/latest.json``, when there is one, else ``--batch-cpu-s``) on 1, 8 and 64
   workers.

Wall times on a shared machine are inflated by whatever else runs: CPU seconds (summed over
the workers) are printed beside them, and the projection uses CPU seconds. Plain script
(``make bench``); synthetic data only (the reference data of ru2011 sharpen the scenario
when prepared).
"""

from __future__ import annotations

import argparse
import json
import os
import time

from analysis.core import paths
from analysis.core.execution import local_cluster
from analysis.synthetic import calibration, simulate

ELECTIONS_FULL = 5000
BATCH_ELECTIONS = 1000
WORKERS = (1, 8, 64)
DASK_OVERHEAD_TARGET = 0.10
MEMORY_TARGET_BYTES = 2**30


def calibrate(scenario, tests, n: int, scheduler: str, workers: int) -> dict:
    """One timed calibration (no cache); its cost as recorded in ``attrs["run"]``."""
    n_jobs = 1 if scheduler == "serial" else workers
    pv = calibration.simulate_pvalues(
        scenario, tests, n, seed=12, n_jobs=n_jobs, scheduler=scheduler, progress=False, cache_dir=None
    )
    return pv.attrs["run"] | {"frame": pv}


def batch_cost(default_cpu_s: float) -> tuple[float, str]:
    """CPU seconds of all the notebooks of one Russia-sized election, and where the number comes from."""
    latest = paths.REPORTS / "batch" / "latest.json"
    if latest.exists():
        summary = json.loads(latest.read_text(encoding="utf-8"))
        per_election: dict[str, float] = {}
        for task in summary["tasks"]:
            if task["kind"] == "run" and task["status"] == "ok" and task["task"].startswith("ru"):
                election = task["task"].split("/")[0]
                per_election[election] = per_election.get(election, 0.0) + task["cpu_seconds"]
        if per_election:
            cost = sum(per_election.values()) / len(per_election)
            return cost, f"measured: {latest} ({', '.join(sorted(per_election))})"
    return default_cpu_s, "--batch-cpu-s (no ru election in reports/batch/latest.json)"


def _hms(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{int(hours)} h {rest / 60:04.1f} min" if hours else f"{rest / 60:.1f} min"


def _rounds(scen, tests, n: int, workers: int, repeat: int, address: str) -> dict[str, list[dict]]:
    """``repeat`` rounds of serial, local and Dask back to back (the machine's load hits all three alike)."""
    runs: dict[str, list[dict]] = {"serial": [], "local": [], "dask-local": []}
    for _ in range(repeat):
        runs["serial"].append(calibrate(scen, tests, n, "serial", workers))
        runs["local"].append(calibrate(scen, tests, n, "local", workers))
        runs["dask-local"].append(calibrate(scen, tests, n, address, workers) | {"scheduler": "dask-local"})
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4, help="ru2011-like elections per backend (one task each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="rounds of the three backends; the fastest is shown")
    parser.add_argument("--batch-cpu-s", type=float, default=600.0, help="CPU s of one election's notebooks")
    args = parser.parse_args(argv)

    tests = calibration.registered_tests()
    scen = simulate.load_scenario("ru2011-like")
    print(f"bench_scaling: {args.n} {scen.name} elections ({scen.n_stations:,} stations, source {scen.source})")
    print(f"  x {len(tests)} tests; {len(os.sched_getaffinity(0))} usable cores; load average {os.getloadavg()[0]:.1f}")
    print("  (the machine is shared: wall times include others' load; CPU is summed over workers)")
    # Every backend runs warm: this process runs one election first (imports, the scenario's
    # per-process caches), which the local pool's forked workers inherit; the Dask workers are
    # spawned, so each runs one election before the timed rounds. Cluster start-up is its own line.
    t0 = time.perf_counter()
    calibrate(scen, tests, 1, "serial", 1)
    warm_local = time.perf_counter() - t0
    t0 = time.perf_counter()
    with local_cluster(args.workers) as cluster:
        startup = time.perf_counter() - t0
        t0 = time.perf_counter()
        calibrate(scen, tests, args.workers, cluster.scheduler_address, args.workers)
        warmup = time.perf_counter() - t0
        rounds = _rounds(scen, tests, args.n, args.workers, max(args.repeat, 1), cluster.scheduler_address)
    frames = [r.pop("frame") for rs in rounds.values() for r in rs]
    identical = all(f.equals(frames[0]) for f in frames[1:])
    runs = {name: min(rs, key=lambda r: r["wall_seconds"]) for name, rs in rounds.items()}
    serial = runs["serial"]
    cost = serial["cpu_seconds"] / args.n  # CPU seconds of one election through all tests
    walls = "; ".join(f"{name} " + ", ".join(f"{r['wall_seconds']:.1f}" for r in rs) for name, rs in rounds.items())
    print(f"\nfastest of {len(rounds['serial'])} rounds, each serial, local, Dask back to back (all walls, s: {walls})")
    print(f"{'backend':<12}{'workers':>8}{'tasks':>7}{'wall s':>9}{'CPU s':>9}{'speed-up':>10}{'overhead/task s':>17}")
    for name, r in runs.items():
        ideal = serial["wall_seconds"] / r["n_workers"]
        over = (r["wall_seconds"] - ideal) / max(r["n_tasks"], 1)
        speed = serial["wall_seconds"] / r["wall_seconds"]
        print(
            f"{name:<12}{r['n_workers']:>8}{r['n_tasks']:>7}{r['wall_seconds']:>9.1f}{r['cpu_seconds']:>9.1f}"
            f"{speed:>10.2f}{over:>17.2f}"
        )
    local, dask = runs["local"], runs["dask-local"]
    rel = (dask["wall_seconds"] - local["wall_seconds"]) / local["wall_seconds"]
    rel_cpu = (dask["cpu_seconds"] - local["cpu_seconds"]) / local["cpu_seconds"]
    task_s = local["cpu_seconds"] / max(local["n_tasks"], 1)
    cores, load = len(os.sched_getaffinity(0)), os.getloadavg()[0]
    status = "OK" if rel <= DASK_OVERHEAD_TARGET else "OVER TARGET"
    if load > cores:  # the wall times measure the others' load as much as the backends
        status += f" (load {load:.1f} on {cores} cores: the wall comparison is unreliable, the CPU one stands)"
    print(f"results identical on the three backends, every round: {identical}")
    print(
        f"warm-up (imports, scenario caches; outside the timed rounds): this process and its forked local workers "
        f"{warm_local:.1f} s (one election); LocalCluster start-up, {args.workers} workers: {startup:.1f} s, "
        f"then {warmup:.1f} s (one election per worker)"
    )
    print(
        f"Dask overhead vs local at {args.workers} workers, tasks of {task_s:.1f} CPU s, both warm, start-up excluded: "
        f"wall {100 * rel:+.1f} % (target <= {100 * DASK_OVERHEAD_TARGET:.0f} %): {status}; CPU {100 * rel_cpu:+.1f} %"
    )
    peak = max(r["peak_rss_bytes"] for name, r in runs.items() if name != "serial")
    status = "OK" if peak <= MEMORY_TARGET_BYTES else "OVER TARGET"
    print(
        f"peak memory of a worker (one {scen.n_stations:,}-station election at a time): {peak / 2**20:.0f} MiB "
        f"(target <= 1024 MiB): {status}"
    )

    # Overhead per task of the Dask path: its CPU beyond the local path's at equal work (serialisation,
    # the worker's event loop). CPU, not wall: on this shared machine the wall is inflated by others'
    # load; scheduling latency (~10 ms a task on a LocalCluster) is not in it.
    overhead = max(dask["cpu_seconds"] - local["cpu_seconds"], 0.0) / dask["n_tasks"]
    startup += warmup
    print(
        f"\nProjection, T(W) = tasks x (cost + overhead) / W + start-up; overhead {overhead:.2f} s per task "
        f"(Dask CPU beyond local, measured above), start-up {startup:.0f} s:"
    )
    print(
        f"  calibration: {ELECTIONS_FULL:,} {scen.name} elections x {len(tests)} tests, {cost:.1f} CPU s each "
        f"({ELECTIONS_FULL * cost / 3600:.1f} CPU-hours)"
    )
    for w in WORKERS:
        print(f"    {w:>3} workers: {_hms(ELECTIONS_FULL * (cost + overhead) / w + startup)}")
    per_election, source = batch_cost(args.batch_cpu_s)
    print(
        f"  batch: {BATCH_ELECTIONS:,} Russia-sized elections x all notebooks, {per_election:.0f} CPU s per election "
        f"({source})"
    )
    for w in WORKERS:
        print(f"    {w:>3} workers: {_hms(BATCH_ELECTIONS * (per_election + overhead) / w + startup)}")
    print(
        "  (a batch's notebooks of one election depend on each other: with W >> elections the bound is the "
        "longest chain of one election, not tasks / W)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
