"""Reading a source file: bytes (plain or a zip member), CSV text, counts parsed strictly.

Shared by every adapter. Errors are :class:`AdapterError` naming the file, the row and the
column.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


class AdapterError(ValueError):
    """The source file does not match its catalog entry; the message names file, row and column."""


def read_source_bytes(path: Path, member: str | None) -> bytes:
    """The raw bytes of the data file, or of ``member`` inside a zip archive (one-line errors naming the file)."""
    path = Path(path)
    try:
        if member is None:
            data = path.read_bytes()
            if data.startswith(b"PK\x03\x04"):
                raise AdapterError(
                    f"{path}: is a zip archive; name the CSV file inside it with `member:` in the catalog entry"
                )
            return data
        with zipfile.ZipFile(path) as zf:
            return zf.read(member)
    except KeyError:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        raise AdapterError(f"{path}: archive has no member {member!r} (members: {names})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise AdapterError(f"{path}: not a readable zip archive (truncated or corrupt?): {exc}") from None
    except OSError as exc:
        raise AdapterError(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def source_label(path: Path, member: str | None) -> str:
    return f"{Path(path).name}:{member}" if member else str(Path(path).name)


INT64_MAX = np.iinfo(np.int64).max
#: Largest integer up to which every integer is a float64 exactly (2**53).
FLOAT_EXACT_MAX = 2.0**53
BLANK_LINE = "blank line"
ONLY_DELIMITERS = "only delimiters (no value in any column)"


@dataclass(frozen=True)
class CsvScan:
    """A CSV file as the csv module reads it, record by record.

    ``data_rows`` / ``file_lines``: for each non-blank data row (the rows a CSV parser
    returns: parsers skip blank lines), its 1-based number among the data rows and the file
    line it starts on (a quoted field may span lines). ``only_delimiters`` marks those rows
    that hold no value at all. ``cells`` are their fields (when kept). ``n_read`` counts every
    physical data row after the header, blank lines included.
    """

    header: list[str]
    cells: list[list[str]] | None
    data_rows: np.ndarray
    file_lines: np.ndarray
    only_delimiters: np.ndarray
    n_read: int


@dataclass(frozen=True)
class SourceRows:
    """The data rows of a source kept as candidate stations, and where each one is in the file.

    ``frame`` holds them in file order (every cell as text unless an adapter reads typed
    columns); ``data_rows`` / ``file_lines`` locate each frame row in the file, so that errors
    point at the source line. ``n_read`` is the number of physical data rows after the header
    (counted by the csv module, independently of the parser that built ``frame``);
    ``dropped`` says why the others are not in ``frame`` (``{reason: rows}``): blank lines and
    rows of only delimiters hold no station.
    """

    frame: pd.DataFrame
    source: str
    data_rows: np.ndarray
    file_lines: np.ndarray
    n_read: int
    dropped: dict[str, int]

    @classmethod
    def from_scan(cls, frame: pd.DataFrame, scan: CsvScan, source: str) -> SourceRows:
        """``frame`` holds the scan's non-blank rows (as parsed); rows of only delimiters are dropped."""
        if len(frame) != len(scan.data_rows):
            raise AdapterError(
                f"{source}: the CSV parser returned {len(frame)} data rows where the csv module reads "
                f"{len(scan.data_rows)} non-blank rows: rows would be lost"
            )
        keep = ~scan.only_delimiters
        dropped = {BLANK_LINE: scan.n_read - len(scan.data_rows), ONLY_DELIMITERS: int(scan.only_delimiters.sum())}
        return cls(
            frame=frame[keep].reset_index(drop=True) if not keep.all() else frame,
            source=source,
            data_rows=scan.data_rows[keep],
            file_lines=scan.file_lines[keep],
            n_read=scan.n_read,
            dropped={reason: n for reason, n in dropped.items() if n},
        )

    def where(self, pos: int) -> str:
        return f"data row {self.data_rows[pos]} (file line {self.file_lines[pos]})"


