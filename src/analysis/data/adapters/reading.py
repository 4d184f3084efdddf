"""Reading a source file: bytes (plain or a zip member), CSV text, counts parsed strictly.

Shared by every adapter. Errors are :class:`AdapterError` naming the file, the row and the
column.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd


class AdapterError(ValueError):
    """The source file does not match its catalog entry; the message names file, row and column."""



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

