"""From the canonical ``stations`` table to per-station arrays, and descriptive station tables.

:func:`station_measures` is the one bridge from the canonical table to the arrays every other
function of :mod:`analysis.stats.distributions` takes; it counts every station it leaves out,
by reason, instead of dropping it silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.core.canonical import ADDED_ON_DAY_COLUMN, IMPOSSIBLE_COLUMN
from analysis.core.results import FlatResult
from analysis.stats import measures
from analysis.stats.station_types import count_types, pseudo_count

WEIGHTINGS = ("stations", "voters", "registered")
DEFAULT_THRESHOLDS = (0.80, 0.90, 0.95, 0.99)


@dataclass(frozen=True)
class StationMeasures:
    """Per-station arrays of the stations kept by :func:`station_measures`.

    Attributes
    ----------
    turnout, leader_share : numpy.ndarray
        Fractions (Kobak et al. 2016, section 2; see :mod:`analysis.stats.measures`).
    registered : numpy.ndarray
        Registered voters.
    turnout_numerator : numpy.ndarray
        Ballots issued or ballots in the boxes (``turnout_definition``).
    voters : numpy.ndarray
        Valid + invalid ballots: the leader share's denominator.
    leader_votes : numpy.ndarray
        The leader's votes.
    region, station_type : numpy.ndarray
        Labels (object arrays).
    index : numpy.ndarray
        Row positions of the kept stations in the input table.
    turnout_definition : str
        ``"issued"`` or ``"boxes"``.
    n_input : int
        Rows of the input table.
    excluded : dict
        Stations left out, by reason; a station counts under the first reason that applies,
        in the order: station type, flag, impossible counts (``"impossible counts: <reasons>"``,
        one entry per reason text of the ``impossible_counts`` column), registered missing,
        registered below the minimum, turnout undefined, leader share undefined.
    added_on_day : numpy.ndarray or None
        Voters added to the roll on election day (the canonical ``added_on_day`` column; NaN
        where a station's count is missing); None where the table has no such column or the
        source does not say for any station.
    excluded_types : dict
        Stations left out by the type selection (``station_types``, ``exclude_station_types``),
        by ``station_type`` (:func:`excluded_by_type`).
    """

    turnout: np.ndarray
    leader_share: np.ndarray
    registered: np.ndarray
    turnout_numerator: np.ndarray
    voters: np.ndarray
    leader_votes: np.ndarray
    region: np.ndarray
    station_type: np.ndarray
    index: np.ndarray
    turnout_definition: str
    n_input: int
    excluded: dict = field(default_factory=dict)
    added_on_day: np.ndarray | None = None
    excluded_types: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of stations kept."""
        return int(self.turnout.size)

    @property
    def n_excluded_pseudo(self) -> int:
        """Pseudo-stations (:data:`analysis.core.canonical.PSEUDO_STATION_TYPES`) left out by type."""
        return pseudo_count(self.excluded_types)


def _labels(stations: pd.DataFrame, column: str, missing: str) -> np.ndarray:
    if column not in stations:
        return np.full(len(stations), missing, dtype=object)
    return stations[column].astype("string").fillna(missing).to_numpy(dtype=object)


def station_measures(
    stations: pd.DataFrame,
    leader_votes,
    *,
    turnout_definition: str = "issued",
    min_registered: int = 0,
    station_types: Sequence[str] | None = None,
    exclude_station_types: Sequence[str] | None = None,
) -> StationMeasures:
    """Turnout, leader share and sizes of the stations passing the filters.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table (docs/ARCHITECTURE.md).
    leader_votes : array_like
        The leader's votes aligned with the rows of ``stations``
        (:func:`analysis.stats.measures.leader_votes`).
    turnout_definition : {"issued", "boxes"}
        Turnout numerator: ballots issued (official) or ballots in the boxes.
    min_registered : int
        Keep stations with at least this many registered voters.
    station_types : sequence of str, optional
        Keep only these ``station_type`` values (None keeps all).
    exclude_station_types : sequence of str, optional
        Leave out these ``station_type`` values (e.g.
        :data:`analysis.core.canonical.PSEUDO_STATION_TYPES`; None leaves none out). Counted
        per type in ``excluded`` (``"station type left out: <type>"``) and ``excluded_types``.

    Returns
    -------
    StationMeasures
        The arrays of the kept stations and the count of those left out, by reason.
        Stations with a non-empty ``flag`` or ``impossible_counts`` (protocol counts that
        cannot all be true, marked by the adapters), or whose turnout or leader share is
        undefined (0 registered, no ballots counted, missing counts), are left out.

    References
    ----------
    Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
    falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73, section 2
    (turnout and leader share).

    Examples
    --------
    >>> stations = pd.DataFrame({"registered": [100, 0], "ballots_issued": [60, 0],
    ...                          "valid": [58, 0], "invalid": [2, 0]})
    >>> m = station_measures(stations, [30, 0])
    >>> m.turnout, m.leader_share, m.excluded
    (array([0.6]), array([0.5]), {'turnout undefined (registered 0 or counts missing)': 1})
    """
    lv = np.asarray(leader_votes, dtype=float)
    if lv.shape != (len(stations),):
        raise ValueError(f"leader_votes has shape {lv.shape}, expected ({len(stations)},): one value per stations row")
    turnout = measures.turnout(stations, turnout_definition)
    share = measures.leader_share(stations, lv)
    registered = measures._as_float(stations["registered"])
    numerator = measures.turnout_numerator(stations, turnout_definition)
    voters = measures.ballots_counted(stations)
    stype = _labels(stations, "station_type", "unknown")
    region = _labels(stations, "region", "")
    keep = np.ones(len(stations), dtype=bool)
    excluded: dict[str, int] = {}

    def drop(reason: str, mask: np.ndarray) -> None:
        newly = keep & mask
        if newly.any():
            excluded[reason] = int(newly.sum())
        keep[newly] = False

    if station_types is not None:
        drop("station type not selected", ~np.isin(stype, list(station_types)))
    for t in dict.fromkeys(exclude_station_types or ()):
        drop(f"station type left out: {t}", stype == t)
    excluded_types = count_types(stype, ~keep)
    if "flag" in stations:
        drop("flagged row", stations["flag"].fillna("").astype(str).to_numpy() != "")
    if IMPOSSIBLE_COLUMN in stations:
        impossible = stations[IMPOSSIBLE_COLUMN].fillna("").astype(str).to_numpy()
        for reason in sorted(set(impossible[keep & (impossible != "")])):  # rare
            drop(f"impossible counts: {reason}", impossible == reason)
    added = measures._as_float(stations[ADDED_ON_DAY_COLUMN]) if ADDED_ON_DAY_COLUMN in stations else None
    if added is not None and np.isnan(added).all():
        added = None
    drop("registered missing", np.isnan(registered))
    drop(f"registered < {min_registered}", registered < min_registered)
    drop("turnout undefined (registered 0 or counts missing)", ~np.isfinite(turnout))
    drop("leader share undefined (no ballots counted)", ~np.isfinite(share))
    return StationMeasures(
        turnout=turnout[keep],
        leader_share=share[keep],
        registered=registered[keep],
        turnout_numerator=numerator[keep],
        voters=voters[keep],
        leader_votes=lv[keep],
        region=region[keep],
        station_type=stype[keep],
        index=np.flatnonzero(keep),
        turnout_definition=turnout_definition,
        n_input=len(stations),
        excluded=dict(sorted(excluded.items())),
        added_on_day=None if added is None else added[keep],
        excluded_types=excluded_types,
    )


def weights_for(m: StationMeasures, weighting: str) -> np.ndarray | None:
    """Histogram weights for a weighting scheme.

    Parameters
    ----------
    m : StationMeasures
        Stations from :func:`station_measures`.
    weighting : {"stations", "voters", "registered"}
        ``"stations"``: each station counts 1 (returns None); ``"voters"``: valid + invalid
        ballots; ``"registered"``: registered voters.

    Returns
    -------
    numpy.ndarray or None
        One weight per station, or None for station counts.

    References
    ----------
    None: a choice of unit (station, voter, registered voter) for descriptive histograms.

    Examples
    --------
    >>> stations = pd.DataFrame({"registered": [100], "ballots_issued": [60], "valid": [58], "invalid": [2]})
    >>> weights_for(station_measures(stations, [30]), "voters")
    array([60.])
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting {weighting!r}: expected one of {WEIGHTINGS}")
    return None if weighting == "stations" else (m.voters if weighting == "voters" else m.registered)


def regional_leader_share(
    stations: pd.DataFrame, leader_votes, *, exclude_regions: Sequence[str] = ("",)
) -> pd.DataFrame:
    """Leader's share of valid votes by region.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table (needs ``region`` and ``valid``).
    leader_votes : array_like
        The leader's votes aligned with the rows of ``stations``.
    exclude_regions : sequence of str
        Region labels left out (by default the empty label).

    Returns
    -------
    pandas.DataFrame
        ``region``, ``leader_votes``, ``valid_votes``, ``leader_share_pct``, sorted by region.
        Valid votes, not valid + invalid, are the denominator, to match region-level sources
        (Kazakhstan 2011 publishes no regional invalid ballots). Rows without a valid count
        or a leader figure are left out and counted in ``attrs["n_rows_missing"]``.

    References
    ----------
    OSCE/ODIHR (2011), *Republic of Kazakhstan, Early Presidential Election, 3 April 2011:
    Final Report*, annex (regional results: valid votes per candidate, no invalid ballots).

    Examples
    --------
    >>> stations = pd.DataFrame({"region": ["a", "a", "b"], "valid": [10, 30, 20]})
    >>> regional_leader_share(stations, [5, 15, 4])[["region", "leader_share_pct"]]
      region  leader_share_pct
    0      a              50.0
    1      b              20.0
    """
    valid = measures._as_float(stations["valid"])
    lv = np.asarray(leader_votes, dtype=float)
    region = stations["region"].astype("string").fillna("").to_numpy(dtype=object)
    ok = np.isfinite(valid) & np.isfinite(lv) & ~np.isin(region, list(exclude_regions))
    d = pd.DataFrame({"region": region[ok], "leader_votes": lv[ok], "valid_votes": valid[ok]})
    g = d.groupby("region", sort=True).sum().reset_index()
    g["leader_share_pct"] = 100 * g["leader_votes"] / g["valid_votes"]
    g.attrs["n_rows_missing"] = int((~(np.isfinite(valid) & np.isfinite(lv))).sum())
    return g


@dataclass(frozen=True)
class HighTurnoutVotesResult(FlatResult):
    """Share of the leader's votes cast at stations with turnout >= each threshold.

    A description, not a test (see :func:`leader_votes_at_high_turnout`).

    Attributes
    ----------
    thresholds : tuple of float
        Turnout thresholds (fractions).
    shares : tuple of float
        ``shares[k]``: leader votes at stations with turnout >= ``thresholds[k]`` / all leader votes.
    station_shares : tuple of float
        ``station_shares[k]``: fraction of stations with turnout >= ``thresholds[k]``.
    leader_votes_total : float
        All the leader's votes.
    """

    thresholds: tuple
    shares: tuple
    station_shares: tuple
    leader_votes_total: float

    def share_at(self, threshold: float) -> float:
        """The share of the leader's votes at turnout >= ``threshold`` (one of ``thresholds``)."""
        for t, s in zip(self.thresholds, self.shares):
            if np.isclose(t, threshold):
                return s
        raise KeyError(f"threshold {threshold} not computed (have {self.thresholds})")


def leader_votes_at_high_turnout(
    turnout, leader_votes, *, thresholds: Sequence[float] = DEFAULT_THRESHOLDS
) -> HighTurnoutVotesResult:
    """Share of the leader's votes cast at stations with turnout >= each threshold.

    Parameters
    ----------
    turnout : array_like
        Station turnouts (fractions).
    leader_votes : array_like
        The leader's votes per station.
    thresholds : sequence of float
        Turnout thresholds (fractions).

    Returns
    -------
    HighTurnoutVotesResult
        The shares of votes and of stations at or above each threshold.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 5
    (the share of the leader's votes from high-turnout stations, after S. Shpilkin).

    Examples
    --------
    >>> r = leader_votes_at_high_turnout([0.5, 0.9, 1.0], [10, 30, 60], thresholds=(0.9,))
    >>> r.shares, r.station_shares
    ((0.9,), (0.6666666666666666,))
    """
    t = np.asarray(turnout, dtype=float)
    v = np.asarray(leader_votes, dtype=float)
    total = v.sum()
    if not total > 0:
        raise ValueError("leader_votes_at_high_turnout: the leader has no votes")
    shares = tuple(float(v[t >= c].sum() / total) for c in thresholds)
    station_shares = tuple(float((t >= c).mean()) for c in thresholds)
    return HighTurnoutVotesResult(tuple(float(c) for c in thresholds), shares, station_shares, float(total))
