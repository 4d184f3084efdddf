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
        turnout_printed: Turnout           # names not in the canonical list become extras
      candidates: {Candidate A: A, Candidate B: B}   # source column -> name (or a list)
      station_type: {column: Type, map: {Hospital: institution}, default: ordinary}
      leader: A

This module also holds the machinery every adapter shares (:func:`canonical_tables`):
numeric parsing with errors naming file, row and column; missing-line handling (a line the
source lacks is ``<NA>``, never 0); derived columns; flags; the long votes table; sorting;
the row accounting.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.canonical import BOX_LINES, ISSUED_LINES
from analysis.data.schema import COUNT_COLUMNS, DERIVED_COUNT_COLUMNS, KEY, STATION_COLUMNS, STATION_TYPES


class AdapterError(ValueError):
    """The source file does not match its catalog entry; the message names file, row and column."""


@dataclass(frozen=True)
class CanonicalTables:
    """What an adapter returns: the canonical tables and the row accounting."""

    stations: pd.DataFrame
    votes: pd.DataFrame
    accounting: pd.DataFrame = field(repr=False)


def read_source_bytes(path: Path, member: str | None) -> bytes:
    """The raw bytes of the data file, or of ``member`` inside a zip archive."""
    path = Path(path)
    if member is None:
        return path.read_bytes()
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.read(member)
    except KeyError:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        raise AdapterError(f"{path}: archive has no member {member!r} (members: {names})") from None


def source_label(path: Path, member: str | None) -> str:
    return f"{Path(path).name}:{member}" if member else str(Path(path).name)


def parse_counts(raw: pd.Series, *, source: str, column: str, missing=("",)) -> pd.Series:
    """Source column -> nullable ``Int64``; tokens in ``missing`` become ``<NA>``.

    Anything that is not a non-negative integer raises :class:`AdapterError` naming the
    file, the row (1-based data row; the header is line 1 of the file) and the column.
    """
    if pd.api.types.is_integer_dtype(raw.dtype) and not isinstance(raw.dtype, pd.CategoricalDtype):
        out = raw.astype("Int64")
    elif pd.api.types.is_float_dtype(raw.dtype):
        # pyarrow reads an integer column with empty cells as floats: empty -> <NA>, fractions are errors.
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        fractional = ~np.isnan(values) & (values != np.floor(values))
        if fractional.any():
            pos = int(np.flatnonzero(fractional)[0])
            raise AdapterError(
                f"{source}: data row {pos + 1} (file line {pos + 2}), column {column!r}: "
                f"{values[pos]!r} is not a non-negative integer"
            )
        out = pd.Series(pd.array(np.where(np.isnan(values), 0, values).astype("int64"), dtype="Int64"))
        out[np.isnan(values)] = pd.NA
    else:
        text = raw.astype("string").str.strip()
        is_missing = text.isna() | text.isin(list(missing))
        ok = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
        bad = ~(ok | is_missing)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise AdapterError(
                f"{source}: data row {pos + 1} (file line {pos + 2}), column {column!r}: "
                f"{raw.iloc[pos]!r} is not a non-negative integer ({int(bad.sum())} such value(s) in the column)"
            )
        out = pd.to_numeric(text.where(~is_missing), errors="raise").astype("Int64")
    if (out < 0).any():
        pos = int(np.flatnonzero((out < 0).fillna(False).to_numpy())[0])
        raise AdapterError(f"{source}: data row {pos + 1}, column {column!r}: negative count {out.iloc[pos]}")
    return out.reset_index(drop=True)


def _sum_lines(stations: pd.DataFrame, lines: list[str]) -> pd.Series:
    """Sum of the lines the source has (not all-NA); NA where any of them is NA for a row."""
    present = [c for c in lines if stations[c].notna().any()]
    if not present:
        return pd.Series(pd.NA, index=stations.index, dtype="Int64")
    total = stations[present[0]].copy()
    for c in present[1:]:
        total = total + stations[c]
    return total


def _station_sort_order(keys: pd.DataFrame) -> np.ndarray:
    """Rows sorted by region, district, then station number (numeric where it is a number)."""
    numeric = pd.to_numeric(keys["station"], errors="coerce")
    frame = pd.DataFrame(
        {
            "region": keys["region"].to_numpy(),
            "district": keys["district"].to_numpy(),
            "num_missing": numeric.isna().to_numpy(),
            "num": numeric.fillna(0).to_numpy(),
            "station": keys["station"].to_numpy(),
        }
    )
    return frame.sort_values(list(frame.columns), kind="mergesort").index.to_numpy()


