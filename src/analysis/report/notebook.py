"""Helpers shared by the notebooks: loading an election's tables for a notebook.

Thin glue between the data layer (reading prepared tables) and the statistics layer
(computing station measures); no statistics are computed here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.core import config
from analysis.data import datasets
from analysis.stats import measures
from analysis.stats.distributions import StationMeasures, station_measures


def load_election_measures(
    election: str,
    *,
    turnout_definition: str = "issued",
    min_registered: int = 0,
    station_types: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, StationMeasures]:
    """``(stations, votes, measures)`` of a station-level election, the leader from its config.

    Reads through ``analysis.data.datasets.load_stations`` (raises ``DatasetUnavailable`` where
    the data cannot be had); no statistics here.
    """
    cfg = config.load_election(election)
    stations, votes = datasets.load_stations(election)
    lv = measures.leader_votes(stations, votes, cfg["leader"])
    m = station_measures(
        stations, lv, turnout_definition=turnout_definition, min_registered=min_registered, station_types=station_types
    )
    return stations, votes, m
