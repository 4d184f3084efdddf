"""Running the registered tests on synthetic elections: p-values per election, power curves."""

from __future__ import annotations

import resource
import time
import zlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.core import registry
from analysis.core.execution import map_units
from analysis.synthetic import simulate
from analysis.synthetic.calibration import cache
from analysis.synthetic.calibration.rates import rejection_rate

#: What a run records about its cost (``DataFrame.attrs["run"]`` of the tables it returns).
RUN_KEYS = (
    "wall_seconds",
    "cpu_seconds",
    "n_units_computed",
    "n_units_cached",
    "n_elections_simulated",
    "n_tasks",
    "n_workers",
    "scheduler",
    "peak_rss_bytes",
)


def registered_tests(package: str = "analysis.stats") -> dict[str, Callable]:
    """Every calibration test registered by the modules of ``package``, sorted by name.

    Imports every module below ``package`` first (:func:`analysis.core.registry.discover`),
    so no registered test is left out; a module that fails to import raises
    :class:`analysis.core.registry.RegistryError`, never a silent omission.

    Parameters
    ----------
    package : str
        The package whose modules register tests.

    Returns
    -------
    dict
        ``{name: fn(stations, votes, leader, rng) -> p-value}``.

    References
    ----------
    None: the registry (:mod:`analysis.core.registry`, docs/ARCHITECTURE.md).

    Examples
    --------
    >>> tests = registered_tests()
    >>> {"dip_turnout", "sobyanin_slope", "turnout_100_excess"} <= set(tests)
    True
    """
    registry.discover(package)
    prefix = f"{package}."
    return {
        name: fn
        for name, fn in sorted(registry.CALIBRATION_TESTS.items())
        if fn.__module__ == package or fn.__module__.startswith(prefix)
    }


def _test_rng(election_ss: np.random.SeedSequence, test_name: str) -> np.random.Generator:
    key = zlib.crc32(test_name.encode("utf-8"))
    ss = np.random.SeedSequence(entropy=election_ss.entropy, spawn_key=(*election_ss.spawn_key, 1, key))
    return np.random.default_rng(ss)


def _sim_rng(election_ss: np.random.SeedSequence) -> np.random.Generator:
    ss = np.random.SeedSequence(entropy=election_ss.entropy, spawn_key=(*election_ss.spawn_key, 0))
    return np.random.default_rng(ss)


def election_seeds(seed: int, n_elections: int) -> list[np.random.SeedSequence]:
    """Per-election seeds: the children of ``SeedSequence(seed)``.

    Parameters
    ----------
    seed : int
        The run's seed.
    n_elections : int
        Number of elections.

    Returns
    -------
    list of numpy.random.SeedSequence
        Election ``i`` gets child ``i``, whatever the number of workers.

    References
    ----------
    ``numpy.random.SeedSequence.spawn``: independent child streams (O'Neill, M. E. (2014).
    PCG: A family of simple fast space-efficient statistically good algorithms for random
    number generation. Harvey Mudd College, HMC-CS-2014-0905).

    Examples
    --------
    >>> [ss.spawn_key for ss in election_seeds(0, 2)]
    [(0,), (1,)]
    """
    return np.random.SeedSequence(seed).spawn(n_elections)


