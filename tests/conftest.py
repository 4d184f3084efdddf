"""Shared fixtures.

``mirror``: the dataset mirror folder (``$ELECTION_DATA_MIRROR``), or a skip saying how to set it.

``processed_election``: a session-scoped factory; ``processed_election("ru2011")`` prepares
the election once per test session into the real ``data/processed/<election>/`` and returns
``(stations, votes)``. It skips (with the one-line reason) when the dataset's file is not
available here, and never writes UNAVAILABLE.txt over prepared tables in that case.
Use it in tests marked ``@pytest.mark.dataset``.
"""

from __future__ import annotations

import os

import pytest

MIRROR_ENV = "ELECTION_DATA_MIRROR"
NO_MIRROR = (
    f"{MIRROR_ENV} is not set: dataset tests need the shared datasets "
    f"(e.g. export {MIRROR_ENV}=/work/shared/datasets)"
)


@pytest.fixture(scope="session")
def mirror():
    path = os.environ.get(MIRROR_ENV)
    if not path:
        pytest.skip(NO_MIRROR)
    if not os.path.isdir(path):
        pytest.skip(f"{MIRROR_ENV}={path} is not a folder")
    return path


@pytest.fixture(scope="session")
def processed_election():
    from analysis.data import datasets

    cache: dict[str, tuple] = {}

    def get(election: str):
        if election in cache:
            return cache[election]
        entry = datasets.election_dataset(election)
        if entry["adapter"] in datasets.EMBEDDED_ADAPTERS:
            raise ValueError(f"{election} has no polling-station tables")
        if datasets.local_file(entry) is None:
            reason = datasets.how_to_get(entry)
            pytest.skip(NO_MIRROR + f" ({reason})" if not os.environ.get(MIRROR_ENV) else reason)
        datasets.prepare(election, strict=True)
        cache[election] = datasets.load_stations(election)
        return cache[election]

    return get
