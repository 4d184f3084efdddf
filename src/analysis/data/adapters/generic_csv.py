"""Generic adapter: any election from a CSV (plain or inside a zip) plus a column map in the catalog.

Adding an election needs only a catalog entry (``config/datasets.yml``) such as::

    myelection:
      title: "…"
      file: results.csv            # or path: data/raw/myelection/results.csv
      sha256: …
      adapter: generic_csv
      read: {sep: ";", encoding: utf-8-sig, missing: ["-", ""]}
      columns:                      # canonical name -> source column name (exact)
        region: Region
        district: District
        station: Station
        registered: Registered
        ballots_issued: Ballots issued     # derived columns may be given directly
        invalid: Invalid
        valid: Valid
      extras: {postal_votes: Postal}        # further counts, kept after the canonical columns
      text_extras: {turnout_printed: Turnout}   # further text columns, kept as text
      candidates: {Candidate A: A, Candidate B: B}   # source column -> name (or a list)
      station_type: {column: Type, map: {Hospital: institution}, default: ordinary}
      ignore: [Polling station address]   # columns read but deliberately not kept
      leader: A

Every column of the file must be named (a count, an extra, a candidate, the station-type
column) or listed under ``ignore:``: a column the catalog does not mention is an error, so
that nothing is dropped silently.

Shared machinery lives beside it: :mod:`analysis.data.adapters.reading` (file bytes, CSV
text, strict count parsing) and :mod:`analysis.data.adapters.tables` (:func:`canonical_tables`:
missing lines, derived columns, flags, the long votes table, sorting, the row accounting).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.core import registry
from analysis.data.adapters.reading import (
    AdapterError,
    parse_counts,
    read_csv_text,
    read_source_bytes,
    refuse_unlisted_columns,
    source_label,
)
from analysis.data.adapters.tables import CanonicalTables, canonical_tables, station_type_series
from analysis.data.catalog import (
    COUNT_NAMES,
    KEY_NAMES,
    KEY_NORMALISE,
    READ,
    STATION_TYPE,
    STATION_TYPE_COLUMN,
    ListOf,
    MappingOf,
    OneOf,
)
from analysis.data.schema import COUNT_COLUMNS, DERIVED_COUNT_COLUMNS

__all__ = ["AdapterError", "CanonicalTables", "adapt", "canonical_tables", "parse_counts"]


ENTRY_KEYS = {
    "read": {**READ, "missing": ListOf(str)},
    "columns": MappingOf(str, keys=KEY_NAMES | COUNT_NAMES),
    "extras": MappingOf(str, not_like=COUNT_NAMES),
    "text_extras": MappingOf(str, not_like=COUNT_NAMES),
    "candidates": OneOf(MappingOf(str), ListOf(str)),
    "station_type": OneOf(STATION_TYPE, STATION_TYPE_COLUMN),
    "ignore": ListOf(str),
    "key_normalise": KEY_NORMALISE,
}


@registry.adapter("generic_csv")
def adapt(path: Path, entry: dict, election: str) -> CanonicalTables:
    """Canonical tables from a CSV and the catalog entry's column map (see the module docstring)."""
    member = entry.get("member")
    source = source_label(path, member)
    read = entry.get("read", {}) or {}
    rows = read_csv_text(read_source_bytes(path, member), read, source)
    df = rows.frame
    missing = tuple(read.get("missing", ["", "-"]))
    columns = entry.get("columns") or {}
    for need in ("region", "district", "station"):
        if need not in columns:
            raise AdapterError(f"catalog entry for {election}: columns.{need} is required")
    count_extras = entry.get("extras") or {}
    text_extras = entry.get("text_extras") or {}
    cand_spec = entry.get("candidates") or {}
    if isinstance(cand_spec, list):
        cand_spec = {c: c for c in cand_spec}
    station_type_spec = entry.get("station_type")
    named = {
        **{f"columns.{k}": v for k, v in columns.items()},
        **{f"extras.{k}": v for k, v in count_extras.items()},
        **{f"text_extras.{k}": v for k, v in text_extras.items()},
        **{f"candidates.{k}": k for k in cand_spec},
    }
    absent = sorted({src for src in named.values() if src not in df.columns})
    if absent:
        raise AdapterError(
            f"{source}: column(s) {absent} named in the catalog are not in the file (has {list(df.columns)})"
        )
    used = set(named.values()) | ({station_type_spec["column"]} if isinstance(station_type_spec, dict) else set())
    refuse_unlisted_columns(rows, used, entry.get("ignore", []) or [], election)

    def counts_of(src: str) -> pd.Series:
        return parse_counts(df[src], source=source, column=src, missing=missing, rows=rows)

    keys = pd.DataFrame({k: df[columns[k]].astype("str").str.strip() for k in ("region", "district", "station")})
    counts = {
        canon: counts_of(src)
        for canon, src in columns.items()
        if canon in COUNT_COLUMNS or canon in DERIVED_COUNT_COLUMNS
    }
    extras = {name: counts_of(src) for name, src in count_extras.items()}
    extras.update({name: df[src].astype("str").reset_index(drop=True) for name, src in text_extras.items()})
    candidates = {name: counts_of(src) for src, name in cand_spec.items()}
    station_type = station_type_series(df, station_type_spec, source)
    return canonical_tables(
        election=election,
        keys=keys,
        counts=counts,
        candidates=candidates,
        station_type=station_type,
        extras=extras,
        source=source,
        rows=rows,
        key_normalise=entry.get("key_normalise"),
        added_on_day=entry.get("added_on_day"),
        errata=entry.get("errata"),
        missing_token="/".join(t for t in missing if t),
    )


adapt.entry_keys = ENTRY_KEYS
