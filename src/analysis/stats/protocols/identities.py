"""Protocol arithmetic: the reconciliation identities a precinct protocol must satisfy.

Each identity has a name (used in the results keys ``fail_<name>``) and a one-line formula.
Per station it is *evaluable* when every input is present (a missing input is not a
failure), *fails* when the equality does not hold (or the inequality is violated), and its
*discrepancy* is left side − right side (for the inequalities, the excess: > 0 fails).

Ballots handed out. The Russian protocol's issued lines (early + in the station + mobile)
are the ballots that left the commission's stock; where a source also records ballots
handed out by post (extra column ``ballots_issued_postal``, e.g. Poland's envelopes put into
the box), those are added for the comparisons with the box and the register, but not for the
stock identity (postal packages do not come from the commission's received ballots). Where a
source has no issued lines at all, the source's own ``ballots_issued`` is used.

Sign of lost / unaccounted (Russian protocol lines 10а "lost" and 10б "not accounted for on
receipt"): ballots received + ballots found that were not accounted for = issued + cancelled
+ lost, i.e. received = issued + cancelled + lost − unaccounted. With this sign the 2011
Duma file balances at every station (the opposite sign leaves 28 stations unbalanced).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.canonical import ISSUED_LINES, KEY


@dataclass(frozen=True)
class Identity:
    """One protocol identity.

    Attributes
    ----------
    name : str
        Short name, used in the results keys ``fail_<name>``.
    formula : str
        One-line formula.
    kind : str
        ``"equality"``, or ``"inequality"`` (fails where the discrepancy is > 0).
    description : str
        What it means.
    """

    name: str
    formula: str
    kind: str
    description: str


IDENTITIES: tuple[Identity, ...] = (
    Identity(
        "received_issued_cancelled",
        "ballots received = ballots issued + ballots cancelled",
        "equality",
        "The commission's stock of ballots is all handed out or cancelled.",
    ),
    Identity(
        "received_issued_cancelled_lost_unaccounted",
        "ballots received = ballots issued + cancelled + lost − not accounted for on receipt",
        "equality",
        "The stock identity once the protocol's lost and unaccounted ballots are included.",
    ),
    Identity(
        "boxes_valid_invalid",
        "ballots in the boxes = valid + invalid",
        "equality",
        "Every ballot taken from the boxes is counted as valid or invalid.",
    ),
    Identity(
        "valid_sum_candidates",
        "valid ballots = Σ votes of the candidates (parties)",
        "equality",
        "The valid ballots are exactly the votes distributed among the candidates.",
    ),
    Identity(
        "issued_valid_invalid",
        "ballots issued = valid + invalid",
        "equality",
        "Every ballot handed to a voter is counted (ballots taken away make the count smaller).",
    ),
    Identity(
        "boxes_gt_issued",
        "ballots in the boxes ≤ ballots issued",
        "inequality",
        "No more ballots can come out of the boxes than were handed to voters.",
    ),
    Identity(
        "issued_gt_registered",
        "ballots issued ≤ registered voters (+ voters added, where known)",
        "inequality",
        "No more ballots can be handed out than there are voters on the list.",
    ),
)

IDENTITY_NAMES = tuple(i.name for i in IDENTITIES)
_BY_NAME = {i.name: i for i in IDENTITIES}


def identity(name: str) -> Identity:
    """The identity called ``name`` (one of :data:`IDENTITY_NAMES`).

    Parameters
    ----------
    name : str
        The identity's name.

    Returns
    -------
    Identity
        Its formula, kind and description.

    References
    ----------
    Central Election Commission of the Russian Federation, polling-station protocol of the 2011
    State Duma election (lines 1-10б: ballots received, issued, cancelled, in the boxes).

    Examples
    --------
    >>> identity("boxes_valid_invalid").formula
    'ballots in the boxes = valid + invalid'
    """
    return _BY_NAME[name]


def _col(stations: pd.DataFrame, name: str) -> pd.Series:
    if name in stations.columns:
        return stations[name].astype("Int64").reset_index(drop=True)
    return pd.Series(pd.NA, index=range(len(stations)), dtype="Int64")


def _sum_present(stations: pd.DataFrame, lines: list[str]) -> pd.Series | None:
    """Sum of the lines the source has (a column that is all <NA> is a line it lacks)."""
    present = [c for c in lines if c in stations.columns and stations[c].notna().any()]
    if not present:
        return None
    total = _col(stations, present[0])
    for c in present[1:]:
        total = total + _col(stations, c)
    return total


def issued_from_stock(stations: pd.DataFrame) -> pd.Series:
    """Ballots handed out from the commission's stock: early + in station + mobile lines.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table.

    Returns
    -------
    pandas.Series
        ``Int64``: the sum of the issued lines the source has (a column that is all <NA> is a
        line it lacks), or the source's ``ballots_issued`` where it has none.

    References
    ----------
    Central Election Commission of the Russian Federation, polling-station protocol of the 2011
    State Duma election (lines 1-10б: ballots received, issued, cancelled, in the boxes).

    Examples
    --------
    >>> st = pd.DataFrame({"ballots_issued_early": [1], "ballots_issued_in_station": [50],
    ...                    "ballots_issued_mobile": [4]})
    >>> issued_from_stock(st).tolist()
    [55]
    """
    total = _sum_present(stations, ISSUED_LINES)
    return _col(stations, "ballots_issued") if total is None else total


def issued_to_voters(stations: pd.DataFrame) -> pd.Series:
    """Ballots handed to voters in any way: stock lines + postal (where the source records it).

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table, optionally with the extra column ``ballots_issued_postal``.

    Returns
    -------
    pandas.Series
        ``Int64`` ballots handed out per station.

    References
    ----------
    Central Election Commission of the Russian Federation, polling-station protocol of the 2011
    State Duma election (lines 1-10б: ballots received, issued, cancelled, in the boxes).

    Examples
    --------
    >>> st = pd.DataFrame({"ballots_issued_in_station": [50], "ballots_issued_postal": [3]})
    >>> issued_to_voters(st).tolist()
    [53]
    """
    total = _sum_present(stations, ISSUED_LINES)
    if total is None:
        return _col(stations, "ballots_issued")
    if "ballots_issued_postal" in stations.columns:
        total = total + _col(stations, "ballots_issued_postal")
    return total


def candidate_vote_sums(stations: pd.DataFrame, votes: pd.DataFrame) -> pd.Series:
    """Σ votes per stations row; <NA> where the station has no votes rows or any missing figure.

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical stations and long votes tables.

    Returns
    -------
    pandas.Series
        ``Int64`` sums aligned with the rows of ``stations``.

    References
    ----------
    Central Election Commission of the Russian Federation, polling-station protocol of the 2011
    State Duma election (lines 1-10б: ballots received, issued, cancelled, in the boxes).

    Examples
    --------
    >>> key = {"election": "x", "region": "r", "district": "d"}
    >>> stations = pd.DataFrame({**key, "station": ["1", "2"]})
    >>> votes = pd.DataFrame({**key, "station": ["1", "1"], "candidate": ["A", "B"], "votes": [3, 4]})
    >>> candidate_vote_sums(stations, votes).tolist()
    [7, <NA>]
    """
    grouped = votes.groupby(KEY, sort=False, observed=True)["votes"]
    sums = grouped.sum(min_count=1)
    complete = grouped.count() == grouped.size()
    sums = sums.where(complete)
    pos = sums.index.get_indexer(pd.MultiIndex.from_frame(stations[KEY]))
    values = sums.astype("Int64").array
    out = pd.array([pd.NA] * len(stations), dtype="Int64")
    found = pos >= 0
    out[found] = values[pos[found]]
    return pd.Series(out)
