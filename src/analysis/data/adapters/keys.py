"""Station keys (region, district, station): stripped, normalised by a per-source rule, checked.

Rules, applied to every source in :func:`station_keys`:

* Cells are stripped of surrounding whitespace. The catalog entry may ask for more with
  ``key_normalise: {strip_leading_zeros: true, casefold: true}``: ``strip_leading_zeros``
  drops the leading zeros of every run of digits (``"007"`` -> ``"7"``, ``"r01"`` ->
  ``"r1"``; ``"0"`` stays), ``casefold`` folds letter case (``"R1"`` -> ``"r1"``). The stored
  keys are the normalised ones. Both are off by default.
* Two rows whose keys are equal after that are an error naming both rows.
* Two rows whose keys differ *only* in leading zeros or letter case (``"01"`` / ``"1"``,
  ``"r1"`` / ``"R1"``) are an error too, unless the entry's rule folds them together: the
  source must say whether they are one station or two, never a guess.
* An empty key cell in a row that holds data keeps the row and flags it
  (``empty key: region, district``); a row whose three key cells are all empty cannot be
  identified and is an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.adapters.reading import AdapterError, SourceRows

KEY_COLUMNS = ("region", "district", "station")
NORMALISE_SUGGESTION = "key_normalise: {strip_leading_zeros: true, casefold: true}"


def _strip_leading_zeros(values: pd.Series) -> pd.Series:
    return values.str.replace(r"(?<![0-9])0+(?=[0-9])", "", regex=True)


def _per_value(values: pd.Series, transform) -> pd.Series:
    """``transform`` applied to each distinct value once (a key column repeats few values)."""
    codes, uniques = pd.factorize(values)
    done = transform(pd.Series(uniques, dtype="str")).to_numpy(dtype=object)
    return pd.Series(done[codes], dtype="str")


def normalise_keys(keys: pd.DataFrame, rule: dict | None = None) -> pd.DataFrame:
    """Key cells as text, stripped (missing -> ``""``), then normalised by ``rule`` (see the module docstring)."""
    rule = rule or {}
    out = {}
    for name in KEY_COLUMNS:
        values = keys[name].astype("str").fillna("").reset_index(drop=True)
        values = _per_value(values, lambda v: v.str.strip())
        if rule.get("strip_leading_zeros"):
            values = _per_value(values, _strip_leading_zeros)
        if rule.get("casefold"):
            values = _per_value(values, lambda v: v.str.casefold())
        out[name] = values
    return pd.DataFrame(out)


def _describe(keys: pd.DataFrame, pos: int) -> str:
    return ", ".join(f"{name}={keys.at[pos, name]!r}" for name in KEY_COLUMNS)


def _first_pair(keys: pd.DataFrame, clash: pd.Series) -> tuple[int, int]:
    first = int(np.flatnonzero(clash.to_numpy())[0])
    same = (keys == keys.iloc[first]).all(axis=1).to_numpy().copy()
    same[first] = False
    return first, int(np.flatnonzero(same)[0])


def station_keys(
    raw_keys: pd.DataFrame, *, rule: dict | None, source: str, rows: SourceRows | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """``(keys, flags)``: the normalised key columns and, per row, ``""`` or ``"empty key: <columns>"``."""

    def where(pos: int) -> str:
        return rows.where(pos) if rows is not None else f"data row {pos + 1}"

    keys = normalise_keys(raw_keys, rule)
    empty = (
        np.column_stack([(keys[name] == "").to_numpy() for name in KEY_COLUMNS])
        if len(keys)
        else np.zeros((0, 3), bool)
    )
    unidentified = empty.all(axis=1)
    if unidentified.any():
        pos = int(np.flatnonzero(unidentified)[0])
        raise AdapterError(
            f"{source}: {where(pos)}: region, district and station are all empty, so the row names no station"
        )
    flags = np.full(len(keys), "", dtype=object)
    for pos in np.flatnonzero(empty.any(axis=1)):  # rare
        flags[pos] = "empty key: " + ", ".join(name for name, e in zip(KEY_COLUMNS, empty[pos]) if e)

    twice = keys.duplicated(keep=False)
    if twice.any():
        a, b = _first_pair(keys, twice)
        after = " after key_normalise" if rule else ""
        raise AdapterError(
            f"{source}: station {_describe(keys, a)}{after} appears twice, on {where(a)} and {where(b)} "
            f"({int(twice.sum())} rows share a key with another)"
        )
    loose = pd.DataFrame(
        {name: _per_value(keys[name], lambda v: _strip_leading_zeros(v).str.casefold()) for name in KEY_COLUMNS}
    )
    near = loose.duplicated(keep=False)
    if near.any():
        a, b = _first_pair(loose, near)
        raise AdapterError(
            f"{source}: stations {_describe(keys, a)} ({where(a)}) and {_describe(keys, b)} ({where(b)}) differ only "
            f"in leading zeros or letter case; if they are one station set `{NORMALISE_SUGGESTION}` (or the one "
            "that applies) in the catalog entry, if two, correct the file"
        )
    return keys, flags
