"""Russian CEC precinct-protocol CSV (as scraped from vybory.izbirkom.ru by S. Shpilkin) -> canonical tables.

Columns are mapped by their *meaning*: each canonical line has a regular expression on the
protocol line text (catalog key ``columns``), matched case-insensitively after collapsing
whitespace and folding ``ё`` to ``е``. Other years of the same source word lines slightly
differently (``включенных`` for ``внесенных``), list other parties or candidates, and code
abroad stations as separate pseudo-regions, so adding a year needs only a catalog entry.

Catalog keys used (see ``config/datasets.yml``, entry ``ru2011``):

``keys``
    ``region`` / ``district`` / ``station`` -> pattern of the key column (``region``, ``tik``, ``uik``).
``columns``
    canonical count name -> pattern. Every pattern must match at most one column; a line the
    file lacks becomes ``<NA>`` (``registered``, ``valid`` and ``invalid`` are required).
``extras``
    extra column name -> pattern (e.g. the absentee-certificate lines), kept as counts.
``candidate_pattern``
    pattern of a party/candidate column (default: a leading ``N.``).
``candidate_names``
    pattern -> short name (e.g. ``ЕДИНАЯ РОССИЯ`` -> ``United Russia``); unmatched candidates
    keep the line text without its number.
``ignore``
    patterns of columns deliberately not used (e.g. ``url``).
``abroad``
    patterns searched in the region and district names; matching stations get station type
    ``abroad`` (abroad and Baikonur), all others ``default_station_type``.

A column that matches no pattern raises :class:`AdapterError`: nothing is silently dropped.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from analysis.core import registry
from analysis.data.adapters.reading import AdapterError, SourceRows, parse_counts, read_source_bytes, scan_csv, source_label
from analysis.data.adapters.tables import CanonicalTables, canonical_tables
from analysis.data.catalog import COUNT_NAMES, KEY_NORMALISE, READ, STATION_TYPE, ListOf, MappingOf

REQUIRED = ("registered", "valid", "invalid")
DEFAULT_CANDIDATE_PATTERN = r"^\d+\.\s*"


def normalize_line(text: str) -> str:
    """Lower case, ``ё`` -> ``е``, whitespace collapsed: the form patterns are matched against."""
    return re.sub(r"\s+", " ", str(text)).strip().lower().replace("ё", "е")


def match_columns(headers: list[str], patterns: dict[str, str], source: str) -> dict[str, str | None]:
    """canonical name -> the one header whose normalized text matches its pattern (or None)."""
    normalized = {h: normalize_line(h) for h in headers}
    out: dict[str, str | None] = {}
    for name, pattern in patterns.items():
        rx = re.compile(pattern, re.IGNORECASE)
        hits = [h for h in headers if rx.search(normalized[h])]
        if len(hits) > 1:
            raise AdapterError(f"{source}: pattern for {name!r} ({pattern!r}) matches several columns: {hits}")
        out[name] = hits[0] if hits else None
    return out


def candidate_label(header: str, candidate_pattern: str, names: dict[str, str]) -> str:
    text = normalize_line(header)
    for pattern, label in names.items():
        if re.search(pattern, text, re.IGNORECASE):
            return label
    return re.sub(candidate_pattern, "", re.sub(r"\s+", " ", header).strip()).strip()


ENTRY_KEYS = {
    "read": READ,
    "keys": {"region": str, "district": str, "station": str},
    "columns": MappingOf(str, keys=COUNT_NAMES),
    "extras": MappingOf(str, not_like=COUNT_NAMES),
    "candidate_pattern": str,
    "candidate_names": MappingOf(str),
    "ignore": ListOf(str),
    "key_normalise": KEY_NORMALISE,
    "abroad": ListOf(str),
    "default_station_type": STATION_TYPE,
}


@registry.adapter("ru_cec")
def adapt(path: Path, entry: dict, election: str) -> CanonicalTables:
    member = entry.get("member")
    source = source_label(path, member)
    read = {"sep": ",", "encoding": "utf-8", **(entry.get("read", {}) or {})}
    data = read_source_bytes(path, member)
    # The csv module checks every row's field count and counts the rows; pyarrow then parses
    # the 95,000 x 29 file into typed columns in a fraction of a second.
    scan = scan_csv(data, read, source, keep_cells=False)
    key_cols = match_columns(scan.header, entry["keys"], source)
    for name, col in key_cols.items():
        if col is None:
            raise AdapterError(f"{source}: no column matches the {name!r} key pattern {entry['keys'][name]!r}")
    try:
        # Keys stay text: a station number is a label, and one empty cell would turn a numeric column into floats.
        df = pd.read_csv(
            io.BytesIO(data), sep=read["sep"], encoding=read["encoding"], engine="pyarrow", dtype={c: "str" for c in key_cols.values()}
        )
    except Exception as exc:  # pyarrow raises its own error types
        raise AdapterError(f"{source}: cannot read as CSV: {exc}") from None
    rows = SourceRows.from_scan(df, scan, source)
    df = rows.frame
    headers = [str(c) for c in df.columns]

    line_cols = match_columns(headers, entry["columns"], source)
    extra_cols = match_columns(headers, entry.get("extras", {}) or {}, source)
    for name in REQUIRED:
        if line_cols.get(name) is None:
            raise AdapterError(
                f"{source}: no column matches the pattern for {name!r} ({entry['columns'].get(name)!r}); "
                f"columns are {headers}"
            )

    cand_rx = re.compile(entry.get("candidate_pattern", DEFAULT_CANDIDATE_PATTERN))
    used = {c for c in list(key_cols.values()) + list(line_cols.values()) + list(extra_cols.values()) if c}
    ignore = [re.compile(p, re.IGNORECASE) for p in entry.get("ignore", []) or []]
    cand_headers = [h for h in headers if h not in used and cand_rx.search(h)]
    leftover = [h for h in headers if h not in used and h not in cand_headers and not any(rx.search(h) for rx in ignore)]
    if leftover:
        raise AdapterError(
            f"{source}: column(s) {leftover} match no protocol-line, candidate or ignore pattern in the "
            f"catalog entry for {election}; add a pattern so that no data is silently dropped"
        )
    clash = sorted({name for name in line_cols if line_cols[name] and line_cols[name] in cand_headers})
    if clash:
        raise AdapterError(f"{source}: protocol lines {clash} also look like candidate columns")

    keys = pd.DataFrame({k: df[c].astype("str").str.strip() for k, c in key_cols.items()})
    counts = {
        name: parse_counts(df[col], source=source, column=col, rows=rows) for name, col in line_cols.items() if col is not None
    }
    extras = {
        name: parse_counts(df[col], source=source, column=col, rows=rows) for name, col in extra_cols.items() if col is not None
    }
    names = entry.get("candidate_names", {}) or {}
    candidates: dict[str, pd.Series] = {}
    for h in cand_headers:
        label = candidate_label(h, entry.get("candidate_pattern", DEFAULT_CANDIDATE_PATTERN), names)
        if label in candidates:
            raise AdapterError(f"{source}: two candidate columns are both named {label!r}")
        candidates[label] = parse_counts(df[h], source=source, column=h, rows=rows)

    abroad_rx = [re.compile(p, re.IGNORECASE) for p in (entry.get("abroad", []) or [])]
    is_abroad = pd.Series(False, index=keys.index)
    for rx in abroad_rx:
        for col in ("region", "district"):
            is_abroad |= keys[col].str.contains(rx, regex=True)
    station_type = pd.Series(entry.get("default_station_type", "unknown"), index=keys.index, dtype="str")
    station_type[is_abroad] = "abroad"

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
    )


adapt.entry_keys = ENTRY_KEYS
