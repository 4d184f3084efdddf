"""Pandera schemas of the canonical tables (see docs/ARCHITECTURE.md, "Canonical polling-station tables").

``stations``: one row per polling station, counts as pandas nullable ``Int64`` (a line the
source lacks is all ``<NA>``, never 0), source-specific extra columns allowed after the
canonical ones. ``votes``: long, one row per station and candidate.

``validate_stations`` / ``validate_votes`` raise :class:`TableValidationError` whose message
names the table, the row (its position and its station key) and the column of every failure
(the first few), so bad input is traced back to the source line.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from analysis.core.canonical import (  # noqa: F401  (re-exported: the schema names its columns)
    COUNT_COLUMNS,
    DERIVED_COUNT_COLUMNS,
    KEY,
    STATION_COLUMNS,
    STATION_TYPES,
    VOTE_COLUMNS,
)

_MAX_REPORTED = 5


class TableValidationError(ValueError):
    """A canonical table breaks its schema; the message names table, row and column."""


def _count(nullable: bool = True) -> pa.Column:
    return pa.Column("Int64", checks=pa.Check.ge(0), nullable=nullable, coerce=False)


def _key_columns() -> dict[str, pa.Column]:
    return {name: pa.Column(str, nullable=False) for name in KEY}


STATIONS_SCHEMA = pa.DataFrameSchema(
    {
        **_key_columns(),
        "station_type": pa.Column(str, checks=pa.Check.isin(STATION_TYPES), nullable=False),
        **{name: _count() for name in COUNT_COLUMNS + DERIVED_COUNT_COLUMNS},
        "flag": pa.Column(str, nullable=False),
    },
    unique=KEY,
    strict=False,
    ordered=False,
    name="stations",
)

VOTES_SCHEMA = pa.DataFrameSchema(
    {
        **_key_columns(),
        "candidate": pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1)),
        "votes": _count(),
    },
    unique=KEY + ["candidate"],
    strict=True,
    name="votes",
)


def _describe_failures(exc: pa.errors.SchemaErrors, df: pd.DataFrame, table: str, source: str | None) -> str:
    cases = exc.failure_cases
    where = f"{table} table" + (f" ({source})" if source else "")
    lines = [f"{where}: {len(cases)} schema failure(s)"]
    for _, case in cases.head(_MAX_REPORTED).iterrows():
        column = case.get("column")
        index = case.get("index")
        check = case.get("check")
        value = case.get("failure_case")
        if index is not None and not pd.isna(index) and index in df.index:
            pos = df.index.get_loc(index)
            key = ", ".join(f"{k}={df.at[index, k]!r}" for k in KEY if k in df.columns)
            row = f"row {pos}" + (f" ({key})" if key else "")
        else:
            row = "whole column" if column is not None else "table"
        lines.append(f"  {row}, column {column!r}: check {check} failed (value {value!r})")
    if len(cases) > _MAX_REPORTED:
        lines.append(f"  … and {len(cases) - _MAX_REPORTED} more")
    return "\n".join(lines)


def _validate(schema: pa.DataFrameSchema, df: pd.DataFrame, table: str, source: str | None) -> pd.DataFrame:
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise TableValidationError(_describe_failures(exc, df, table, source)) from None


def validate_stations(df: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Validate a canonical stations table; ``source`` (e.g. the file) goes into the error message."""
    missing = [c for c in STATION_COLUMNS if c not in df.columns]
    if missing:
        raise TableValidationError(f"stations table ({source or 'unknown source'}): missing column(s) {missing}")
    return _validate(STATIONS_SCHEMA, df, "stations", source)


def validate_votes(df: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Validate a canonical long votes table."""
    return _validate(VOTES_SCHEMA, df, "votes", source)
