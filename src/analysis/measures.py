"""Turnout and leader share from the canonical station table.

Definitions follow Kobak, Shpilkin & Pshenichnikov (2016, Annals of Applied Statistics
10(1), section 2): leader share = leader votes / (valid + invalid ballots); turnout =
ballots issued / registered (the official definition, ``definition="issued"``) or ballots
found in the boxes / registered (``definition="boxes"``, the one Kobak et al. use).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
