"""Column names of the canonical polling-station tables (docs/ARCHITECTURE.md).

The names live in the core layer so that every layer can speak of canonical tables; the
pandera schemas that validate them are in :mod:`analysis.data.schema`.
"""

from __future__ import annotations

KEY = ["election", "region", "district", "station"]

#: ``electronic``: a pseudo-station holding remote electronic votes (Russia's ДЭГ), not a
#: place where people vote; like ``abroad`` it stays out of analyses of ``ordinary`` stations.
STATION_TYPES = ("ordinary", "abroad", "institution", "military", "ship", "unknown", "electronic")

#: Station types that are not polling places at home (remote e-voting pseudo-stations, stations
#: abroad): station-level nulls leave them out by default, and notebooks show how many that is.
PSEUDO_STATION_TYPES = ("electronic", "abroad")

COUNT_COLUMNS = [
    "registered",
    "ballots_received",
    "ballots_issued_early",
    "ballots_issued_in_station",
    "ballots_issued_mobile",
    "ballots_cancelled",
    "ballots_in_portable_boxes",
    "ballots_in_stationary_boxes",
    "invalid",
    "valid",
    "lost",
    "unaccounted",
]

DERIVED_COUNT_COLUMNS = ["ballots_issued", "ballots_in_boxes"]

#: The protocol's lines of ballots issued; ``ballots_issued`` is their sum where a source has them.
ISSUED_LINES = ["ballots_issued_early", "ballots_issued_in_station", "ballots_issued_mobile"]
#: The protocol's lines of ballots found in the boxes; ``ballots_in_boxes`` is their sum.
BOX_LINES = ["ballots_in_portable_boxes", "ballots_in_stationary_boxes"]

#: Column order of the canonical stations table; extras follow.
STATION_COLUMNS = KEY + ["station_type"] + COUNT_COLUMNS + DERIVED_COUNT_COLUMNS + ["flag"]

#: Columns the adapters add after ``flag`` (synthetic tables may lack them). Protocol counts
#: that cannot all be true: ``""`` or the reasons (``analysis.data.adapters.tables.impossible_counts``).
IMPOSSIBLE_COLUMN = "impossible_counts"
#: Voters added to the station's roll on election day, every one of whom voted there (Polish
#: certificate voters, Russian absentee-certificate voters): a copy of the source column named
#: by the catalog entry's ``added_on_day:``, ``<NA>`` where the source does not say.
ADDED_ON_DAY_COLUMN = "added_on_day"

VOTE_COLUMNS = KEY + ["candidate", "votes"]
