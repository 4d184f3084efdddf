"""Russian CEC precinct-protocol CSV (as scraped from vybory.izbirkom.ru by S. Shpilkin) -> canonical tables.

Columns are mapped by their *meaning*: each canonical line has a regular expression on the
protocol line text (catalog key ``columns``), matched case-insensitively after collapsing
whitespace and folding ``ё`` to ``е``. Other years of the same source word lines slightly
differently (``включенных`` for ``внесенных``), list other parties or candidates, and code
abroad stations as separate pseudo-regions, so adding a year needs only a catalog entry.

Catalog keys used (see ``config/datasets.yml``: entry ``ru2011``, and ``ru2004`` … ``ru2024``
for the other years):

``keys``
    ``region`` / ``district`` / ``station`` -> pattern of the key column (``region``, ``tik``,
    ``uik``), or a list of patterns: the first of those columns whose cell is not empty (2021's
    electronic-voting rows have no ``uik``; their ``oik`` names them).
``key_values``
    key -> fixed text, for a key column the file lacks (a file of electronic votes aggregated
    by region has no ``tik`` / ``uik``). Each key is in ``keys`` or ``key_values``.
``columns``
    canonical count name -> pattern. Every pattern must match at most one column; a line the
    file lacks becomes ``<NA>`` (``registered``, ``valid`` and ``invalid`` are required). A
    source that gives totals only may map ``ballots_issued`` / ``ballots_in_boxes`` directly.
``valid_from_candidates``
    ``true`` when the file has no line of valid ballots (2020's referendum): ``valid`` is then
    the sum of the candidate (answer) columns.
``extras``
    extra column name -> pattern (e.g. the absentee-certificate lines), kept as counts.
``text_extras``
    extra column name -> pattern of a text column kept as text (e.g. ``oik``, the
    single-member district).
``candidate_pattern``
    pattern of a party/candidate column, on the header as written (default: a leading ``N.``).
``candidate_names``
    pattern -> short name (e.g. ``ЕДИНАЯ РОССИЯ`` -> ``United Russia``), the first that
    matches wins; unmatched candidates keep the line text without its number.
``ignore``
    patterns of columns deliberately not used (e.g. ``url``).
``station_type_rules``
    ordered list of ``{station_type: <type>, where: {<column>: <pattern>, ...}}``; a
    ``<column>`` is a key (``region``, ``district``, ``station``) or a ``text_extras`` name,
    matched like the line patterns (case and ``ё`` folded). The first rule whose every pattern
    matches gives the station's type (e.g. electronic-voting pseudo-stations, or stations
    abroad recognised by their number ``8xxx``).
``abroad``
    patterns searched in the region and district names; matching stations that no rule
    typed get station type ``abroad`` (abroad and Baikonur), all others ``default_station_type``.

A column that matches no pattern raises :class:`AdapterError`: nothing is silently dropped.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core import registry
from analysis.data.adapters.reading import (
    AdapterError,
    SourceRows,
    parse_counts,
    read_source_bytes,
    scan_csv,
    source_label,
)
from analysis.data.adapters.tables import CanonicalTables, canonical_tables
from analysis.data.catalog import (
    COUNT_NAMES,
    KEY_NAMES,
    KEY_NORMALISE,
    READ,
    STATION_TYPE,
    STATION_TYPE_RULES,
    ListOf,
    MappingOf,
    OneOf,
)

REQUIRED = ("registered", "valid", "invalid")
KEY_ORDER = ("region", "district", "station")
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
    "keys": MappingOf(OneOf(str, ListOf(str)), keys=KEY_NAMES),
    "key_values": MappingOf(str, keys=KEY_NAMES),
    "columns": MappingOf(str, keys=COUNT_NAMES),
    "valid_from_candidates": bool,
    "extras": MappingOf(str, not_like=COUNT_NAMES),
    "text_extras": MappingOf(str, not_like=COUNT_NAMES),
    "candidate_pattern": str,
    "candidate_names": MappingOf(str),
    "ignore": ListOf(str),
    "key_normalise": KEY_NORMALISE,
    "station_type_rules": STATION_TYPE_RULES,
    "abroad": ListOf(str),
    "default_station_type": STATION_TYPE,
}


def _key_patterns(entry: dict, source: str) -> dict[str, list[str]]:
    """key -> its column patterns (in order of preference); keys given a fixed value are left out."""
    patterns = {k: [v] if isinstance(v, str) else list(v) for k, v in (entry.get("keys") or {}).items()}
    fixed = entry.get("key_values") or {}
    for name in KEY_ORDER:
        if (name in patterns) == (name in fixed):
            how = "both" if name in fixed else "neither"
            raise AdapterError(
                f"{source}: key {name!r} must be named in exactly one of `keys` and `key_values` (it is in {how})"
            )
        if name in patterns and not patterns[name]:
            raise AdapterError(f"{source}: key {name!r} has an empty list of patterns")
    return patterns


def _first_filled(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The first of ``columns`` whose cell is not empty, stripped (a single column as it is)."""
    out = df[columns[0]].astype("str").str.strip()
    for col in columns[1:]:
        empty = out.isna() | (out == "")
        out = out.where(~empty, df[col].astype("str").str.strip())
    return out