def canonical_tables(
    *,
    election: str,
    keys: pd.DataFrame,
    counts: dict[str, pd.Series],
    candidates: dict[str, pd.Series],
    station_type: pd.Series,
    extras: dict[str, pd.Series] | None = None,
    source: str,
    missing_token: str = "",
    rows_read: int | None = None,
) -> CanonicalTables:
    """Assemble the canonical stations and votes tables from parsed source columns.

    ``keys`` holds ``region``, ``district``, ``station`` (strings); ``counts`` maps canonical
    count names (including optional ``ballots_issued`` / ``ballots_in_boxes`` given by the
    source itself) to ``Int64`` series; ``candidates`` maps candidate name -> ``Int64``
    votes; ``extras`` are source-specific columns kept after the canonical ones.

    Derived: ``ballots_issued`` = the source's own figure when given, else the sum of the
    issued lines; ``ballots_in_boxes`` likewise from the box lines. ``flag``: rows whose every
    numeric value is missing are flagged ``missing: all numeric columns are "<token>"``, rows
    with some missing values ``missing: <columns>``. No row is dropped.
    """
    n = len(keys)
    rows_read = n if rows_read is None else rows_read
    for name in ("region", "district", "station"):
        if keys[name].isna().any():
            pos = int(np.flatnonzero(keys[name].isna().to_numpy())[0])
            raise AdapterError(f"{source}: data row {pos + 1}, key column {name!r} is empty")
    stations = pd.DataFrame(
        {
            "election": pd.Series([election] * n, dtype="str"),
            "region": keys["region"].astype("str").reset_index(drop=True),
            "district": keys["district"].astype("str").reset_index(drop=True),
            "station": keys["station"].astype("str").reset_index(drop=True),
            "station_type": station_type.astype("str").reset_index(drop=True),
        }
    )
    unknown_types = sorted(set(stations["station_type"]) - set(STATION_TYPES))
    if unknown_types:
        raise AdapterError(f"{source}: station types {unknown_types} are not among {STATION_TYPES}")
    for name in COUNT_COLUMNS:
        stations[name] = counts[name].reset_index(drop=True) if name in counts else pd.Series(pd.NA, index=range(n), dtype="Int64")
    stations["ballots_issued"] = (
        counts["ballots_issued"].reset_index(drop=True) if "ballots_issued" in counts else _sum_lines(stations, ISSUED_LINES)
    )
    stations["ballots_in_boxes"] = (
        counts["ballots_in_boxes"].reset_index(drop=True) if "ballots_in_boxes" in counts else _sum_lines(stations, BOX_LINES)
    )

    # Flags come from the numbers the source provides (a line it lacks is not "missing").
    numeric = {k: v.reset_index(drop=True) for k, v in counts.items()}
    numeric.update({f"votes for {c}": v.reset_index(drop=True) for c, v in candidates.items()})
    na = pd.DataFrame({k: v.isna().to_numpy() for k, v in numeric.items()}) if numeric else pd.DataFrame(index=range(n))
    n_missing = na.sum(axis=1).to_numpy() if numeric else np.zeros(n, dtype=int)
    flag = np.full(n, "", dtype=object)
    all_missing = (n_missing == len(numeric)) & (len(numeric) > 0)
    flag[all_missing] = f'missing: all numeric columns are "{missing_token}"'
    partial = (n_missing > 0) & ~all_missing
    if partial.any():
        names = np.array(list(numeric))
        for i in np.flatnonzero(partial):  # rare: only rows with holes
            flag[i] = "missing: " + ", ".join(names[na.iloc[i].to_numpy()])
    stations["flag"] = pd.Series(flag, dtype="str")
    for name, series in (extras or {}).items():
        if name in stations.columns:
            raise AdapterError(f"{source}: extra column {name!r} clashes with a canonical column")
        stations[name] = series.reset_index(drop=True)
    stations = stations[STATION_COLUMNS + [c for c in stations.columns if c not in STATION_COLUMNS]]

    order = _station_sort_order(stations)
    stations = stations.iloc[order].reset_index(drop=True)

    # Long votes: station-major, candidates in source order; missing votes stay <NA>.
    cand_names = list(candidates)
    if cand_names:
        matrix = np.column_stack(
            [candidates[c].reset_index(drop=True).to_numpy(dtype="float64", na_value=np.nan)[order] for c in cand_names]
        )
        flat = matrix.reshape(-1)
        votes_values = pd.array(np.where(np.isnan(flat), 0, flat).astype("int64"), dtype="Int64")
        votes_values[np.isnan(flat)] = pd.NA
        k = len(cand_names)
        # take() on the string arrays keeps them arrow-backed: far faster than np.repeat on objects.
        station_rows = np.repeat(np.arange(len(stations)), k)
        votes = pd.DataFrame({c: stations[c].take(station_rows).reset_index(drop=True) for c in KEY})
        votes["candidate"] = pd.Series(pd.array(cand_names, dtype="str").take(np.tile(np.arange(k), len(stations))))
        votes["votes"] = votes_values
    else:
        votes = pd.DataFrame({c: pd.Series(dtype="str") for c in KEY + ["candidate"]})
        votes["votes"] = pd.Series(dtype="Int64")

    flagged = stations["flag"][stations["flag"] != ""]
    acc_rows = [
        ("read", "", rows_read),
        ("kept", "", len(stations)),
        ("dropped", "", rows_read - len(stations)),
    ]
    for reason, count in sorted(flagged.value_counts().items()):
        acc_rows.append(("flagged", reason, int(count)))
    acc_rows.append(("flagged_total", "", int(len(flagged))))
    accounting = pd.DataFrame(acc_rows, columns=["stage", "reason", "rows"])
    return CanonicalTables(stations=stations, votes=votes, accounting=accounting)


