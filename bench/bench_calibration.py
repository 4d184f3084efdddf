"""Benchmark: clean kz2011-like elections through every registered test, and per-test cost on ru2011-like.

Target (issue 6): 500 clean kz2011-like elections (9,725 stations each) through all tests of
the calibration registry in <= 10 min on this 2-core machine. By default a smaller number of
elections (``--n``, default 60) is run through ``analysis.synthetic.calibration.simulate_pvalues`` on
both cores and the time is scaled linearly to 500 (labelled "extrapolated"); ``--n 500``
measures the full run. Beside it: the cost per election of the simulation and of each test
on one ru2011-like election (95,225 stations), single process.

Plain script (``make bench``); synthetic data only, so it always runs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.synthetic import calibration, simulate

TARGET_S = 600.0
FULL_N = 500


def per_test_cost(scenario_name: str, seed: int = 1, repeats: int = 2) -> tuple[float, dict[str, float]]:
    """Seconds to simulate one election and to run each test on it (best of ``repeats``)."""
    scen = simulate.load_scenario(scenario_name)
    simulate.simulate_election(scen, 0)  # warm caches (scenario locations, imports)
    sim_times, test_times = [], {}
    for r in range(repeats):
        t0 = time.perf_counter()
        e = simulate.simulate_election(scen, seed + r)
        sim_times.append(time.perf_counter() - t0)
        for name, fn in calibration.registered_tests().items():
            t0 = time.perf_counter()
            fn(e.stations, e.votes, e.leader, np.random.default_rng(r))
            test_times[name] = min(test_times.get(name, np.inf), time.perf_counter() - t0)
    return min(sim_times), test_times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="kz2011-like elections to run (500 = the full target run)")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)

    tests = calibration.registered_tests()
    missing = calibration.missing_modules()
    print(f"bench_calibration: {len(tests)} registered tests: {', '.join(tests)}")
    if missing:
        print(f"  (modules without a calibration registry: {', '.join(missing)})")

    kz = simulate.load_scenario("kz2011-like")
    # Warm the worker pool so process start-up is not billed to the elections.
    calibration.simulate_pvalues(kz, tests, args.n_jobs, seed=999, n_jobs=args.n_jobs, progress=False)
    t0 = time.perf_counter()
    pv = calibration.simulate_pvalues(kz, tests, args.n, seed=2011, n_jobs=args.n_jobs, progress=False)
    elapsed = time.perf_counter() - t0
    failed = int(pv[list(tests)].isna().to_numpy().sum())
    per_election = elapsed / args.n
    full = per_election * FULL_N
    label = "measured" if args.n >= FULL_N else f"extrapolated linearly from {args.n} elections"
    print(f"kz2011-like ({kz.n_stations:,} stations), {args.n_jobs} workers: {args.n} elections in {elapsed:.1f} s "
          f"({per_election:.3f} s per election; {failed} failed test runs)")
    status = "OK" if full <= TARGET_S else "OVER TARGET"
    print(f"  500 elections: {full:.0f} s ({label}); target <= {TARGET_S:.0f} s: {status}")

    for name in ("kz2011-like", "ru2011-like"):
        sim_s, costs = per_test_cost(name)
        scen = simulate.load_scenario(name)
        print(f"{name} ({scen.n_stations:,} stations, source {scen.source}), one process, seconds per election:")
        print(f"  {'simulation':<24}{sim_s:8.3f}")
        for test, s in sorted(costs.items(), key=lambda kv: -kv[1]):
            print(f"  {test:<24}{s:8.3f}")
        print(f"  {'all tests':<24}{sum(costs.values()):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
