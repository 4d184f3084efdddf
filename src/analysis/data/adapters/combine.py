"""One dataset from several files: the canonical tables of a main file and its supplements joined.

A catalog entry's ``supplements:`` names other entries whose stations belong to the same
election but are published in a file of their own (Russia 2024: electronic votes aggregated by
region). Each file is read by its own entry (its own sha256, column patterns, station type);
:func:`combine_tables` joins the tables and sorts them as one adapter would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.canonical import KEY
from analysis.data.adapters.reading import AdapterError
from analysis.data.adapters.tables import CanonicalTables, _station_sort_order


def _with_columns(frame: pd.DataFrame, columns: list[str], like: dict[str, object]) -> pd.DataFrame:
    """``frame`` with ``columns`` in that order, a column it lacks all missing (in the dtype of ``like``)."""
    out = frame.copy()
    for col in columns:
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index, dtype=like[col])
    return out[columns]


def combine_tables(parts: list[CanonicalTables], sources: list[str]) -> CanonicalTables:
    """The stations and votes of ``parts`` as one table each, sorted like an adapter's output.

    Columns are the first part's, then any the others add (missing elsewhere). A station key
    present in two parts is an :class:`AdapterError` naming both sources. Votes stay
    station-major, candidates in order of first appearance. ``accounting`` is the parts'
    accountings one after another, each with its ``source`` as the first column.
    """
    accounting = pd.concat(
        [p.accounting.assign(source=s)[["source", *p.accounting.columns]] for p, s in zip(parts, sources)],
        ignore_index=True,
    )
    if len(parts) == 1:
        return CanonicalTables(stations=parts[0].stations, votes=parts[0].votes, accounting=accounting)
    columns: list[str] = []
    dtypes: dict[str, object] = {}
    for part in parts:
        for col in part.stations.columns:
            if col not in dtypes:
                columns.append(col)
                dtypes[col] = part.stations[col].dtype
    origin = np.repeat(np.arange(len(parts)), [len(p.stations) for p in parts])
    stations = pd.concat([_with_columns(p.stations, columns, dtypes) for p in parts], ignore_index=True)
    twice = stations.duplicated(KEY, keep=False).to_numpy()
    if twice.any():
        first = stations[twice].iloc[0]
        where = sorted({sources[i] for i in origin[twice & (stations[KEY] == first[KEY]).all(axis=1).to_numpy()]})
        raise AdapterError(f"station {dict(first[KEY])} is in more than one source file: {where}")
    order = _station_sort_order(stations)
    stations = stations.iloc[order].reset_index(drop=True)

    votes = pd.concat([p.votes for p in parts], ignore_index=True)
    station_pos = pd.MultiIndex.from_frame(stations[KEY]).get_indexer(pd.MultiIndex.from_frame(votes[KEY]))
    candidate_rank = pd.Index(pd.unique(votes["candidate"])).get_indexer(votes["candidate"])
    votes = votes.iloc[np.lexsort((candidate_rank, station_pos))].reset_index(drop=True)
    return CanonicalTables(stations=stations, votes=votes, accounting=accounting)
