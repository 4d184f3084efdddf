"""Dataset catalog, download / mirror, preparation of the canonical tables, loading.

* ``config/datasets.yml`` catalogues each dataset (pinned URL, sha256, adapter, column map).
* Adapters are the modules of :mod:`analysis.data.adapters`, each registering its
  ``adapt`` with ``@analysis.core.registry.adapter("<name>")``; a catalog entry's ``adapter:``
  names one. Embedded adapters (``adapt.embedded = True``, e.g. ``kz2011_osce``) read data kept
  in the repository and write their own tables.
* :func:`fetch` finds a dataset's file: a local ``path:`` from the catalog, else the mirror
  folder ``$ELECTION_DATA_MIRROR`` (read in place), else the pooch cache in
  ``data/raw/external/``, else a pooch download into it. The sha256 is verified wherever the
  file comes from. A file that cannot be had raises :class:`DatasetUnavailable` whose message
  is one line saying how to get it; a file with the wrong checksum raises
  :class:`DatasetChecksumError` (never skipped: wrong data must not pass for right data).
* :func:`prepare` writes ``data/processed/<election>/stations.parquet``, ``votes.parquet`` and
  ``row_accounting.csv`` (byte-identical on rerun), or ``UNAVAILABLE.txt`` with the one-line
  reason when the dataset cannot be had (``strict=True`` raises instead).
* An entry's ``supplements:`` are other entries whose stations :func:`prepare` appends (each
  file fetched and verified on its own), for elections published in several files.
* A catalog id without ``config/elections/<id>.yml`` stands for itself: any catalogued dataset
  can be prepared before an election config puts it into the run.
* :func:`load_stations` reads the tables back; :func:`leader_votes` aligns a candidate's votes
  with the stations rows.

CLI::

    python -m analysis.data.datasets list
    python -m analysis.data.datasets prepare <election> [--strict]

Every function takes an optional ``root`` (the project root: ``config/``, ``data/``) so
tests can work in a temporary tree; by default :mod:`analysis.core.paths` decides.
"""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.core import config, paths, registry
from analysis.data import catalog as catalog_schema
from analysis.data.adapters.combine import combine_tables
from analysis.data.adapters.reading import AdapterError
from analysis.data.schema import TableValidationError, validate_stations, validate_votes
from analysis.data.sources import MIRROR_ENV, external_dir, file_sha256, local_file  # noqa: F401  (datasets.local_file, …)


@functools.cache
def adapters() -> dict:
    """The registered adapters by name (``registry.ADAPTERS``), every adapter module imported first.

    Each adapter module registers itself (``@registry.adapter``) when imported; one that fails
    to import is an error, not a silently missing adapter. Imported on first use, not with this
    module: reading prepared tables (the notebooks) needs no adapter.
    """
    registry.discover("analysis.data.adapters")
    return registry.ADAPTERS


@functools.cache
def embedded_adapters() -> frozenset[str]:
    """Adapters whose data are in the repository (``adapter.embedded``): nothing to fetch, and
    they write their own processed tables instead of returning canonical ones."""
    return frozenset(name for name, fn in adapters().items() if getattr(fn, "embedded", False))


UNAVAILABLE = "UNAVAILABLE.txt"
PREPARED_FILES = ("stations.parquet", "votes.parquet", "row_accounting.csv")
DOWNLOAD_TIMEOUT_S = 30


class DatasetUnavailable(RuntimeError):
    """The dataset's file cannot be obtained here; the message says (in one line) how to get it."""


class DatasetChecksumError(ValueError):
    """A dataset file's sha256 differs from the catalog's: the file is not the catalogued one."""


@dataclass(frozen=True)
class Roots:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def external(self) -> Path:
        return external_dir(self.root)

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    def processed(self, election: str) -> Path:
        return self.root / "data" / "processed" / election


def _roots(root: Path | None) -> Roots:
    return Roots(Path(root) if root is not None else paths.ROOT)


# ---------------------------------------------------------------------------------------------
# catalog


def load_catalog(root: Path | None = None) -> dict[str, dict]:
    """All catalog entries: ``{dataset_id: entry}`` (entry gets ``id``)."""
    path = _roots(root).config / "datasets.yml"
    catalog = config.load_yaml(path)
    known, embedded = adapters(), embedded_adapters()
    out = {}
    for dataset_id, entry in catalog.items():
        if not isinstance(entry, dict):
            raise config.ConfigError(f"{path}: entry {dataset_id!r} is not a mapping")
        adapter = entry.get("adapter")
        if adapter not in known:
            raise config.ConfigError(
                f"{path}: entry {dataset_id!r}: adapter {adapter!r} is not one of the registered adapters "
                f"({', '.join(sorted(known))})"
            )
        catalog_schema.check_entry(dataset_id, entry, path, getattr(known[adapter], "entry_keys", {}))
        if bool(entry.get("embedded", False)) != (adapter in embedded):
            raise config.ConfigError(
                f"{path}: entry {dataset_id!r}: `embedded: {entry.get('embedded', False)}` contradicts adapter {adapter!r}"
            )
        if adapter not in embedded and not (entry.get("path") or (entry.get("file") and entry.get("sha256"))):
            raise config.ConfigError(f"{path}: entry {dataset_id!r}: needs `path:` or `file:` + `sha256:`")
        out[dataset_id] = {**entry, "id": dataset_id}
    for dataset_id, entry in out.items():
        bad = [
            s
            for s in entry.get("supplements") or []
            if s not in out or out[s]["adapter"] in embedded or s == dataset_id
        ]
        if bad:
            raise config.ConfigError(
                f"{path}: entry {dataset_id!r}: supplements {bad} are not other file-based entries of the catalog"
            )
    return out


