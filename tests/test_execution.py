"""The execution seam: same numbers on every backend, errors surface, workers never outlive a run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from analysis.core.execution import SchedulerError, map_units, resolve_scheduler, run_graph

sys.path.insert(0, str(Path(__file__).parent))
import _execution_units as units  # noqa: E402


def _seeds(n):
    return np.random.SeedSequence(20110403).spawn(n)


def test_identical_results_on_serial_local_and_dask_localcluster():
    expected, info = map_units(units.seeded_sum, _seeds(6), scheduler="serial", progress=False)
    assert info.scheduler == "serial" and info.n_workers == 1 and info.n_units == 6
    assert len(set(expected)) == 6  # the units really differ
    local, info = map_units(units.seeded_sum, _seeds(6), scheduler="local", n_workers=2, progress=False)
    assert local == expected and info.n_workers == 2
    dask, info = map_units(units.seeded_sum, _seeds(6), scheduler="dask-local", n_workers=2, progress=False)
    assert dask == expected and info.scheduler == "dask-local"


GRAPH = {"a": (1, ()), "b": (10, ("a",)), "c": (100, ("a",)), "d": (1000, ("b", "c"))}


@pytest.mark.parametrize("scheduler", ["serial", "local", "dask-local"])
def test_graph_runs_dependencies_first_on_every_backend(scheduler):
    done, info = run_graph(units.add_dependencies, GRAPH, scheduler=scheduler, n_workers=2, progress=False)
    assert {k: v[0] for k, v in done.items()} == {"a": 1, "b": 11, "c": 101, "d": 1112}
    assert info.n_units == 4
    if scheduler != "serial":  # really ran in worker processes
        assert os.getpid() not in {v[1] for v in done.values()}


def test_graph_rejects_cycles_and_unknown_dependencies():
    with pytest.raises(ValueError, match="circular"):
        run_graph(units.add_dependencies, {"a": (1, ("b",)), "b": (1, ("a",))}, scheduler="serial", progress=False)
    with pytest.raises(ValueError, match="unknown task 'z'"):
        run_graph(units.add_dependencies, {"a": (1, ("z",))}, scheduler="serial", progress=False)


@pytest.mark.parametrize("scheduler", ["serial", "local"])
def test_a_failing_unit_raises_its_error(scheduler):
    with pytest.raises(ValueError, match="unit 3 is broken"):
        map_units(units.fail_on_three, range(6), scheduler=scheduler, n_workers=2, progress=False)


def test_scheduler_is_validated(monkeypatch):
    with pytest.raises(SchedulerError, match="'lokal'"):
        resolve_scheduler("lokal")
    monkeypatch.setenv("SCHEDULER", "serial")
    assert resolve_scheduler() == "serial"
    assert resolve_scheduler("tcp://10.0.0.1:8786") == "tcp://10.0.0.1:8786"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) burns no CPU
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_workers_stop_when_the_run_is_killed(tmp_path):
    """Issue: killing `make all` during calibration left its workers at full CPU for minutes."""
    here, folder = str(Path(__file__).parent), str(tmp_path)
    script = (
        f"import sys; sys.path.insert(0, {here!r})\n"
        "from analysis.core.execution import map_units\n"
        "import _execution_units as u\n"
        f"map_units(u.spin_and_record, [{folder!r}] * 4, scheduler='local', n_workers=2, progress=False)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.time() + 60
    while len(list(tmp_path.glob("*.pid"))) < 2 and time.time() < deadline:
        time.sleep(0.2)
    workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
    assert len(workers) == 2, "workers did not start"
    assert all(_alive(pid) for pid in workers)
    os.kill(parent.pid, signal.SIGKILL)  # as hard as it gets: no cleanup code runs in the parent
    parent.wait()
    deadline = time.time() + 10
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.2)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"workers {survivors} outlived their run"