def _matches(values: pd.Series, pattern: str) -> pd.Series:
    """Whether each value, normalized like a line text, matches ``pattern`` (missing -> ``""``)."""
    codes, uniques = pd.factorize(values.fillna(""))
    rx = re.compile(pattern, re.IGNORECASE)
    hit = np.array([bool(rx.search(normalize_line(u))) for u in uniques], dtype=bool)
    return pd.Series(hit[codes] if len(codes) else np.zeros(0, bool), index=values.index)


def station_types(keys: pd.DataFrame, texts: dict[str, pd.Series], entry: dict, source: str) -> pd.Series:
    """Each station's type: the first ``station_type_rules`` rule that matches, else ``abroad``
    by name, else ``default_station_type``."""
    columns = {**{k: keys[k] for k in keys.columns}, **texts}
    station_type = pd.Series(entry.get("default_station_type", "unknown"), index=keys.index, dtype="str")
    typed = pd.Series(False, index=keys.index)
    for i, rule in enumerate(entry.get("station_type_rules") or []):
        if not rule.get("where") or "station_type" not in rule:
            raise AdapterError(f"{source}: station_type_rules[{i}] needs `station_type` and a non-empty `where`")
        hit = ~typed
        for col, pattern in rule["where"].items():
            if col not in columns:
                raise AdapterError(f"{source}: station_type_rules[{i}] tests {col!r}; rules may test {sorted(columns)}")
            hit &= _matches(columns[col], pattern)
        station_type[hit] = rule["station_type"]
        typed |= hit
    abroad_rx = [re.compile(p, re.IGNORECASE) for p in (entry.get("abroad", []) or [])]
    is_abroad = pd.Series(False, index=keys.index)
    for rx in abroad_rx:
        for col in ("region", "district"):
            is_abroad |= keys[col].str.contains(rx, regex=True)
    station_type[is_abroad & ~typed] = "abroad"
    return station_type


def _read_frame(data: bytes, read: dict, key_headers: list[str], source: str) -> pd.DataFrame:
    """The file parsed by pyarrow: key columns as text, counts typed (or, failing that, all as text)."""
    options = {"sep": read["sep"], "encoding": read["encoding"], "engine": "pyarrow"}
    try:
        # Keys stay text: a station number is a label, and one empty cell would turn a numeric column into floats.
        return pd.read_csv(io.BytesIO(data), **options, dtype={c: "str" for c in key_headers})
    except Exception:  # pyarrow raises its own error types
        pass
    # A count column whose empty cells come only after the first block of rows (2024: the regions
    # without data at the end of the file) defeats the typed read; as text, every cell is parsed
    # strictly by parse_counts.
    try:
        return pd.read_csv(io.BytesIO(data), **options, dtype="str")
    except Exception as exc:
        raise AdapterError(f"{source}: cannot read as CSV: {exc}") from None