def dataset_entry(dataset_id: str, root: Path | None = None) -> dict:
    catalog = load_catalog(root)
    if dataset_id not in catalog:
        raise config.ConfigError(
            f"dataset {dataset_id!r} is not in config/datasets.yml (known: {', '.join(sorted(catalog))})"
        )
    return catalog[dataset_id]


def election_dataset(election: str, root: Path | None = None) -> dict:
    """The catalog entry of the dataset an election config names (or of the catalog id
    ``election`` itself, where no election config of that name exists)."""
    r = _roots(root)
    if not (r.config / "elections" / f"{election}.yml").exists() and election in (catalog := load_catalog(root)):
        return catalog[election]
    cfg = config.load_election(election, r.config)
    dataset_id = cfg.get("dataset")
    if not dataset_id:
        raise config.ConfigError(f"election {election!r} names no `dataset:`")
    return dataset_entry(dataset_id, root)


# ---------------------------------------------------------------------------------------------
# files


def _verify(path: Path, entry: dict) -> Path:
    expected = entry.get("sha256")
    if expected:
        got = file_sha256(path)
        if got.lower() != str(expected).lower():
            raise DatasetChecksumError(
                f"{path}: sha256 {got} does not match the catalog's {expected} for dataset {entry['id']!r}; "
                "the file is corrupt or a different version: replace it with the catalogued file"
            )
    return path


def how_to_get(entry: dict) -> str:
    """One line saying how to obtain a dataset's file."""
    if entry.get("path"):
        return f"dataset {entry['id']}: file {entry['path']} is missing from the repository"
    url = entry.get("url") or "(no URL catalogued)"
    return (
        f"dataset {entry['id']}: {entry['file']} not available offline; download {url} "
        f"(sha256 {entry['sha256']}) into data/raw/external/{entry['file']}, or set "
        f"{MIRROR_ENV} to a folder holding {entry['file']}"
    )


def fetch(dataset_id: str, root: Path | None = None, mirror: str | Path | None = None, download: bool = True) -> Path:
    """Path to the verified file of a dataset (mirror read in place; otherwise pooch cache / download)."""
    entry = dataset_entry(dataset_id, root)
    if entry["adapter"] in embedded_adapters():
        raise ValueError(
            f"dataset {dataset_id!r} is embedded in the repository (adapter {entry['adapter']}): nothing to fetch"
        )
    found = local_file(entry, root, mirror)
    if found is not None:
        return _verify(found, entry)
    if entry.get("path") or not download or not entry.get("url"):
        raise DatasetUnavailable(how_to_get(entry))
    import pooch
    import requests

    target = _roots(root).external
    target.mkdir(parents=True, exist_ok=True)
    try:
        fetched = pooch.retrieve(
            entry["url"],
            known_hash=f"sha256:{entry['sha256']}",
            fname=entry["file"],
            path=target,
            progressbar=False,
            downloader=pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT_S, progressbar=False),
        )
    except ValueError as exc:  # pooch: hash mismatch of the downloaded file
        raise DatasetChecksumError(f"{entry['url']}: {exc}") from None
    except (requests.exceptions.RequestException, OSError) as exc:
        raise DatasetUnavailable(f"{how_to_get(entry)} (download failed: {type(exc).__name__})") from None
    return Path(fetched)


def is_available(election: str, root: Path | None = None, mirror: str | Path | None = None) -> bool:
    """True when the election's tables are prepared, its data are embedded, or its file is here (no download)."""
    r = _roots(root)
    entry = election_dataset(election, root)
    if entry["adapter"] in embedded_adapters():
        return True
    if (r.processed(election) / "stations.parquet").exists():
        return True
    return local_file(entry, root, mirror) is not None


# ---------------------------------------------------------------------------------------------
# preparation


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="snappy")


def _prepare_embedded(election: str, entry: dict, out_dir: Path, r: Roots) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    raw_dir = r.raw / election if (r.raw / election).exists() else r.raw / entry["id"]
    adapters()[entry["adapter"]](raw_dir, entry, election, out_dir)
    return out_dir


