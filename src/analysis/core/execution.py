"""One execution seam for independent work units: serial, local processes, or Dask distributed.

Every loop over independent units (synthetic elections of a calibration, elections of a batch)
goes through :func:`map_units`. The backend is chosen by ``scheduler`` or the environment
variable ``SCHEDULER``:

- ``serial``: one process, in order (debugging, profiling);
- ``local`` (default): a pool of worker processes on this machine
  (:class:`concurrent.futures.ProcessPoolExecutor`);
- ``dask-local``: a :class:`distributed.LocalCluster` of worker processes on this machine
  (the Dask path, testable without a cluster);
- ``tcp://host:8786``: the Dask scheduler at that address (see README, "Running on a cluster").

Results come back in the order of the units, and each unit carries its own seed
(``numpy.random.SeedSequence.spawn``), so the numbers are identical whichever backend and
however many workers run them.

Tasks with dependencies (the notebooks of a batch of elections) go through :func:`run_graph`:
a task starts once the tasks it depends on have finished, and receives their results.

Workers never outlive the run: a local worker checks once a second that the process that
started it is still alive and exits when it is not (an interrupted ``make all`` kills the
notebook's kernel, and its workers follow within a second); an interrupted run shuts its
pool down and cancels the units not yet started.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass

from tqdm.auto import tqdm

SCHEDULER_ENV = "SCHEDULER"
WORKERS_ENV = "N_WORKERS"
LOCAL = ("serial", "local", "dask-local")


class SchedulerError(ValueError):
    """An unknown scheduler name or address."""


@dataclass(frozen=True)
class RunInfo:
    """How a run was executed: recorded beside its results."""

    scheduler: str
    n_workers: int
    n_units: int
    wall_seconds: float


def resolve_scheduler(scheduler: str | None = None) -> str:
    """The scheduler to use: the argument, else ``$SCHEDULER``, else ``local``; validated."""
    name = (scheduler or os.environ.get(SCHEDULER_ENV) or "local").strip()
    if name in LOCAL or name.startswith("tcp://"):
        return name
    raise SchedulerError(f"scheduler {name!r}: expected one of {', '.join(LOCAL)} or a Dask address tcp://host:port")


def resolve_workers(n_workers: int | None = None) -> int:
    """Worker count: the argument, else ``$N_WORKERS``, else the number of usable cores."""
    if n_workers is None:
        n_workers = int(os.environ.get(WORKERS_ENV, "0")) or len(os.sched_getaffinity(0))
    if n_workers < 1:
        raise ValueError(f"n_workers must be >= 1, got {n_workers}")
    return n_workers


def _watch_parent(parent_pid: int) -> None:
    """Runs in each local worker: exit at once when the process that started the pool is gone."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(1.0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _stop_pool(pool) -> None:
    """Interrupted or a unit failed: drop queued units and stop the workers now.

    (Python 3.14 has ``pool.terminate_workers()``; before it, the pool's process table.)
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


@contextlib.contextmanager
def _local_pool(n_workers: int):
    """A process pool that is stopped at once (workers killed) if the caller's block fails."""
    pool = ProcessPoolExecutor(max_workers=n_workers, initializer=_watch_parent, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _map_local(fn, units, n_workers, bar) -> list:
    out = [None] * len(units)
    with _local_pool(n_workers) as pool:
        futures = {pool.submit(fn, unit): i for i, unit in enumerate(units)}
        for future in as_completed(futures):
            out[futures[future]] = future.result()
            bar.update(1)
    return out


#: Dask settings of the workers this module starts. The statistical profiler (a stack sample every
#: 10 ms) and the GIL monitor cost long CPU-bound tasks time, and the nanny's default
#: ``MALLOC_TRIM_THRESHOLD_=65536`` turns off glibc's adaptive mmap threshold, so that every large
#: numpy/pandas allocation is a fresh mmap: measured +53 % CPU per Russia-sized election
#: (bench/bench_scaling.py). Workers of a cluster started by hand take the same settings from
#: their environment (README, "Parallel and distributed runs").
DASK_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # None: not set (distributed.nanny)
}


def local_cluster(n_workers: int):
    """A Dask ``LocalCluster`` of ``n_workers`` single-threaded worker processes (:data:`DASK_WORKER_CONFIG`)."""
    import dask  # noqa: PLC0415  (heavy; only on the Dask path)
    from distributed import LocalCluster  # noqa: PLC0415

    with dask.config.set(DASK_WORKER_CONFIG):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None)


