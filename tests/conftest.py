"""Shared fixtures.

``mirror``: the dataset mirror folder (``$ELECTION_DATA_MIRROR``), or a skip saying how to set it.

``processed_election``: a session-scoped factory; ``processed_election("ru2011")`` prepares
the election once per test session into the real ``data/processed/<election>/`` and returns
``(stations, votes)``. It skips (with the one-line reason) when the dataset's file is not
available here, and never writes UNAVAILABLE.txt over prepared tables in that case.
Use it in tests marked ``@pytest.mark.dataset``.

``run_make``: ``run_make(root, *args)`` runs ``make`` in a project copy at ``root`` with this
interpreter as the project's Python (``PY``) and ``root/build/venv.stamp`` as its venv stamp,
so nothing is installed; the copy's ``src`` comes first on ``PYTHONPATH``.

Matplotlib draws off-screen (``MPLBACKEND=Agg``), also while the doctests of src/analysis are
collected.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

MIRROR_ENV = "ELECTION_DATA_MIRROR"
NO_MIRROR = (
    f"{MIRROR_ENV} is not set: dataset tests need the shared datasets (e.g. export {MIRROR_ENV}=/work/shared/datasets)"
)


@pytest.fixture(scope="session")
def mirror():
    path = os.environ.get(MIRROR_ENV)
    if not path:
        pytest.skip(NO_MIRROR)
    if not os.path.isdir(path):
        pytest.skip(f"{MIRROR_ENV}={path} is not a folder")
    return path


@contextlib.contextmanager
def _prepare_lock(processed_root: Path):
    """Hold the lock file ``data/processed/.tests.lock`` (its text: the elections prepared so far).

    The pytest-xdist workers of one run (``make test``) share ``data/processed/``: one of them
    prepares an election while no other one writes or reads it there.
    """
    processed_root.mkdir(parents=True, exist_ok=True)
    with open(processed_root / ".tests.lock", "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def processed_election(request):
    from analysis.core import paths
    from analysis.data import datasets

    cache: dict[str, tuple] = {}
    # Workers of one xdist run share its id: the first one to need an election prepares it.
    run_id = getattr(request.config, "workerinput", {}).get("testrunuid")

    def get(election: str):
        if election in cache:
            return cache[election]
        entry = datasets.election_dataset(election)
        if entry["adapter"] in datasets.embedded_adapters():
            raise ValueError(f"{election} has no polling-station tables")
        if datasets.local_file(entry) is None:
            reason = datasets.how_to_get(entry)
            pytest.skip(NO_MIRROR + f" ({reason})" if not os.environ.get(MIRROR_ENV) else reason)
        with _prepare_lock(paths.ROOT / "data" / "processed") as lock:
            lock.seek(0)
            this_run = [line for line in lock.read().splitlines() if line.split(" ")[0] == str(run_id)]
            done_line = f"{run_id} {election}"
            if run_id is None or done_line not in this_run:
                datasets.prepare(election, strict=True)
                if run_id is not None:  # earlier runs' lines are dropped: their tables were rewritten since
                    lock.seek(0)
                    lock.truncate()
                    lock.write("\n".join([*this_run, done_line]) + "\n")
                    lock.flush()
            cache[election] = datasets.load_stations(election)
        return cache[election]

    return get


# Variables of an outer make (`make test`) or of the user's shell must not steer the inner make.
MAKE_ENV_DROPPED = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "ELECTION", "PARAMS", "STRICT"}


@pytest.fixture(scope="session")
def run_make():
    def run(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        stamp = root / "build" / "venv.stamp"
        if not stamp.exists():  # created once: a newer stamp would make every target out of date
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.touch()
        env = {k: v for k, v in os.environ.items() if k not in MAKE_ENV_DROPPED}
        env.update(PYTHONPATH=str(root / "src"), ELECTION_FORENSICS_ROOT=str(root))
        cmd = ["make", "--no-print-directory", f"PY={sys.executable}", "VENV_STAMP=build/venv.stamp", *args]
        return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)

    return run


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test``), hand out the tests marked ``slow`` first.

    A worker that draws a minutes-long test (``make all`` of a whole election) near the end would
    run it alone while the other workers idle; started first, it overlaps the many short tests.
    The order is the same in every worker (a stable sort), as xdist requires.
    """
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)
