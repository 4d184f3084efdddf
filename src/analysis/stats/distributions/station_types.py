"""Stations left out by their ``station_type``: the counts a notebook shows beside its nulls.

Issue 10: pseudo-stations (remote electronic voting, abroad;
:data:`analysis.core.canonical.PSEUDO_STATION_TYPES`) stay out of station-level nulls by
default, with the count shown. :func:`~analysis.stats.distributions.station_measures` counts
what its type selection leaves out with :func:`count_types`; a notebook that selects the
stations of its null itself (04) counts with :func:`excluded_by_type`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.core.canonical import PSEUDO_STATION_TYPES


def excluded_by_type(
    station_type, *, station_types: Sequence[str] | None = None, exclude_station_types: Sequence[str] | None = None
) -> dict[str, int]:
    """How many stations a station-type selection leaves out, per type.

    Parameters
    ----------
    station_type : array_like
        The ``station_type`` of every station (missing values count as ``"unknown"``).
    station_types : sequence of str, optional
        Types kept (None keeps every type).
    exclude_station_types : sequence of str, optional
        Types left out (after ``station_types``; None or empty leaves none out).

    Returns
    -------
    dict
        ``{station type: stations left out}``, types with none left out omitted, sorted by type.

    References
    ----------
    None: a count. Issue 10: pseudo-stations (remote electronic voting, abroad) stay out of
    station-level nulls by default, with the count shown.

    Examples
    --------
    >>> types = ["ordinary", "abroad", "electronic", "abroad", "military"]
    >>> excluded_by_type(types, exclude_station_types=["electronic", "abroad"])
    {'abroad': 2, 'electronic': 1}
    >>> excluded_by_type(types, station_types=["ordinary"])
    {'abroad': 2, 'electronic': 1, 'military': 1}
    """
    stype = pd.Series(station_type, dtype="string").fillna("unknown").to_numpy(dtype=object)
    return count_types(stype, _type_mask(stype, station_types, exclude_station_types))


def pseudo_count(excluded_types) -> int:
    """Of a ``{station type: count}`` mapping, the pseudo-stations (electronic voting, abroad).

    Parameters
    ----------
    excluded_types : mapping
        ``{station type: stations}``, e.g. from :func:`excluded_by_type`.

    Returns
    -------
    int
        The stations of the types in :data:`analysis.core.canonical.PSEUDO_STATION_TYPES`.

    References
    ----------
    None: a count (issue 10, "Data").

    Examples
    --------
    >>> pseudo_count({"abroad": 2, "electronic": 1, "military": 1})
    3
    """
    return int(sum(excluded_types.get(t, 0) for t in PSEUDO_STATION_TYPES))


def _type_mask(stype: np.ndarray, station_types, exclude_station_types) -> np.ndarray:
    """True where a station's type is left out by the selection."""
    out = np.zeros(stype.shape, dtype=bool)
    if station_types is not None:
        out |= ~np.isin(stype, list(station_types))
    if exclude_station_types:
        out |= np.isin(stype, list(exclude_station_types))
    return out


def count_types(stype: np.ndarray, mask: np.ndarray) -> dict[str, int]:
    """``{type: stations}`` of the stations where ``mask`` is True (types with none omitted), sorted by type."""
    types, counts = np.unique(stype[mask].astype(str), return_counts=True)
    return {str(t): int(c) for t, c in zip(types, counts)}
