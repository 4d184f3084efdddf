"""Benchmark: clean kz2011-like elections through every registered test, and per-test cost on ru2011-like.

Target (issue 6): 500 clean kz2011-like elections (9,725 stations each) through all tests of
the calibration registry in <= 10 min on this 2-core machine. By default a smaller number of
elections (``--n``, default 60) is run through ``analysis.synthetic.calibration.simulate_pvalues`` on
both cores and the time is scaled linearly to 500 (labelled "extrapolated"); ``--n 500``
measures the full run. Beside it: the cost per election of the simulation and of each test
on one ru2011-like election (95,225 stations), single process, and the unit targets that
used to be asserted in the unit tests, printed against their target: each test of
``UNIT_TARGETS_S`` on one kz2011-like election (9,725 stations) and the simulation of one
ru2011-like election (95,225 stations, parametric) in ``SIMULATION_TARGET_S``.

Plain script (``make bench``); synthetic data only, so it always runs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.synthetic import calibration, simulate

TARGET_S = 600.0
FULL_N = 500
#: Seconds per call on one kz2011-like election (formerly asserted in tests/test_distributions.py
#: and tests/test_full_turnout.py).
UNIT_TARGETS_S = {"dip_turnout": 0.2, "dip_leader": 0.2, "sobyanin_slope": 0.2, "turnout_100_excess": 0.2}
#: Seconds to draw one ru2011-like election (formerly asserted in tests/test_simulate.py).
SIMULATION_TARGET_S = 2.0


def _status(seconds: float, target: float) -> str:
    return "OK" if seconds <= target else "OVER TARGET"


def unit_targets(tests) -> None:
    """Print the unit targets: the tests of ``UNIT_TARGETS_S`` and the 95k-station simulation."""
    _, costs = per_test_cost("kz2011-like", tests=tests)
    print("unit targets (best of 2, one process):")
    for name, target in UNIT_TARGETS_S.items():
        if name in costs:
            print(f"  {name:<24}{costs[name]:8.3f} s  target <= {target:.1f} s: {_status(costs[name], target)}")
        else:
            print(f"  {name:<24}     not registered")
    scen = simulate.load_scenario("ru2011-like", use_reference=False)
    simulate.simulate_election(scen, 0)  # warm caches
    t0 = time.perf_counter()
    simulate.simulate_election(scen, 1, fraud={"incremental": 0.3})
    sim_s = time.perf_counter() - t0
    print(
        f"  {'simulation ru2011-like':<24}{sim_s:8.3f} s  target <= {SIMULATION_TARGET_S:.1f} s: "
        f"{_status(sim_s, SIMULATION_TARGET_S)}"
    )


def per_test_cost(scenario_name: str, seed: int = 1, repeats: int = 2, tests=None) -> tuple[float, dict[str, float]]:
    """Seconds to simulate one election and to run each test on it (best of ``repeats``)."""
    tests = calibration.registered_tests() if tests is None else tests
    scen = simulate.load_scenario(scenario_name)
    simulate.simulate_election(scen, 0)  # warm caches (scenario locations, imports)
    sim_times, test_times = [], {}
    for r in range(repeats):
        t0 = time.perf_counter()
        e = simulate.simulate_election(scen, seed + r)
        sim_times.append(time.perf_counter() - t0)
        for name, fn in tests.items():
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
    print(f"bench_calibration: {len(tests)} registered tests: {', '.join(tests)}")
    unit_targets(tests)

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
    print(
        f"kz2011-like ({kz.n_stations:,} stations), {args.n_jobs} workers: {args.n} elections in {elapsed:.1f} s "
        f"({per_election:.3f} s per election; {failed} failed test runs)"
    )
    status = "OK" if full <= TARGET_S else "OVER TARGET"
    print(f"  500 elections: {full:.0f} s ({label}); target <= {TARGET_S:.0f} s: {status}")

    for name in ("kz2011-like", "ru2011-like"):
        sim_s, costs = per_test_cost(name, tests=tests)
        scen = simulate.load_scenario(name)
        print(f"{name} ({scen.n_stations:,} stations, source {scen.source}), one process, seconds per election:")
        print(f"  {'simulation':<24}{sim_s:8.3f}")
        for test, s in sorted(costs.items(), key=lambda kv: -kv[1]):
            print(f"  {test:<24}{s:8.3f}")
        print(f"  {'all tests':<24}{sum(costs.values()):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