def canonicalize(election: str, path: Path, entry: dict):
    """Run the entry's adapter on a file: ``CanonicalTables`` (validated against the schemas)."""
    tables = adapters()[entry["adapter"]](Path(path), entry, election)
    source = f"{Path(path).name} ({entry['id']}, adapter {entry['adapter']})"
    validate_stations(tables.stations, source)
    validate_votes(tables.votes, source)
    return tables


def prepare(
    election: str, strict: bool = False, root: Path | None = None, mirror: str | Path | None = None
) -> Path | None:
    """Build ``data/processed/<election>/``; return that folder, or None when the data cannot be had.

    Unavailable data: writes ``UNAVAILABLE.txt`` (one line: how to get the file) and returns
    None, or raises :class:`DatasetUnavailable` when ``strict``.
    """
    r = _roots(root)
    entry = election_dataset(election, root)
    out_dir = r.processed(election)
    marker = out_dir / UNAVAILABLE
    try:
        if entry["adapter"] in embedded_adapters():
            result = _prepare_embedded(election, entry, out_dir, r)
            marker.unlink(missing_ok=True)
            return result
        path = fetch(entry["id"], root=root, mirror=mirror)
        parts = [(entry, path)] + [
            (dataset_entry(s, root), fetch(s, root=root, mirror=mirror)) for s in entry.get("supplements") or []
        ]
    except DatasetUnavailable as exc:
        out_dir.mkdir(parents=True, exist_ok=True)
        # Tables from an earlier run would contradict the marker (and could be stale).
        for name in PREPARED_FILES:
            (out_dir / name).unlink(missing_ok=True)
        marker.write_text(str(exc) + "\n", encoding="utf-8")
        if strict:
            raise
        return None
    tables = combine_tables(
        [canonicalize(election, p, e) for e, p in parts],
        [f"{e['id']}:{e.get('member') or Path(p).name}" for e, p in parts],
    )
    if len(parts) > 1:
        source = f"{entry['id']} with supplements {', '.join(e['id'] for e, _ in parts[1:])}"
        validate_stations(tables.stations, source)
        validate_votes(tables.votes, source)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_parquet(tables.stations, out_dir / "stations.parquet")
    _write_parquet(tables.votes, out_dir / "votes.parquet")
    tables.accounting.to_csv(out_dir / "row_accounting.csv", index=False, lineterminator="\n")
    marker.unlink(missing_ok=True)
    return out_dir


def unavailable_reason(election: str, root: Path | None = None) -> str | None:
    marker = _roots(root).processed(election) / UNAVAILABLE
    return marker.read_text(encoding="utf-8").strip() if marker.exists() else None


# ---------------------------------------------------------------------------------------------
# loading


def load_stations(
    election: str, root: Path | None = None, mirror: str | Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(stations, votes)`` of a station-level election, preparing them first if needed.

    Raises :class:`DatasetUnavailable` when the dataset cannot be had.
    """
    out_dir = _roots(root).processed(election)
    s_path, v_path = out_dir / "stations.parquet", out_dir / "votes.parquet"
    if not (s_path.exists() and v_path.exists()):
        entry = election_dataset(election, root)
        if entry["adapter"] in embedded_adapters():
            raise ValueError(
                f"election {election!r} has no polling-station tables (dataset {entry['id']} is region-level)"
            )
        prepare(election, strict=True, root=root, mirror=mirror)
    stations = pq.read_table(s_path).to_pandas()
    votes = pq.read_table(v_path).to_pandas()
    return stations, votes


# ---------------------------------------------------------------------------------------------
# CLI


def _cmd_list(root: Path | None = None) -> int:
    catalog = load_catalog(root)
    for dataset_id in sorted(catalog):
        entry = catalog[dataset_id]
        if entry["adapter"] in embedded_adapters():
            where = "embedded"
        else:
            found = local_file(entry, root)
            where = f"here: {found}" if found else "not here (downloadable)" if entry.get("url") else "missing"
        print(f"{dataset_id:10s} {entry['adapter']:12s} {entry.get('title', '')} [{where}]")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.data.datasets", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the catalogued datasets and where their files are")
    p = sub.add_parser("prepare", help="build data/processed/<election>/")
    p.add_argument("election")
    p.add_argument("--strict", action="store_true", help="fail instead of skipping when the data cannot be had")
    args = parser.parse_args(argv)
    if args.command == "list":
        return _cmd_list()
    try:
        out = prepare(args.election, strict=args.strict)
    except DatasetUnavailable as exc:
        print(f"{args.election}: unavailable: {exc}", file=sys.stderr)
        return 1
    except (config.ConfigError, DatasetChecksumError, AdapterError, TableValidationError) as exc:
        # The messages name the file (and row / column): no traceback needed.
        print(f"{args.election}: error: {exc}", file=sys.stderr)
        return 2
    if out is None:
        print(f"{args.election}: skipped: {unavailable_reason(args.election)}")
        return 0
    print(f"{args.election}: prepared {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
