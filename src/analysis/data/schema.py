"""Pandera schemas of the canonical tables (see docs/ARCHITECTURE.md, "Canonical polling-station tables").

``stations``: one row per polling station, counts as pandas nullable ``Int64`` (a line the
source lacks is all ``<NA>``, never 0), source-specific extra columns allowed after the
canonical ones. ``votes``: long, one row per station and candidate.

``validate_stations`` / ``validate_votes`` raise :class:`TableValidationError` whose message
names the table, the row (its position and its station key) and the column of every failure
(the first few), so bad input is traced back to the source line.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pandas as pd

from analysis.core.canonical import (  # noqa: F401  (re-exported: the schema names its columns)
    COUNT_COLUMNS,
    DERIVED_COUNT_COLUMNS,
    KEY,
    STATION_COLUMNS,
    STATION_TYPES,
    VOTE_COLUMNS,
)

if TYPE_CHECKING:
    import pandera.pandas as pa

_MAX_REPORTED = 5


# pandera is imported where a schema is built or a table validated, not with this module: the
# notebooks' kernels import the data layer to read prepared tables and never validate.
def _pandera():
    import pandera.pandas

    return pandera.pandas


class TableValidationError(ValueError):
    """A table breaks its schema; the message names table, row and column of each failure."""


def count_column(*, nullable: bool = True) -> pa.Column:
    """A count: nullable ``Int64`` (a line the source lacks is ``<NA>``, never 0), non-negative."""
    pa = _pandera()
    return pa.Column("Int64", checks=pa.Check.ge(0), nullable=nullable, coerce=False)


def text_column(**kwargs) -> pa.Column:
    """A text column (``kwargs`` go to ``pandera.Column``: ``checks``, ``nullable``)."""
    return _pandera().Column(str, **kwargs)


def _key_columns() -> dict[str, pa.Column]:
    return {name: text_column(nullable=False) for name in KEY}


@functools.cache
def stations_schema() -> pa.DataFrameSchema:
    """The schema of the canonical stations table."""
    pa = _pandera()
    return pa.DataFrameSchema(
        {
            **_key_columns(),
            "station_type": text_column(checks=pa.Check.isin(STATION_TYPES), nullable=False),
            **{name: count_column() for name in COUNT_COLUMNS + DERIVED_COUNT_COLUMNS},
            "flag": text_column(nullable=False),
            # Adapters add it; synthetic tables need not (see analysis.data.adapters.tables.impossible_counts).
            "impossible_counts": text_column(nullable=False, required=False),
        },
        unique=KEY,
        strict=False,
        ordered=False,
        name="stations",
    )


@functools.cache
def votes_schema() -> pa.DataFrameSchema:
    """The schema of the canonical long votes table."""
    pa = _pandera()
    return pa.DataFrameSchema(
        {
            **_key_columns(),
            "candidate": text_column(nullable=False, checks=pa.Check.str_length(min_value=1)),
            "votes": count_column(),
        },
        unique=KEY + ["candidate"],
        strict=True,
        name="votes",
    )


def _row_label(df: pd.DataFrame, index, key: list[str], line_offset: int | None) -> str:
    pos = df.index.get_loc(index)
    parts = [f"file line {pos + line_offset}"] if line_offset is not None else []
    values = ", ".join(f"{k}={df.at[index, k]!r}" for k in key if k in df.columns)
    parts += [values] if values else []
    return f"row {pos}" + (f" ({'; '.join(parts)})" if parts else "")


def _describe_failures(
    exc: pa.errors.SchemaErrors,
    df: pd.DataFrame,
    table: str,
    source: str | None,
    key: list[str],
    line_offset: int | None,
) -> str:
    cases = exc.failure_cases
    lines = [f"table {table}" + (f" ({source})" if source else "") + f": {len(cases)} schema failure(s)"]
    for _, case in cases.head(_MAX_REPORTED).iterrows():
        column = case.get("column")
        index = case.get("index")
        if index is not None and not pd.isna(index) and index in df.index:
            row = _row_label(df, index, key, line_offset)
        else:
            row = "whole column" if column is not None else "table-level check"
        lines.append(
            f"  {row}, column {column!r}: check {case.get('check')} failed (value {case.get('failure_case')!r})"
        )
    if len(cases) > _MAX_REPORTED:
        lines.append(f"  … and {len(cases) - _MAX_REPORTED} more")
    return "\n".join(lines)


def validate_table(
    schema: pa.DataFrameSchema,
    df: pd.DataFrame,
    *,
    source: str | None = None,
    key: list[str] | None = None,
    line_offset: int | None = None,
) -> pd.DataFrame:
    """Validate ``df`` against ``schema`` (all failures collected), or raise :class:`TableValidationError`.

    The message names the table (``schema.name``) and ``source``, then for each failure (the
    first few) the row — its position, its file line (position + ``line_offset``, e.g. 2 for
    a CSV with one header line) and its ``key`` values (default: the schema's unique
    columns) — the column, the check and the value.
    """
    try:
        return schema.validate(df, lazy=True)
    except _pandera().errors.SchemaErrors as exc:
        unique = schema.unique if isinstance(schema.unique, list) else [schema.unique] if schema.unique else []
        message = _describe_failures(exc, df, schema.name, source, key if key is not None else unique, line_offset)
        raise TableValidationError(message) from None


def validate_stations(df: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Validate a canonical stations table; ``source`` (e.g. the file) goes into the error message."""
    missing = [c for c in STATION_COLUMNS if c not in df.columns]
    if missing:
        raise TableValidationError(f"stations table ({source or 'unknown source'}): missing column(s) {missing}")
    return validate_table(stations_schema(), df, source=source)


def validate_votes(df: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Validate a canonical long votes table."""
    return validate_table(votes_schema(), df, source=source)
