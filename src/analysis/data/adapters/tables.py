"""Assembling the canonical stations and votes tables from parsed source columns (every adapter).

:func:`canonical_tables` does what every adapter shares: missing-line handling (a line the
source lacks is ``<NA>``, never 0), derived columns, flags, the long votes table, sorting
and the row accounting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.core.canonical import ADDED_ON_DAY_COLUMN, BOX_LINES, IMPOSSIBLE_COLUMN, ISSUED_LINES
from analysis.data.adapters.keys import station_keys
from analysis.data.adapters.reading import AdapterError, SourceRows
from analysis.data.schema import COUNT_COLUMNS, KEY, STATION_COLUMNS, STATION_TYPES


@dataclass(frozen=True)
class CanonicalTables:
    """What an adapter returns: the canonical tables and the row accounting."""

    stations: pd.DataFrame
    votes: pd.DataFrame
    accounting: pd.DataFrame = field(repr=False)


def _sum_lines(stations: pd.DataFrame, lines: list[str]) -> pd.Series:
    """Sum of the lines the source has (not all-NA); NA where any of them is NA for a row."""
    present = [c for c in lines if stations[c].notna().any()]
    if not present:
        return pd.Series(pd.NA, index=stations.index, dtype="Int64")
    total = stations[present[0]].copy()
    for c in present[1:]:
        total = total + stations[c]
    return total


def _station_sort_order(keys: pd.DataFrame) -> np.ndarray:
    """Rows sorted by region, district, then station number (numeric where it is a number)."""
    numeric = pd.to_numeric(keys["station"], errors="coerce")
    frame = pd.DataFrame(
        {
            "region": keys["region"].to_numpy(),
            "district": keys["district"].to_numpy(),
            "num_missing": numeric.isna().to_numpy(),
            "num": numeric.fillna(0).to_numpy(),
            "station": keys["station"].to_numpy(),
        }
    )
    return frame.sort_values(list(frame.columns), kind="mergesort").index.to_numpy()


VOTES_GT_REGISTERED = "votes > registered"
REGISTERED_ZERO_WITH_VOTES = "registered = 0 with votes"
VALID_INVALID_NE_BOXES = "valid + invalid != ballots in boxes"
IMPOSSIBLE_REASONS = (VOTES_GT_REGISTERED, REGISTERED_ZERO_WITH_VOTES, VALID_INVALID_NE_BOXES)


def impossible_counts(stations: pd.DataFrame) -> pd.Series:
    """Per station, ``""`` or the protocol counts that cannot all be true (reasons joined by ``"; "``).

    ``votes > registered``: valid + invalid ballots exceed the registered voters (registered
    > 0); ``registered = 0 with votes``: no registered voter but ballots issued or counted;
    ``valid + invalid != ballots in boxes``: the ballots counted are not the ballots found in
    the boxes. A comparison with a missing count is not made. These rows are kept, and their
    ``flag`` is unchanged: whether to show or exclude them is the analysis' decision
    (:func:`analysis.stats.distributions.station_measures` excludes them, counted by reason).

    Voters added to the roll on the day (``added_on_day``: certificate or absentee voters) do
    not excuse ``votes > registered``: both sources count the roll at the close of voting,
    the voters added to it included (PKW protocol point 1, voters entitled to vote; CEC
    protocol line 1, voters on the list), so more votes than registered voters is a
    clerical error whatever their number (pl2020r1: 2,200 ballots, 2,196 on the roll, 1,324
    of them certificate voters).
    """
    votes = stations["valid"] + stations["invalid"]
    registered = stations["registered"]
    tests = {
        VOTES_GT_REGISTERED: (registered > 0) & (votes > registered),
        REGISTERED_ZERO_WITH_VOTES: (registered == 0) & ((votes > 0) | (stations["ballots_issued"] > 0)),
        VALID_INVALID_NE_BOXES: votes != stations["ballots_in_boxes"],
    }
    out = np.full(len(stations), "", dtype=object)
    for reason, hit in tests.items():
        for i in np.flatnonzero(hit.fillna(False).to_numpy(dtype=bool)):  # rare
            out[i] = f"{out[i]}; {reason}" if out[i] else reason
    return pd.Series(out, index=stations.index, dtype="str")


def _added_on_day(series: pd.Series | None, n: int, source: str) -> pd.Series:
    if series is None:
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    if str(series.dtype) != "Int64":
        raise AdapterError(f"{source}: added_on_day names a text column; it must name a count extra")
    return series.reset_index(drop=True)


def canonical_tables(
    *,
    election: str,
    keys: pd.DataFrame,
    counts: dict[str, pd.Series],
    candidates: dict[str, pd.Series],
    station_type: pd.Series,
    extras: dict[str, pd.Series] | None = None,
    source: str,
    missing_token: str = "",
    rows: SourceRows,
    key_normalise: dict | None = None,
    added_on_day: str | None = None,
    errata: list[dict] | None = None,
) -> CanonicalTables:
    """Assemble the canonical stations and votes tables from parsed source columns.

    ``keys`` holds ``region``, ``district``, ``station`` (strings); ``counts`` maps canonical
    count names (including optional ``ballots_issued`` / ``ballots_in_boxes`` given by the
    source itself) to ``Int64`` series; ``candidates`` maps candidate name -> ``Int64``
    votes; ``extras`` are source-specific columns kept after the canonical ones.

    Derived: ``ballots_issued`` = the source's own figure when given, else the sum of the
    issued lines; ``ballots_in_boxes`` likewise from the box lines. ``flag``: rows whose every
    numeric value is missing are flagged ``missing: all numeric columns are "<token>"``, rows
    with some missing values ``missing: <columns>``, rows with an empty key cell
    ``empty key: <columns>`` (reasons joined by ``"; "``). Keys are normalised and checked by
    :func:`analysis.data.adapters.keys.station_keys` (rule ``key_normalise`` from the
    catalog entry). ``impossible_counts`` (after ``flag``) says which protocol counts cannot
    all be true (:func:`impossible_counts`); such rows keep their ``flag``. ``added_on_day``
    (after it) copies the count extra the catalog entry's ``added_on_day:`` names, the voters
    added to the roll on election day (``<NA>`` where the entry names none or the source lacks
    the line). ``errata`` (the catalog entry's list of protocol errors, each naming a station
    key and a reason) add ``erratum: <reason>`` to the ``flag`` of their station; an erratum
    naming no station is an :class:`AdapterError`.
    ``rows`` (what the adapter read: :class:`~analysis.data.adapters.reading.SourceRows`)
    locates each row in the source file for error messages and gives the row accounting:
    ``read`` (physical data rows of the file, counted by the csv module) must equal ``kept``
    (stations) + ``dropped`` (the reasons the reader gave, e.g. blank lines), or the rows
    were lost somewhere and :class:`AdapterError` says so.
    """
    n = len(keys)
    if n == 0:
        dropped = f" ({sum(rows.dropped.values())} dropped: {rows.dropped})" if rows.dropped else ""
        raise AdapterError(f"{source}: no stations: the file has a header but no data rows{dropped}")
    keys, key_flags = station_keys(keys, rule=key_normalise, source=source, rows=rows)
    stations = pd.DataFrame(
        {
            "election": pd.Series([election] * n, dtype="str"),
            "region": keys["region"].astype("str"),
            "district": keys["district"].astype("str"),
            "station": keys["station"].astype("str"),
            "station_type": station_type.astype("str").reset_index(drop=True),
        }
    )
    unknown_types = sorted(set(stations["station_type"]) - set(STATION_TYPES))
    if unknown_types:
        raise AdapterError(f"{source}: station types {unknown_types} are not among {STATION_TYPES}")
    for name in COUNT_COLUMNS:
        stations[name] = (
            counts[name].reset_index(drop=True) if name in counts else pd.Series(pd.NA, index=range(n), dtype="Int64")
        )
    stations["ballots_issued"] = (
        counts["ballots_issued"].reset_index(drop=True)
        if "ballots_issued" in counts
        else _sum_lines(stations, ISSUED_LINES)
    )
    stations["ballots_in_boxes"] = (
        counts["ballots_in_boxes"].reset_index(drop=True)
        if "ballots_in_boxes" in counts
        else _sum_lines(stations, BOX_LINES)
    )

    # Flags come from the numbers the source provides (a line it lacks is not "missing").
    numeric = {k: v.reset_index(drop=True) for k, v in counts.items()}
    numeric.update({f"votes for {c}": v.reset_index(drop=True) for c, v in candidates.items()})
    na = pd.DataFrame({k: v.isna().to_numpy() for k, v in numeric.items()}) if numeric else pd.DataFrame(index=range(n))
    n_missing = na.sum(axis=1).to_numpy() if numeric else np.zeros(n, dtype=int)
    flag = np.full(n, "", dtype=object)
    all_missing = (n_missing == len(numeric)) & (len(numeric) > 0)
    flag[all_missing] = f'missing: all numeric columns are "{missing_token}"'
    partial = (n_missing > 0) & ~all_missing
    if partial.any():
        names = np.array(list(numeric))
        for i in np.flatnonzero(partial):  # rare: only rows with holes
            flag[i] = "missing: " + ", ".join(names[na.iloc[i].to_numpy()])
    for i in np.flatnonzero(key_flags != ""):  # rare
        flag[i] = f"{flag[i]}; {key_flags[i]}" if flag[i] else key_flags[i]
    for erratum in errata or ():
        hit = np.ones(n, dtype=bool)
        for name in ("region", "district", "station"):
            hit &= (stations[name] == erratum[name]).to_numpy()
        if not hit.any():
            raise AdapterError(
                f"{source}: erratum for station {[erratum[k] for k in KEY[1:]]} names no station of the file"
            )
        i = int(np.flatnonzero(hit)[0])
        flag[i] = f"{flag[i]}; erratum: {erratum['reason']}" if flag[i] else f"erratum: {erratum['reason']}"
    stations["flag"] = pd.Series(flag, dtype="str")
    stations[IMPOSSIBLE_COLUMN] = impossible_counts(stations)
    stations[ADDED_ON_DAY_COLUMN] = _added_on_day((extras or {}).get(added_on_day) if added_on_day else None, n, source)
    for name, series in (extras or {}).items():
        if name in stations.columns:
            raise AdapterError(f"{source}: extra column {name!r} clashes with a canonical column")
        stations[name] = series.reset_index(drop=True)
    stations = stations[STATION_COLUMNS + [c for c in stations.columns if c not in STATION_COLUMNS]]

    order = _station_sort_order(stations)
    stations = stations.iloc[order].reset_index(drop=True)

    # Long votes: station-major, candidates in source order; missing votes stay <NA>.
    cand_names = list(candidates)
    if cand_names:
        matrix = np.column_stack(
            [candidates[c].reset_index(drop=True).to_numpy(dtype="float64", na_value=np.nan)[order] for c in cand_names]
        )
        flat = matrix.reshape(-1)
        votes_values = pd.array(np.where(np.isnan(flat), 0, flat).astype("int64"), dtype="Int64")
        votes_values[np.isnan(flat)] = pd.NA
        k = len(cand_names)
        # take() on the string arrays keeps them arrow-backed: far faster than np.repeat on objects.
        station_rows = np.repeat(np.arange(len(stations)), k)
        votes = pd.DataFrame({c: stations[c].take(station_rows).reset_index(drop=True) for c in KEY})
        votes["candidate"] = pd.Series(pd.array(cand_names, dtype="str").take(np.tile(np.arange(k), len(stations))))
        votes["votes"] = votes_values
    else:
        votes = pd.DataFrame({c: pd.Series(dtype="str") for c in KEY + ["candidate"]})
        votes["votes"] = pd.Series(dtype="Int64")

    flagged = stations["flag"][stations["flag"] != ""]
    n_dropped = sum(rows.dropped.values())
    if rows.n_read != len(stations) + n_dropped:
        raise AdapterError(
            f"{source}: row accounting does not add up: {rows.n_read} data rows read from the file, "
            f"{len(stations)} kept as stations + {n_dropped} dropped ({rows.dropped or 'none'}); rows were lost"
        )
    acc_rows = [("read", "", rows.n_read), ("kept", "", len(stations)), ("dropped", "", n_dropped)]
    acc_rows += [("dropped", reason, count) for reason, count in sorted(rows.dropped.items())]
    for reason, count in sorted(flagged.value_counts().items()):
        acc_rows.append(("flagged", reason, int(count)))
    acc_rows.append(("flagged_total", "", int(len(flagged))))
    reasons = stations[IMPOSSIBLE_COLUMN][stations[IMPOSSIBLE_COLUMN] != ""].str.split("; ").explode()
    for reason in IMPOSSIBLE_REASONS:
        acc_rows.append(("impossible", reason, int((reasons == reason).sum())))
    acc_rows.append(("impossible_total", "", int((stations[IMPOSSIBLE_COLUMN] != "").sum())))
    accounting = pd.DataFrame(acc_rows, columns=["stage", "reason", "rows"])
    return CanonicalTables(stations=stations, votes=votes, accounting=accounting)


def station_type_series(df: pd.DataFrame, spec, source: str) -> pd.Series:
    if spec is None:
        return pd.Series(["unknown"] * len(df), dtype="str")
    if isinstance(spec, str):
        return pd.Series([spec] * len(df), dtype="str")
    column = spec["column"]
    if column not in df.columns:
        raise AdapterError(f"{source}: station_type column {column!r} not found")
    mapping = spec.get("map", {}) or {}
    default = spec.get("default")
    raw = df[column].astype("str").str.strip()
    mapped = raw.map(mapping)
    mapped = mapped.where(mapped.notna(), raw.where(raw.isin(STATION_TYPES)))
    if default is not None:
        mapped = mapped.fillna(default)
    if mapped.isna().any():
        values = sorted(set(raw[mapped.isna()]))
        raise AdapterError(f"{source}: column {column!r}: station type(s) {values} not mapped and no default")
    return mapped.astype("str")
