"""Which polling stations enter a station-level null: leaving out pseudo-stations by type.

Station-level nulls (binomial redraws of each station, resampled densities) model a polling
place at home. Remote electronic-voting pseudo-stations (one per region, tens of thousands of
"voters") and stations abroad are not such places, so the notebooks leave the types of
:data:`analysis.core.canonical.PSEUDO_STATION_TYPES` out by default and show how many that is.

References
----------
Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73, section 2 (stations
abroad and other special stations set apart from the ordinary ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.core.canonical import PSEUDO_STATION_TYPES, STATION_TYPES


@dataclass(frozen=True)
class StationTypeFilter:
    """Stations kept and left out by type.

    Attributes
    ----------
    keep : numpy.ndarray of bool
        One entry per station: True where its type is not excluded.
    excluded : dict
        Excluded type -> number of stations of that type (types absent from the data: 0).
    exclude : tuple of str
        The excluded types.

    Examples
    --------
    >>> f = station_type_filter(["ordinary", "abroad", "ordinary"])
    >>> f.keep.tolist(), f.n_excluded, f.describe()
    ([True, False, True], 1, '1 pseudo-station left out (abroad 1, electronic 0)')
    """

    keep: np.ndarray = field(repr=False)
    excluded: dict
    exclude: tuple

    @property
    def n_excluded(self) -> int:
        """Stations left out."""
        return int(sum(self.excluded.values()))

    def describe(self) -> str:
        """One line: how many stations of each excluded type were left out."""
        if not self.exclude:
            return "no station type excluded"
        per_type = ", ".join(f"{t} {n:,}" for t, n in sorted(self.excluded.items()))
        s = "" if self.n_excluded == 1 else "s"
        return f"{self.n_excluded:,} pseudo-station{s} left out ({per_type})"


def station_type_filter(station_type, exclude: Sequence[str] | None = PSEUDO_STATION_TYPES) -> StationTypeFilter:
    """Keep the stations whose ``station_type`` is not in ``exclude``.

    Parameters
    ----------
    station_type : array_like of str
        The canonical ``station_type`` column (one of :data:`analysis.core.canonical.STATION_TYPES`).
    exclude : sequence of str or None, optional
        Types left out (default :data:`~analysis.core.canonical.PSEUDO_STATION_TYPES`,
        electronic and abroad); None or empty: keep every station.

    Returns
    -------
    StationTypeFilter

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), section 2.

    Examples
    --------
    >>> station_type_filter(["ordinary", "electronic"], ["electronic"]).excluded
    {'electronic': 1}
    """
    exclude = tuple(exclude or ())
    unknown = sorted(set(exclude) - set(STATION_TYPES))
    if unknown:
        raise ValueError(f"station_type_filter: unknown station types {unknown} (known: {STATION_TYPES})")
    types = np.asarray(station_type, dtype=object)
    out = np.isin(types, exclude) if exclude else np.zeros(types.shape, dtype=bool)
    excluded = {t: int(np.count_nonzero(types == t)) for t in exclude}
    return StationTypeFilter(keep=~out, excluded=excluded, exclude=exclude)


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
