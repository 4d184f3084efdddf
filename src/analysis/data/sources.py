"""Where a catalogued dataset's file is, and its sha256, without the adapters.

:mod:`analysis.data.datasets` validates the whole catalog against the registered adapters,
which imports every adapter (pandas, pandera, pyarrow). Callers that only need to *find* a
dataset's catalog entry and file (the runner's provenance, once per notebook run) read the
catalog here instead: the entry as written in ``config/datasets.yml`` (plus ``id``), whether it
is embedded (the entry's ``embedded:`` flag, which :func:`analysis.data.datasets.load_catalog`
checks against the adapter), and where its file already is. The lookups give the same answers
as the validated catalog for every catalog that validates.
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.core import config, paths

MIRROR_ENV = "ELECTION_DATA_MIRROR"


def _root(root: Path | None) -> Path:
    return Path(root) if root is not None else paths.ROOT


def catalog_entry(dataset_id: str, root: Path | None = None) -> dict:
    """One catalog entry as written (with ``id``), unvalidated; ConfigError when the id is not catalogued."""
    path = _root(root) / "config" / "datasets.yml"
    catalog = config.load_yaml(path)
    entry = catalog.get(dataset_id)
    if not isinstance(entry, dict):
        known = ", ".join(sorted(str(k) for k in catalog))
        raise config.ConfigError(f"dataset {dataset_id!r} is not in config/datasets.yml (known: {known})")
    return {**entry, "id": dataset_id}


def is_embedded(entry: dict) -> bool:
    """Whether an entry's data are kept in the repository (``embedded: true``; its adapter writes the tables)."""
    return bool(entry.get("embedded", False))


def external_dir(root: Path | None = None) -> Path:
    """Where fetched dataset files are cached: ``data/raw/external/`` of the project root."""
    return _root(root) / "data" / "raw" / "external"


def local_file(entry: dict, root: Path | None = None, mirror: str | Path | None = None) -> Path | None:
    """The dataset's file where it already is (repository path, mirror or cache), unverified; else None."""
    base = _root(root)
    if entry.get("path"):
        p = Path(entry["path"])
        p = p if p.is_absolute() else base / p
        return p if p.exists() else None
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV)
    if mirror:
        p = Path(mirror) / entry["file"]
        if p.exists():
            return p
    p = external_dir(root) / entry["file"]
    return p if p.exists() else None


def file_sha256(path: Path) -> str:
    """sha256 (hex) of a file."""
    import pooch

    return pooch.file_hash(str(path), alg="sha256")