def _decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AdapterError(
            f"{source}: file line {line}: not {encoding} text ({exc.reason} at byte {exc.start})"
        ) from None
    except LookupError:
        raise AdapterError(f"{source}: unknown encoding {encoding!r} in the catalog entry's read.encoding") from None


def _records(text: str, sep: str, source: str):
    """``(file line, fields)`` of every CSV record, header included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', doublequote=True)
    line = 1
    try:
        for fields in reader:
            yield line, fields
            line = reader.line_num + 1
    except csv.Error as exc:
        raise AdapterError(f"{source}: file line {reader.line_num}: cannot read as CSV: {exc}") from None


def scan_csv(data: bytes, read: dict, source: str, *, keep_cells: bool = True) -> CsvScan:
    """Read CSV bytes record by record with the csv module: header, rows, positions, count.

    Every non-blank data row must have as many fields as the header: a row with more or
    fewer (e.g. a trailing delimiter, ``...,400,190,`` under an 8-column header, which pandas
    would silently read as an index column and shift every value one column left) raises
    :class:`AdapterError` naming the file, the data row and its file line.
    """
    # A byte-order mark is not part of the first column's name (pandas drops it too).
    text = _decode(data, read.get("encoding", "utf-8-sig"), source).removeprefix("\ufeff")
    sep = read.get("sep", ",")
    header: list[str] | None = None
    cells: list[list[str]] = []
    numbers, lines, empty, bad = [], [], [], []
    n_read = 0
    for line, fields in _records(text, sep, source):
        if header is None:
            header = fields
            continue
        n_read += 1
        if not fields:
            continue
        if len(fields) != len(header):
            bad.append((n_read, line, fields))
            continue
        numbers.append(n_read)
        lines.append(line)
        empty.append(all(not f.strip() for f in fields))
        if keep_cells:
            cells.append(fields)
    if header is None or not any(h.strip() for h in header):
        raise AdapterError(f"{source}: the file is empty (no header line)")
    doubled = sorted({h for h in header if header.count(h) > 1})
    if doubled:
        raise AdapterError(f"{source}: the header names column(s) {doubled} more than once")
    if bad:
        number, line, fields = bad[0]
        hint = " (a trailing delimiter?)" if len(fields) == len(header) + 1 and fields[-1].strip() == "" else ""
        raise AdapterError(
            f"{source}: data row {number} (file line {line}) has {len(fields)} fields but the header has "
            f"{len(header)}{hint}; {len(bad)} such row(s); every value would be read under the wrong column"
        )
    return CsvScan(
        header=header,
        cells=cells if keep_cells else None,
        data_rows=np.array(numbers, dtype=np.int64),
        file_lines=np.array(lines, dtype=np.int64),
        only_delimiters=np.array(empty, dtype=bool),
        n_read=n_read,
    )


def read_csv_text(data: bytes, read: dict, source: str) -> SourceRows:
    """Read CSV bytes with every cell as text (numbers are parsed later, strictly)."""
    scan = scan_csv(data, read, source)
    if scan.cells:
        frame = pd.DataFrame(scan.cells, columns=scan.header, dtype="str")
    else:
        frame = pd.DataFrame({h: pd.Series(dtype="str") for h in scan.header})
    return SourceRows.from_scan(frame, scan, source)


def parse_counts(
    raw: pd.Series, *, source: str, column: str, missing=("",), rows: SourceRows | None = None
) -> pd.Series:
    """Source column -> nullable ``Int64``; tokens in ``missing`` become ``<NA>``.

    Anything that is not a non-negative integer raises :class:`AdapterError` naming the
    file, the row (1-based data row and its file line, from ``rows``; without it the row
    is taken to be on file line row + 1) and the column.
    """

    def where(pos: int) -> str:
        return rows.where(pos) if rows is not None else f"data row {pos + 1} (file line {pos + 2})"

    if pd.api.types.is_integer_dtype(raw.dtype) and not isinstance(raw.dtype, pd.CategoricalDtype):
        if pd.api.types.is_unsigned_integer_dtype(raw.dtype) and (raw > INT64_MAX).any():
            pos = int(np.flatnonzero((raw > INT64_MAX).to_numpy())[0])
            raise AdapterError(
                f"{source}: {where(pos)}, column {column!r}: {raw.iloc[pos]} is past the 64-bit integer range"
            )
        out = raw.astype("Int64")
    elif pd.api.types.is_float_dtype(raw.dtype):
        # pyarrow reads an integer column with empty cells, or with a number past the 64-bit
        # range, as floats: empty -> <NA>; fractions, and numbers too large for a float to hold
        # exactly, are errors.
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        fractional = ~np.isnan(values) & (values != np.floor(values))
        if fractional.any():
            pos = int(np.flatnonzero(fractional)[0])
            raise AdapterError(
                f"{source}: {where(pos)}, column {column!r}: {values[pos]!r} is not a non-negative integer"
            )
        inexact = ~np.isnan(values) & (np.abs(values) > FLOAT_EXACT_MAX)
        if inexact.any():
            pos = int(np.flatnonzero(inexact)[0])
            raise AdapterError(
                f"{source}: {where(pos)}, column {column!r}: {values[pos]:.17g} is too large to be a count read exactly"
            )
        out = pd.Series(pd.array(np.where(np.isnan(values), 0, values).astype("int64"), dtype="Int64"))
        out[np.isnan(values)] = pd.NA
    else:
        text = raw.astype("string").str.strip()
        is_missing = text.isna() | text.isin(list(missing))
        # ASCII digits only: int() would also read other scripts' digits ("١٢"), which no source uses for counts.
        ok = text.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)
        bad = ~(ok | is_missing)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            value = raw.iloc[pos]
            hint = (
                " (non-ASCII digits)"
                if isinstance(value, str) and any(c.isdigit() and not c.isascii() for c in value)
                else ""
            )
            raise AdapterError(
                f"{source}: {where(pos)}, column {column!r}: "
                f"{value!r} is not a non-negative integer{hint} ({int(bad.sum())} such value(s) in the column)"
            )
        long = ok & (text.str.lstrip("0").str.len() >= len(str(INT64_MAX)))
        for pos in np.flatnonzero(long.to_numpy()):  # rare: only 19+ digit values
            if int(text.iloc[pos]) > INT64_MAX:
                raise AdapterError(
                    f"{source}: {where(pos)}, column {column!r}: {text.iloc[pos]} is past the 64-bit integer range"
                )
        out = pd.to_numeric(text.where(~is_missing), errors="raise").astype("Int64")
    if (out < 0).any():
        pos = int(np.flatnonzero((out < 0).fillna(False).to_numpy())[0])
        raise AdapterError(f"{source}: {where(pos)}, column {column!r}: negative count {out.iloc[pos]}")
    return out.reset_index(drop=True)


def refuse_unlisted_columns(rows: SourceRows, used: set[str], ignore: list[str], election: str) -> None:
    """Every column of the file must be used or listed under ``ignore:``; nothing is dropped silently.

    A column with an empty header that is empty in every row (a delimiter at the end of
    every line, header included) holds nothing and passes.
    """
    frame = rows.frame
    blank = [
        c for c in frame.columns if str(c).strip() == "" and (frame[c].fillna("").astype("str").str.strip() == "").all()
    ]
    unused = [c for c in frame.columns if c not in used and c not in set(ignore) and c not in blank]
    if unused:
        raise AdapterError(
            f"{rows.source}: column(s) {unused} are not named in the catalog entry for {election}; name each one "
            "(as a count, extra, candidate or station-type column) or list it under `ignore:`, so that no data is "
            "silently dropped"
        )