def _station_type_series(df: pd.DataFrame, spec, source: str) -> pd.Series:
    if spec is None:
        return pd.Series(["unknown"] * len(df), dtype="str")
    if isinstance(spec, str):
        return pd.Series([spec] * len(df), dtype="str")
    column = spec["column"]
    if column not in df.columns:
        raise AdapterError(f"{source}: station_type column {column!r} not found")
    mapping = spec.get("map", {}) or {}
    default = spec.get("default")
    raw = df[column].astype("str").str.strip()
    mapped = raw.map(mapping)
    mapped = mapped.where(mapped.notna(), raw.where(raw.isin(STATION_TYPES)))
    if default is not None:
        mapped = mapped.fillna(default)
    if mapped.isna().any():
        values = sorted(set(raw[mapped.isna()]))
        raise AdapterError(f"{source}: column {column!r}: station type(s) {values} not mapped and no default")
    return mapped.astype("str")


def read_csv_text(data: bytes, read: dict, source: str) -> pd.DataFrame:
    """Read CSV bytes with every cell as text (numbers are parsed later, strictly)."""
    try:
        return pd.read_csv(
            io.BytesIO(data),
            sep=read.get("sep", ","),
            encoding=read.get("encoding", "utf-8-sig"),
            dtype=str,
            keep_default_na=False,
            na_values=[],
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AdapterError(f"{source}: cannot read as CSV: {exc}") from None


def adapt(path: Path, entry: dict, election: str) -> CanonicalTables:
    """Canonical tables from a CSV and the catalog entry's column map (see the module docstring)."""
    member = entry.get("member")
    source = source_label(path, member)
    read = entry.get("read", {}) or {}
    df = read_csv_text(read_source_bytes(path, member), read, source)
    missing = tuple(read.get("missing", ["", "-"]))
    columns = entry.get("columns") or {}
    for need in ("region", "district", "station"):
        if need not in columns:
            raise AdapterError(f"catalog entry for {election}: columns.{need} is required")
    absent = sorted({src for src in columns.values() if src not in df.columns})
    if absent:
        raise AdapterError(f"{source}: column(s) {absent} named in the catalog are not in the file (has {list(df.columns)})")
    keys = pd.DataFrame({k: df[columns[k]].astype("str").str.strip() for k in ("region", "district", "station")})
    counts, extras = {}, {}
    for canon, src in columns.items():
        if canon in ("region", "district", "station"):
            continue
        if canon in COUNT_COLUMNS or canon in DERIVED_COUNT_COLUMNS:
            counts[canon] = parse_counts(df[src], source=source, column=src, missing=missing)
        else:
            extras[canon] = df[src].reset_index(drop=True)
    cand_spec = entry.get("candidates") or {}
    if isinstance(cand_spec, list):
        cand_spec = {c: c for c in cand_spec}
    absent = sorted(c for c in cand_spec if c not in df.columns)
    if absent:
        raise AdapterError(f"{source}: candidate column(s) {absent} not in the file")
    candidates = {name: parse_counts(df[src], source=source, column=src, missing=missing) for src, name in cand_spec.items()}
    station_type = _station_type_series(df, entry.get("station_type"), source)
    return canonical_tables(
        election=election,
        keys=keys,
        counts=counts,
        candidates=candidates,
        station_type=station_type,
        extras=extras,
        source=source,
        missing_token="/".join(t for t in missing if t),
    )
