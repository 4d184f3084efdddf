"""Canonical station and long votes tables of a drawn election."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core import canonical
from analysis.synthetic.simulate.honest import StationCounts
from analysis.synthetic.simulate.scenario import Scenario

STATION_COLUMNS = tuple(canonical.STATION_COLUMNS)
COUNT_COLUMNS = tuple(canonical.COUNT_COLUMNS + canonical.DERIVED_COUNT_COLUMNS)
VOTE_COLUMNS = tuple(canonical.VOTE_COLUMNS)

_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _str_column(categories, codes) -> pd.api.extensions.ExtensionArray:
    """``categories[codes]`` as pandas' ``str`` dtype, built in Arrow (object arrays are slow)."""
    cats = pa.array([str(x) for x in categories], type=pa.large_string())
    return pd.array(pc.take(cats, pa.array(np.asarray(codes, dtype=np.int64))), dtype=_STR)


def _station_names(n: int) -> np.ndarray:
    width = max(5, len(str(n)))
    return np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _district_codes(scenario: Scenario, region: np.ndarray):
    """Districts: consecutive stations of a region, ``stations_per_district`` each."""
    n = len(region)
    starts = np.r_[0, np.flatnonzero(np.diff(region)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    dnum = (np.arange(n) - first) // max(int(scenario.stations_per_district), 1) + 1
    labels, codes = np.unique(
        np.char.add(
            np.char.add("R", np.char.zfill((region + 1).astype(str), 2)),
            np.char.add("-D", np.char.zfill(dnum.astype(str), 3)),
        ),
        return_inverse=True,
    )
    return labels, codes


def _tables(scenario: Scenario, c: StationCounts, spare_ratio: float):
    n = len(c.registered)
    issued = c.issued
    received = np.ceil(c.registered * (1.0 + spare_ratio)).astype(np.int64)
    received = np.maximum(received, issued)
    counted = c.invalid + c.valid
    if not np.array_equal(counted, issued):
        raise AssertionError("simulation broke the identity valid + invalid = ballots issued")
    station_names = _station_names(n)
    d_labels, d_codes = _district_codes(scenario, c.region)
    t_labels, t_codes = np.unique(c.station_type.astype(str), return_inverse=True)
    zeros = np.zeros(n, dtype=np.int64)
    counts = {
        "registered": c.registered,
        "ballots_received": received,
        "ballots_issued_early": c.early,
        "ballots_issued_in_station": c.in_station,
        "ballots_issued_mobile": c.mobile,
        "ballots_cancelled": received - issued,
        "ballots_in_portable_boxes": c.mobile,
        "ballots_in_stationary_boxes": issued - c.mobile,
        "invalid": c.invalid,
        "valid": c.valid,
        "lost": zeros,
        "unaccounted": zeros,
        "ballots_issued": issued,
        "ballots_in_boxes": counted,
    }
    cols = {
        "election": _str_column([scenario.name], np.zeros(n, dtype=np.int64)),
        "region": _str_column(scenario.region_names, c.region),
        "district": _str_column(d_labels, d_codes),
        "station": _str_column(station_names, np.arange(n)),
        "station_type": _str_column(t_labels, t_codes),
    }
    cols.update({k: pd.array(v.astype(np.int64), dtype="Int64") for k, v in counts.items()})
    cols["flag"] = _str_column([""], np.zeros(n, dtype=np.int64))
    stations = pd.DataFrame(cols, columns=list(STATION_COLUMNS))
    k1 = 1 + c.others.shape[1]
    row_station = np.repeat(np.arange(n), k1)
    votes = pd.DataFrame(
        {
            "election": _str_column([scenario.name], np.zeros(n * k1, dtype=np.int64)),
            "region": _str_column(scenario.region_names, c.region[row_station]),
            "district": _str_column(d_labels, d_codes[row_station]),
            "station": _str_column(station_names, row_station),
            "candidate": _str_column(scenario.candidates, np.tile(np.arange(k1), n)),
            "votes": pd.array(np.column_stack([c.leader, c.others]).ravel().astype(np.int64), dtype="Int64"),
        }
    )
    return stations, votes