@registry.adapter("ru_cec")
def adapt(path: Path, entry: dict, election: str) -> CanonicalTables:
    member = entry.get("member")
    source = source_label(path, member)
    read = {"sep": ",", "encoding": "utf-8", **(entry.get("read", {}) or {})}
    data = read_source_bytes(path, member)
    # The csv module checks every row's field count and counts the rows; pyarrow then parses
    # the 95,000 x 29 file into typed columns in a fraction of a second.
    scan = scan_csv(data, read, source, keep_cells=False)
    key_patterns = _key_patterns(entry, source)
    key_cols: dict[str, list[str]] = {}
    for name, patterns in key_patterns.items():
        found = match_columns(scan.header, {f"{name} ({i + 1})": p for i, p in enumerate(patterns)}, source)
        missing = [p for p, col in zip(patterns, found.values()) if col is None]
        if missing:
            raise AdapterError(f"{source}: no column matches the {name!r} key pattern {missing[0]!r}")
        key_cols[name] = list(found.values())
    key_headers = sorted({c for cols in key_cols.values() for c in cols})
    df = _read_frame(data, read, key_headers, source)
    rows = SourceRows.from_scan(df, scan, source)
    df = rows.frame
    headers = [str(c) for c in df.columns]

    line_cols = match_columns(headers, entry["columns"], source)
    extra_cols = match_columns(headers, entry.get("extras", {}) or {}, source)
    text_cols = match_columns(headers, entry.get("text_extras", {}) or {}, source)
    valid_from_candidates = bool(entry.get("valid_from_candidates", False))
    if valid_from_candidates and line_cols.get("valid") is not None:
        raise AdapterError(
            f"{source}: `valid_from_candidates: true` but column {line_cols['valid']!r} matches the pattern for 'valid'"
        )
    for name in REQUIRED:
        if line_cols.get(name) is None and not (name == "valid" and valid_from_candidates):
            raise AdapterError(
                f"{source}: no column matches the pattern for {name!r} ({entry['columns'].get(name)!r}); "
                f"columns are {headers}"
            )
    absent_texts = sorted(name for name, col in text_cols.items() if col is None)
    if absent_texts:
        raise AdapterError(f"{source}: no column matches the pattern of text extra(s) {absent_texts}")

    cand_rx = re.compile(entry.get("candidate_pattern", DEFAULT_CANDIDATE_PATTERN))
    used = set(key_headers) | {
        c for c in list(line_cols.values()) + list(extra_cols.values()) + list(text_cols.values()) if c
    }
    ignore = [re.compile(p, re.IGNORECASE) for p in entry.get("ignore", []) or []]
    cand_headers = [h for h in headers if h not in used and cand_rx.search(h)]
    leftover = [
        h for h in headers if h not in used and h not in cand_headers and not any(rx.search(h) for rx in ignore)
    ]
    if leftover:
        raise AdapterError(
            f"{source}: column(s) {leftover} match no protocol-line, candidate or ignore pattern in the "
            f"catalog entry for {election}; add a pattern so that no data is silently dropped"
        )
    clash = sorted({name for name in line_cols if line_cols[name] and line_cols[name] in cand_headers})
    if clash:
        raise AdapterError(f"{source}: protocol lines {clash} also look like candidate columns")

    fixed = entry.get("key_values") or {}
    keys = pd.DataFrame(
        {
            name: _first_filled(df, key_cols[name])
            if name in key_cols
            else pd.Series(fixed[name], index=df.index, dtype="str")
            for name in KEY_ORDER
        }
    )
    counts = {
        name: parse_counts(df[col], source=source, column=col, rows=rows)
        for name, col in line_cols.items()
        if col is not None
    }
    extras = {
        name: parse_counts(df[col], source=source, column=col, rows=rows)
        for name, col in extra_cols.items()
        if col is not None
    }
    texts = {name: df[col].astype("str").reset_index(drop=True) for name, col in text_cols.items()}
    names = entry.get("candidate_names", {}) or {}
    candidates: dict[str, pd.Series] = {}
    for h in cand_headers:
        label = candidate_label(h, entry.get("candidate_pattern", DEFAULT_CANDIDATE_PATTERN), names)
        if label in candidates:
            raise AdapterError(f"{source}: two candidate columns are both named {label!r}")
        candidates[label] = parse_counts(df[h], source=source, column=h, rows=rows)
    if valid_from_candidates:
        if not candidates:
            raise AdapterError(f"{source}: `valid_from_candidates: true` but no column matches the candidate pattern")
        counts["valid"] = sum(list(candidates.values())[1:], start=list(candidates.values())[0])

    return canonical_tables(
        election=election,
        keys=keys,
        counts=counts,
        candidates=candidates,
        station_type=station_types(keys, texts, entry, source),
        extras={**extras, **texts},
        source=source,
        rows=rows,
        key_normalise=entry.get("key_normalise"),
        added_on_day=entry.get("added_on_day"),
        errata=entry.get("errata"),
    )


adapt.entry_keys = ENTRY_KEYS