@contextlib.contextmanager
def _dask_client(scheduler: str, n_workers: int):
    """A Dask client: of a new LocalCluster (``dask-local``) or of the scheduler at ``tcp://...``."""
    from distributed import Client  # noqa: PLC0415  (heavy; only on the Dask path)

    cluster = None
    if scheduler == "dask-local":
        cluster = local_cluster(n_workers)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _map_dask(fn, units, scheduler, n_workers, bar) -> list:
    from distributed import as_completed as dask_completed  # noqa: PLC0415

    with _dask_client(scheduler, n_workers) as client:
        futures = client.map(fn, units, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out = [None] * len(units)
        for future in dask_completed(futures):
            out[index[future.key]] = future.result()
            bar.update(1)
        return out


def map_units(
    fn: Callable,
    units: Sequence,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: bool = True,
    desc: str = "",
) -> tuple[list, RunInfo]:
    """``[fn(unit) for unit in units]`` on the chosen backend; results in the order of ``units``.

    ``fn`` must be a module-level function (picklable) and each unit self-contained (its own
    seed). A unit that raises stops the run with that error (the Dask path reports the unit).

    Examples
    --------
    >>> from operator import neg
    >>> results, info = map_units(neg, [1, 2, 3], scheduler="serial", progress=False)
    >>> results, info.n_units
    ([-1, -2, -3], 3)
    """
    scheduler = resolve_scheduler(scheduler)
    n_workers = 1 if scheduler == "serial" else resolve_workers(n_workers)
    units = list(units)
    start = time.perf_counter()
    with tqdm(total=len(units), desc=desc or "units", disable=not progress, leave=False) as bar:
        if scheduler == "serial" or (scheduler == "local" and (n_workers == 1 or len(units) <= 1)):
            out = []
            for unit in units:
                out.append(fn(unit))
                bar.update(1)
        elif scheduler == "local":
            out = _map_local(fn, units, n_workers, bar)
        else:
            out = _map_dask(fn, units, scheduler, n_workers, bar)
    return out, RunInfo(scheduler, n_workers, len(units), time.perf_counter() - start)


def _topological(graph: Mapping[Hashable, tuple]) -> list:
    order, state = [], {}

    def visit(key, path):
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise ValueError("circular dependency: " + " -> ".join(map(str, [*path, key])))
        state[key] = 1
        for dep in graph[key][1]:
            if dep not in graph:
                raise ValueError(f"task {key!r} depends on unknown task {dep!r}")
            visit(dep, [*path, key])
        state[key] = 2
        order.append(key)

    for key in graph:
        visit(key, [])
    return order


def _graph_local(fn, graph, order, n_workers, bar) -> dict:
    done: dict = {}
    pending = {key for key in order}
    running: dict = {}
    with _local_pool(n_workers) as pool:
        while pending or running:
            for key in [k for k in order if k in pending and all(d in done for d in graph[k][1])]:
                payload, deps = graph[key]
                running[pool.submit(fn, payload, [done[d] for d in deps])] = key
                pending.discard(key)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done[running.pop(future)] = future.result()
                bar.update(1)
    return done


def _graph_dask(fn, graph, order, scheduler, n_workers, bar) -> dict:
    from distributed import as_completed as dask_completed  # noqa: PLC0415

    with _dask_client(scheduler, n_workers) as client:
        futures = {}
        for key in order:  # Dask starts a task when the futures it is given have finished
            payload, deps = graph[key]
            futures[key] = client.submit(fn, payload, [futures[d] for d in deps], pure=False)
        keys = {future.key: key for key, future in futures.items()}
        done = {}
        for future in dask_completed(list(futures.values())):
            done[keys[future.key]] = future.result()
            bar.update(1)
        return done


def run_graph(
    fn: Callable,
    graph: Mapping[Hashable, tuple],
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: bool = True,
    desc: str = "",
) -> tuple[dict, RunInfo]:
    """Run ``fn(payload, [results of its dependencies])`` for every task of ``graph``, dependencies first.

    ``graph`` maps a task's key to ``(payload, dependency keys)``. On the local pool a task is
    submitted as soon as its dependencies are done; on Dask every task is submitted at once
    with its dependencies' futures as arguments, and the scheduler orders them. ``fn`` should
    catch its own errors (a batch records a failed notebook and carries on); an exception it
    raises stops the run.

    Examples
    --------
    >>> def add(x, deps):
    ...     return x + sum(deps)
    >>> done, info = run_graph(add, {"a": (1, ()), "b": (10, ("a",)), "c": (100, ("a", "b"))},
    ...                        scheduler="serial", progress=False)
    >>> done, info.n_units
    ({'a': 1, 'b': 11, 'c': 112}, 3)
    """
    scheduler = resolve_scheduler(scheduler)
    n_workers = 1 if scheduler == "serial" else resolve_workers(n_workers)
    order = _topological(graph)
    start = time.perf_counter()
    with tqdm(total=len(order), desc=desc or "tasks", disable=not progress, leave=False) as bar:
        if scheduler == "serial" or (scheduler == "local" and n_workers == 1):
            done = {}
            for key in order:
                payload, deps = graph[key]
                done[key] = fn(payload, [done[d] for d in deps])
                bar.update(1)
        elif scheduler == "local":
            done = _graph_local(fn, graph, order, n_workers, bar)
        else:
            done = _graph_dask(fn, graph, order, scheduler, n_workers, bar)
    return {key: done[key] for key in graph}, RunInfo(scheduler, n_workers, len(order), time.perf_counter() - start)
