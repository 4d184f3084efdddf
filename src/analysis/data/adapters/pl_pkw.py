"""Polish PKW station-level results CSV (``wyniki_gl_na_kand_po_obwodach``) -> canonical tables.

The file is UTF-8 with a BOM, CRLF line ends, semicolon-separated, strings quoted. Columns
are named in the catalog (``columns``: canonical name -> exact header, or a list of headers
that are summed). Decisions:

* **Ballots cast.** ``ballots_issued`` and ``ballots_in_boxes`` are both column 25, "Liczba
  kart wyjętych z urny" (ballot papers taken from the box). In 2020 many people voted by
  post: their ballots reach the box in envelopes and never appear in column 15 ("ballots
  issued" to voters in person), so column 15 undercounts voters (88 stations have 0 in it
  but hundreds of votes). Column 25 is the only complete "ballots cast" figure, and it is
  what PKW's own turnout uses. The in-person figure is kept in the canonical
  ``ballots_issued_in_station`` and the postal envelopes put into the box (column 24) in the
  extra ``ballots_issued_postal``, so the protocol checks can compare ballots in the box
  with ballots handed out (in person + by post).
* **Valid / invalid.** ``valid`` is column 33 (valid votes, = Σ candidates); ``invalid`` is
  invalid ballot papers (27) + invalid votes on valid papers (29), so that valid + invalid =
  ballots in the box, as on a Russian protocol. The three source figures are kept as extras.
* **Missing rows.** Rows whose numeric cells are all ``-`` (4 military contingents abroad in
  2020) are kept with ``<NA>`` counts and flagged ``missing: all numeric columns are "-"``.
* **Every column is accounted for**: named in ``columns``, ``extras``, ``text_extras``,
  ``candidates``, the station-type column, or listed under ``ignore:``; any other column
  (e.g. a candidate missing from ``candidates``) is an error, never silently dropped.
* **Station type** from ``Typ obwodu`` (catalog ``station_type.map``); the Polish value is kept
  in ``station_type_source``.
* **Key**: region = voivodeship, district = municipality TERYT code, station = district number.
  Abroad and ship stations belong to the mazowieckie voivodeship in the source and stay there
  (their station type says what they are).
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
    STATION_TYPE_COLUMN,
    ListOf,
    MappingOf,
    OneOf,
)
from analysis.data.schema import COUNT_COLUMNS, DERIVED_COUNT_COLUMNS

MISSING = ("-", "")


def _headers(spec) -> list[str]:
    return [spec] if isinstance(spec, str) else list(spec)


HEADERS = OneOf(str, ListOf(str))  # one header, or several whose counts are summed
ENTRY_KEYS = {
    "read": READ,
    "columns": MappingOf(HEADERS, keys=KEY_NAMES | COUNT_NAMES),
    "extras": MappingOf(HEADERS, not_like=COUNT_NAMES),
    "text_extras": MappingOf(str),
    "candidates": MappingOf(str),
    "station_type": STATION_TYPE_COLUMN,
    "ignore": ListOf(str),
    "key_normalise": KEY_NORMALISE,
}


@registry.adapter("pl_pkw")
def adapt(path: Path, entry: dict, election: str) -> CanonicalTables:
    member = entry.get("member")
    source = source_label(path, member)
    read = {"sep": ";", "encoding": "utf-8-sig", **(entry.get("read", {}) or {})}
    rows = read_csv_text(read_source_bytes(path, member), read, source)
    df = rows.frame
    columns = entry["columns"]
    text_extras = entry.get("text_extras", {}) or {}
    count_extras = entry.get("extras", {}) or {}
    named = [h for spec in list(columns.values()) + list(count_extras.values()) for h in _headers(spec)]
    named += list(text_extras.values()) + list(entry.get("candidates", {}) or {})
    absent = sorted({h for h in named if h not in df.columns})
    if absent:
        raise AdapterError(
            f"{source}: column(s) {absent} named in the catalog entry for {election} are not in the file"
        )

    station_type_spec = entry.get("station_type")
    station_type_column = [station_type_spec["column"]] if isinstance(station_type_spec, dict) else []
    refuse_unlisted_columns(rows, set(named) | set(station_type_column), entry.get("ignore", []) or [], election)

    keys = pd.DataFrame({k: df[columns[k]].astype("str").str.strip() for k in ("region", "district", "station")})

    parsed: dict[str, pd.Series] = {}

    def counts_of(spec) -> pd.Series:
        total = None
        for h in _headers(spec):
            if h not in parsed:
                parsed[h] = parse_counts(df[h], source=source, column=h, missing=MISSING, rows=rows)
            total = parsed[h] if total is None else total + parsed[h]
        return total

    counts = {
        name: counts_of(spec)
        for name, spec in columns.items()
        if name in COUNT_COLUMNS or name in DERIVED_COUNT_COLUMNS
    }
    unknown = sorted(set(columns) - set(counts) - {"region", "district", "station"})
    if unknown:
        raise AdapterError(
            f"catalog entry for {election}: {unknown} are not canonical count columns; list them under extras"
        )
    extras = {name: counts_of(spec) for name, spec in count_extras.items()}
    extras.update({name: df[h].astype("str").reset_index(drop=True) for name, h in text_extras.items()})
    candidates = {
        name: parse_counts(df[h], source=source, column=h, missing=MISSING, rows=rows)
        for h, name in (entry.get("candidates", {}) or {}).items()
    }
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
        missing_token="-",
    )


adapt.entry_keys = ENTRY_KEYS
