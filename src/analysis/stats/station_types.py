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