def _run_chunk(scenario, todo, tests: Mapping[str, Callable], fraud, tag=None) -> dict:
    """Simulate each election of ``todo`` = [(seed, test names)] and run those tests on it.

    Returns the rows, and the CPU seconds and peak resident memory (bytes) of the worker.
    """
    cpu = time.process_time()
    rows = []
    for ss, names in todo:
        election = simulate.simulate_election(scenario, _sim_rng(ss), fraud=fraud)
        row = {"election": int(ss.spawn_key[-1])}
        if tag is not None:
            row["_tag"] = tag
        for name in names:
            try:
                p = float(tests[name](election.stations, election.votes, election.leader, _test_rng(ss, name)))
                row[name] = p if 0.0 <= p <= 1.0 else np.nan
                if not (0.0 <= p <= 1.0):
                    row[f"error:{name}"] = f"p-value {p} outside [0, 1]"
            except Exception as exc:  # recorded, never silently dropped
                row[name] = np.nan
                row[f"error:{name}"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return {"rows": rows, "cpu_seconds": time.process_time() - cpu, "peak_rss_bytes": peak_rss_bytes()}


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (``getrusage``; Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _run_unit(unit) -> dict:
    return _run_chunk(*unit)


def _cached_rows(unit_cache, scenario, tests, tag, fraud, seed, seeds):
    """Rows filled from the cache, the (seed, tests) still to compute, and how to store them."""
    batch = cache.batch_key(scenario, fraud, seed)
    versions = cache.code_versions(tests)
    cached = {name: unit_cache.load(batch, name, versions[name]) for name in tests}
    indices = [int(ss.spawn_key[-1]) for ss in seeds]
    missing = cache.missing_units(cached, indices)
    rows = []
    for i in indices:
        row = {"election": i} if tag is None else {"election": i, "_tag": tag}
        for name, values in cached.items():
            if i in values:
                row[name], error = values[i]
                if error:
                    row[f"error:{name}"] = error
        rows.append(row)
    todo = [(ss, missing[i]) for ss, i in zip(seeds, indices, strict=True) if i in missing]
    return rows, todo, (batch, versions)


def _store(unit_cache, where, rows, tests) -> None:
    batch, versions = where
    for name in tests:
        values = {r["election"]: (r[name], r.get(f"error:{name}")) for r in rows if name in r}
        unit_cache.store(batch, name, versions[name], values)


def _run_batches(scenario, tests, batches, n_jobs, progress, desc, scheduler=None, cache_dir=None):
    """Run ``batches`` = [(tag, fraud, seed, seeds)] as chunks of elections through the execution seam.

    Every chunk carries its elections' own seeds, so rows do not depend on the backend
    (:func:`analysis.core.execution.map_units`: serial, local processes or Dask) or on the
    number of workers; an interrupted run stops its workers. With a cache
    (:mod:`analysis.synthetic.calibration.cache`), finished units are read, not computed, and
    the new ones are stored. Returns the rows and the run's cost (:data:`RUN_KEYS`).
    """
    unit_cache = cache.resolve_cache(cache_dir)
    start = time.perf_counter()
    units, rows, stores, n_cached = [], [], [], 0
    for tag, fraud, seed, seeds in batches:
        todo = [(ss, tuple(tests)) for ss in seeds]
        if unit_cache is not None:
            done, todo, where = _cached_rows(unit_cache, scenario, tests, tag, fraud, seed, seeds)
            n_cached += len(seeds) * len(tests) - sum(len(names) for _, names in todo)
            stores.append((where, {(tag, int(ss.spawn_key[-1])) for ss, _ in todo}))
            rows.extend(done)
        # chunks of at most ~25 elections (a progress bar that moves), at least two per worker
        n_chunks = max(1, min(len(todo), max(2 * max(n_jobs, 1), -(-len(todo) // 25))))
        for idx in np.array_split(np.arange(len(todo)), n_chunks):
            if len(idx):
                units.append((scenario, [todo[i] for i in idx], tests, fraud, tag))
    parts, info = map_units(
        _run_unit,
        units,
        scheduler="serial" if n_jobs == 1 else scheduler,
        n_workers=n_jobs,
        progress=progress,
        desc=desc,
    )
    new_rows = [row for part in parts for row in part["rows"]]
    for where, keys in stores:
        _store(unit_cache, where, [r for r in new_rows if (r.get("_tag"), r["election"]) in keys], tests)
    if unit_cache is not None:  # merge computed tests into the rows read from the cache
        by_key = {(r.get("_tag"), r["election"]): r for r in rows}
        for r in new_rows:
            by_key[(r.get("_tag"), r["election"])].update(r)
    else:
        rows = new_rows
    cost = {
        "wall_seconds": time.perf_counter() - start,
        "cpu_seconds": float(sum(part["cpu_seconds"] for part in parts)),
        "n_units_computed": sum(len(names) for unit in units for _, names in unit[1]),
        "n_units_cached": n_cached,
        "n_elections_simulated": sum(len(unit[1]) for unit in units),
        "n_tasks": info.n_units,
        "n_workers": info.n_workers,
        "scheduler": info.scheduler,
        "peak_rss_bytes": max((part["peak_rss_bytes"] for part in parts), default=0),
    }
    return rows, cost


def _frame(rows, tests, by=("election",)) -> pd.DataFrame:
    frame = pd.DataFrame(rows).sort_values(list(by), kind="stable").reset_index(drop=True)
    for name in tests:
        if name not in frame:
            frame[name] = np.nan
    # fixed column order, whichever units came from the cache
    keys = [c for c in ("_tag", "election") if c in frame]
    errors = sorted(c for c in frame.columns if c.startswith("error:"))
    return frame[keys + list(tests) + errors]


def simulate_pvalues(
    scenario: simulate.Scenario,
    tests: Mapping[str, Callable],
    n_elections: int,
    *,
    seed: int = 0,
    fraud: dict | None = None,
    n_jobs: int = 2,
    progress: bool = True,
    desc: str | None = None,
    scheduler: str | None = None,
    cache_dir=None,
) -> pd.DataFrame:
    """p-values of every test on ``n_elections`` elections drawn from ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        The synthetic elections' parameters (:mod:`analysis.synthetic.simulate`).
    tests : mapping
        ``{name: fn(stations, votes, leader, rng) -> p-value}`` (e.g. :func:`registered_tests`).
    n_elections : int
        Elections drawn.
    seed : int
        Election ``i`` uses child ``i`` of ``SeedSequence(seed)``; inside it the simulation
        and each test (keyed by the CRC32 of its name) get their own streams.
    fraud : dict, optional
        Fraud injected (see :func:`analysis.synthetic.simulate.simulate_election`).
    n_jobs : int
        Worker processes (:mod:`analysis.core.execution`; backend from ``$SCHEDULER``, default
        local processes); the result does not depend on it.
    progress : bool
        Show a progress bar.
    desc : str, optional
        The progress bar's label.
    scheduler : str, optional
        ``serial``, ``local``, ``dask-local`` or ``tcp://host:port`` (default ``$SCHEDULER``,
        else local: :func:`analysis.core.execution.resolve_scheduler`).
    cache_dir : path or UnitCache, optional
        Cache of finished units (:mod:`analysis.synthetic.calibration.cache`): units found
        there are read, the others computed and stored. None: no cache.

    Returns
    -------
    pandas.DataFrame
        One row per election (``election`` = its seed index) and one column per test; a
        failed test run is NaN with its message in column ``error:<test>``. ``attrs["run"]``
        holds the run's cost (:data:`RUN_KEYS`: wall and CPU seconds, units computed and read
        from the cache, tasks, workers, peak memory of a worker).

    References
    ----------
    Morris, T. P., White, I. R. & Crowther, M. J. (2019). Using simulation studies to evaluate
    statistical methods. *Statistics in Medicine* 38(11), 2074-2102, section 5 (rejection
    rates as performance measures).

    Examples
    --------
    >>> scenario = simulate.scenario_from_dict({"name": "toy", "n_stations": 100,
    ...     "candidates": {"leader": "A", "others": {"B": 1}},
    ...     "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> uniform = {"uniform": lambda stations, votes, leader, rng: rng.random()}
    >>> pv = simulate_pvalues(scenario, uniform, 3, seed=1, n_jobs=1, progress=False)
    >>> pv["election"].tolist(), bool(pv["uniform"].between(0, 1).all())
    ([0, 1, 2], True)
    """
    seeds = election_seeds(seed, n_elections)
    rows, cost = _run_batches(
        scenario, tests, [(None, fraud, seed, seeds)], n_jobs, progress, desc or scenario.name, scheduler, cache_dir
    )
    frame = _frame(rows, tests).drop(columns="_tag", errors="ignore")
    frame.attrs["run"] = cost
    return frame


def power_curve(
    scenario: simulate.Scenario,
    tests: Mapping[str, Callable],
    fraud_type: str,
    magnitudes: Sequence[float],
    n_elections: int,
    *,
    seed: int = 0,
    alpha: float = 0.05,
    fraud_params: dict | None = None,
    n_jobs: int = 2,
    progress: bool = True,
    scheduler: str | None = None,
    cache_dir=None,
) -> pd.DataFrame:
    """Rejection rate of each test over ``magnitudes`` of one fraud type (long table).

    The same election seeds are used at every magnitude (common random numbers), so the
    curves are smooth in the magnitude.

    Parameters
    ----------
    scenario : Scenario
        The synthetic elections' parameters.
    tests : mapping
        ``{name: fn(stations, votes, leader, rng) -> p-value}``.
    fraud_type : str
        One of :data:`analysis.synthetic.simulate.FRAUD_TYPES`.
    magnitudes : sequence of float
        The grid of magnitudes.
    n_elections : int
        Elections per magnitude.
    seed : int
        The run's seed (see :func:`simulate_pvalues`).
    alpha : float
        The test level.
    fraud_params : dict, optional
        Further keyword arguments of the injector (e.g. ``alpha``, ``theta``).
    n_jobs : int
        Worker processes.
    progress : bool
        Show a progress bar.
    scheduler, cache_dir
        As in :func:`simulate_pvalues`.

    Returns
    -------
    pandas.DataFrame
        Per (magnitude, test): ``n``, ``n_failed``, ``power`` and its exact interval;
        ``attrs["run"]`` the run's cost (:data:`RUN_KEYS`).

    References
    ----------
    Morris, T. P., White, I. R. & Crowther, M. J. (2019). Using simulation studies to evaluate
    statistical methods. *Statistics in Medicine* 38(11), 2074-2102, section 5 (rejection
    rates as performance measures).

    Examples
    --------
    >>> scenario = simulate.scenario_from_dict({"name": "toy", "n_stations": 100,
    ...     "candidates": {"leader": "A", "others": {"B": 1}},
    ...     "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> uniform = {"uniform": lambda stations, votes, leader, rng: rng.random()}
    >>> curve = power_curve(scenario, uniform, "extreme", [0.0, 0.1], 4, n_jobs=1, progress=False)
    >>> curve[["magnitude", "test", "n"]].values.tolist()
    [[0.0, 'uniform', 4], [0.1, 'uniform', 4]]
    """
    if fraud_type not in simulate.FRAUD_TYPES:
        raise ValueError(f"unknown fraud type {fraud_type!r}: expected one of {simulate.FRAUD_TYPES}")
    seeds = election_seeds(seed, n_elections)
    batches = [
        (float(m), {fraud_type: {"magnitude": float(m), **(fraud_params or {})}}, seed, seeds) for m in magnitudes
    ]
    desc = f"power {scenario.name} {fraud_type}"
    rows, cost = _run_batches(scenario, tests, batches, n_jobs, progress, desc, scheduler, cache_dir)
    pv = _frame(rows, tests, by=("_tag", "election"))
    rows = []
    for m in magnitudes:
        sub = pv[pv["_tag"] == float(m)]
        for name in tests:
            r = rejection_rate(sub[name], alpha=alpha)
            rows.append(
                {
                    "scenario": scenario.name,
                    "fraud_type": fraud_type,
                    "magnitude": float(m),
                    "test": name,
                    "n": r.n,
                    "n_failed": r.n_failed,
                    "power": r.rate,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                }
            )
    out = pd.DataFrame(rows)
    out.attrs["run"] = cost
    return out
