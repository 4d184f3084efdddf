"""Turnout and leader share from the canonical station table.

Definitions follow Kobak, Shpilkin & Pshenichnikov (2016, Annals of Applied Statistics
10(1), section 2): leader share = leader votes / (valid + invalid ballots); turnout =
ballots issued / registered (the official definition, ``definition="issued"``) or ballots
found in the boxes / registered (``definition="boxes"``, the one Kobak et al. use).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.canonical import KEY

TURNOUT_DEFINITIONS = ("issued", "boxes")


def _as_float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="raise").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def turnout_numerator(stations: pd.DataFrame, definition: str = "issued") -> np.ndarray:
    """Ballots issued (official) or ballots in boxes, per station, as floats (NaN = missing)."""
    if definition not in TURNOUT_DEFINITIONS:
        raise ValueError(f"turnout definition {definition!r}: expected one of {TURNOUT_DEFINITIONS}")
    column = "ballots_issued" if definition == "issued" else "ballots_in_boxes"
    return _as_float(stations[column])


def turnout(stations: pd.DataFrame, definition: str = "issued") -> np.ndarray:
    """Turnout as a fraction in [0, ∞); NaN where registered is 0 or missing."""
    registered = _as_float(stations["registered"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = turnout_numerator(stations, definition) / registered
    out[~(registered > 0)] = np.nan
    return out


def ballots_counted(stations: pd.DataFrame) -> np.ndarray:
    """Valid + invalid ballots: the denominator of the leader share."""
    return _as_float(stations["valid"]) + _as_float(stations["invalid"])


def leader_share(stations: pd.DataFrame, leader_votes) -> np.ndarray:
    """Leader votes / (valid + invalid), as a fraction; NaN where no ballots were counted."""
    denom = ballots_counted(stations)
    lv = np.asarray(leader_votes, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lv / denom
    out[~(denom > 0)] = np.nan
    return out


def station_index(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[KEY])


def leader_votes(stations: pd.DataFrame, votes: pd.DataFrame, leader: str) -> np.ndarray:
    """The ``leader``'s votes per stations row (float; NaN where the station has no figure)."""
    sel = votes[votes["candidate"] == leader]
    if sel.empty:
        known = sorted(votes["candidate"].unique())
        raise KeyError(f"candidate {leader!r} is not in the votes table (candidates: {known})")
    pos = station_index(sel).get_indexer(station_index(stations))
    values = sel["votes"].to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(stations), np.nan)
    found = pos >= 0
    out[found] = values[pos[found]]
    return out
