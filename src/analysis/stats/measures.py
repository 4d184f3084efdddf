"""Turnout and leader share from the canonical station table.

Definitions follow Kobak, Shpilkin & Pshenichnikov (2016, Annals of Applied Statistics
10(1), section 2): leader share = leader votes / (valid + invalid ballots); turnout =
ballots issued / registered (the official definition, ``definition="issued"``) or ballots
found in the boxes / registered (``definition="boxes"``, the one Kobak et al. use).

:func:`leader_votes` (one candidate) and :func:`candidate_votes` (all) are the one aligner of
candidates' votes (long votes table) with the rows of the stations table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.canonical import KEY

TURNOUT_DEFINITIONS = ("issued", "boxes")


def _as_float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="raise").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def turnout_numerator(stations: pd.DataFrame, definition: str = "issued") -> np.ndarray:
    """Ballots issued (official) or ballots in boxes, per station.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table.
    definition : {"issued", "boxes"}
        ``ballots_issued`` or ``ballots_in_boxes``.

    Returns
    -------
    numpy.ndarray
        Floats, NaN where missing.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 2.

    Examples
    --------
    >>> turnout_numerator(pd.DataFrame({"ballots_issued": pd.array([60, None], dtype="Int64")}))
    array([60., nan])
    """
    if definition not in TURNOUT_DEFINITIONS:
        raise ValueError(f"turnout definition {definition!r}: expected one of {TURNOUT_DEFINITIONS}")
    column = "ballots_issued" if definition == "issued" else "ballots_in_boxes"
    return _as_float(stations[column])


def turnout(stations: pd.DataFrame, definition: str = "issued") -> np.ndarray:
    """Turnout as a fraction in [0, ∞).

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table.
    definition : {"issued", "boxes"}
        Numerator: ballots issued (official) or ballots in the boxes (Kobak et al.).

    Returns
    -------
    numpy.ndarray
        Numerator / registered; NaN where registered is 0 or missing.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 2.

    Examples
    --------
    >>> turnout(pd.DataFrame({"registered": [100, 0], "ballots_issued": [60, 0]}))
    array([0.6, nan])
    """
    registered = _as_float(stations["registered"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = turnout_numerator(stations, definition) / registered
    out[~(registered > 0)] = np.nan
    return out


def ballots_counted(stations: pd.DataFrame) -> np.ndarray:
    """Valid + invalid ballots: the denominator of the leader share.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table.

    Returns
    -------
    numpy.ndarray
        Floats, NaN where either count is missing.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 2.

    Examples
    --------
    >>> ballots_counted(pd.DataFrame({"valid": [58], "invalid": [2]}))
    array([60.])
    """
    return _as_float(stations["valid"]) + _as_float(stations["invalid"])


def leader_share(stations: pd.DataFrame, leader_votes) -> np.ndarray:
    """Leader votes / (valid + invalid), as a fraction.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table.
    leader_votes : array_like
        The leader's votes aligned with the rows of ``stations`` (:func:`leader_votes`).

    Returns
    -------
    numpy.ndarray
        NaN where no ballots were counted.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 2.

    Examples
    --------
    >>> leader_share(pd.DataFrame({"valid": [58, 0], "invalid": [2, 0]}), [30, 0])
    array([0.5, nan])
    """
    denom = ballots_counted(stations)
    lv = np.asarray(leader_votes, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lv / denom
    out[~(denom > 0)] = np.nan
    return out


def station_index(frame: pd.DataFrame) -> pd.MultiIndex:
    """The station key (election, region, district, station) of each row, as a MultiIndex.

    Parameters
    ----------
    frame : pandas.DataFrame
        A canonical stations or votes table.

    Returns
    -------
    pandas.MultiIndex
        One entry per row.

    References
    ----------
    None: the canonical station key (docs/ARCHITECTURE.md).

    Examples
    --------
    >>> station_index(pd.DataFrame({"election": ["x"], "region": ["r"], "district": ["d"], "station": ["1"]}))[0]
    ('x', 'r', 'd', '1')
    """
    return pd.MultiIndex.from_frame(frame[KEY])


def leader_votes(stations: pd.DataFrame, votes: pd.DataFrame, leader: str) -> np.ndarray:
    """The ``leader``'s votes per stations row.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table.
    votes : pandas.DataFrame
        Long votes table (``candidate``, ``votes`` and the station key).
    leader : str
        The candidate (a ``KeyError`` names the known ones if absent).

    Returns
    -------
    numpy.ndarray
        Floats aligned with the rows of ``stations``; NaN where a station has no figure.

    References
    ----------
    None: alignment of the long votes table with the stations table (docs/ARCHITECTURE.md).

    Examples
    --------
    >>> key = {"election": "x", "region": "r", "district": "d"}
    >>> stations = pd.DataFrame({**key, "station": ["2", "1"]})
    >>> votes = pd.DataFrame({**key, "station": ["1", "1", "2"], "candidate": ["A", "B", "B"], "votes": [5, 4, 7]})
    >>> leader_votes(stations, votes, "A")
    array([nan,  5.])
    """
    sel = votes[votes["candidate"] == leader]
    if sel.empty:
        known = sorted(votes["candidate"].unique())
        raise KeyError(f"candidate {leader!r} is not in the votes table (candidates: {known})")
    return _aligned(
        station_index(sel), sel["votes"].to_numpy(dtype="float64", na_value=np.nan), station_index(stations)
    )


def candidate_votes(stations: pd.DataFrame, votes: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every candidate's votes per stations row: ``{candidate: leader_votes(stations, votes, candidate)}``.

    The same alignment as :func:`leader_votes` (same ``stations`` and ``votes`` tables), with
    the station keys of both tables indexed once rather than once per candidate.

    Returns
    -------
    dict
        Candidate (sorted by name) -> floats aligned with the rows of ``stations``; NaN where
        a station has no figure.

    Examples
    --------
    >>> key = {"election": "x", "region": "r"}
    >>> stations = pd.DataFrame({**key, "district": "d", "station": ["2", "1"]})
    >>> votes = pd.DataFrame({**key, "district": "d", "station": ["1", "1", "2"], "candidate": ["A", "B", "B"],
    ...                       "votes": [5, 4, 7]})
    >>> candidate_votes(stations, votes)
    {'A': array([nan,  5.]), 'B': array([7., 4.])}
    """
    codes, names = pd.factorize(votes["candidate"], sort=True)
    keys, target = station_index(votes), station_index(stations)
    values = votes["votes"].to_numpy(dtype="float64", na_value=np.nan)
    out = {}
    for code, name in enumerate(names):
        rows = np.flatnonzero(codes == code)
        out[str(name)] = _aligned(keys[rows], values[rows], target)
    return out


def _aligned(keys: pd.MultiIndex, values: np.ndarray, target: pd.MultiIndex) -> np.ndarray:
    """``values`` (one per entry of ``keys``, unique) placed at the rows of ``target``; NaN where absent."""
    pos = keys.get_indexer(target)
    out = np.full(len(target), np.nan)
    found = pos >= 0
    out[found] = values[pos[found]]
    return out
