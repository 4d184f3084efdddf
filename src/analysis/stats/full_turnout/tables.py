"""Descriptive tables of stations at (or near) full turnout."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.core.canonical import KEY
from analysis.stats.distributions import StationMeasures
from analysis.stats.full_turnout.excess import _min_count
from analysis.stats.full_turnout.rates import rate_with_ci


def full_turnout_table(m: StationMeasures, *, by: str = "region", threshold: float = 0.99) -> pd.DataFrame:
    """Stations at exactly 100 % and at turnout >= ``threshold``, grouped by region or station type.

    Parameters
    ----------
    m : StationMeasures
        Stations from :func:`analysis.stats.distributions.station_measures`.
    by : {"region", "station_type"}
        Grouping.
    threshold : float
        Turnout threshold of the ``*_ge`` columns.

    Returns
    -------
    pandas.DataFrame
        Per group: stations, registered, n_turnout_100, registered_turnout_100,
        leader_votes_turnout_100, leader_share_turnout_100 (leader votes / ballots counted
        there), leader_share_elsewhere, n_turnout_ge (>= threshold), leader_share_turnout_ge
        and the sums they come from. The last row, ``all``, totals every group.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 5
    (the leader's share at 100 %-turnout stations).

    Examples
    --------
    >>> from analysis.stats.distributions import station_measures
    >>> stations = pd.DataFrame({"region": ["a", "b"], "registered": [100, 200],
    ...                          "ballots_issued": [100, 120], "valid": [100, 120], "invalid": [0, 0]})
    >>> t = full_turnout_table(station_measures(stations, [90, 60]))
    >>> t[["region", "n_turnout_100", "leader_share_turnout_100"]]
      region  n_turnout_100  leader_share_turnout_100
    0      a              1                       0.9
    1      b              0                       NaN
    2    all              1                       0.9
    """
    if by not in ("region", "station_type"):
        raise ValueError(f"by={by!r}: expected 'region' or 'station_type'")
    full = m.turnout_numerator == m.registered
    ge = m.turnout_numerator >= _min_count(m.registered, threshold)
    df = pd.DataFrame(
        {
            by: getattr(m, by),
            "stations": 1,
            "registered": m.registered,
            "voters": m.voters,
            "leader_votes": m.leader_votes,
            "n_turnout_100": full.astype(int),
            "registered_turnout_100": np.where(full, m.registered, 0.0),
            "voters_turnout_100": np.where(full, m.voters, 0.0),
            "leader_votes_turnout_100": np.where(full, m.leader_votes, 0.0),
            "n_turnout_ge": ge.astype(int),
            "voters_turnout_ge": np.where(ge, m.voters, 0.0),
            "leader_votes_turnout_ge": np.where(ge, m.leader_votes, 0.0),
        }
    )
    g = df.groupby(by, sort=True).sum(numeric_only=True)
    g.loc["all"] = g.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        g["leader_share_turnout_100"] = g["leader_votes_turnout_100"] / g["voters_turnout_100"]
        g["leader_share_elsewhere"] = (g["leader_votes"] - g["leader_votes_turnout_100"]) / (
            g["voters"] - g["voters_turnout_100"]
        )
        g["leader_share_turnout_ge"] = g["leader_votes_turnout_ge"] / g["voters_turnout_ge"]
    return g.reset_index()


def count_extreme(
    m: StationMeasures, *, turnout_min: float = 0.99, share_min: float = 0.99, min_registered: int = 100
) -> int:
    """Stations with >= ``min_registered`` voters, turnout >= ``turnout_min`` and leader share >= ``share_min``.

    Parameters
    ----------
    m : StationMeasures
        Stations from :func:`analysis.stats.distributions.station_measures`.
    turnout_min, share_min : float
        Thresholds (fractions).
    min_registered : int
        Smallest station counted.

    Returns
    -------
    int
        The number of such stations (the upper-right corner of the fingerprint).

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473 (extreme fraud:
    stations near 100 % turnout and 100 % for the winner).

    Examples
    --------
    >>> from analysis.stats.distributions import station_measures
    >>> stations = pd.DataFrame({"registered": [100, 200], "ballots_issued": [100, 120],
    ...                          "valid": [100, 120], "invalid": [0, 0]})
    >>> count_extreme(station_measures(stations, [100, 60]))
    1
    """
    return int(((m.registered >= min_registered) & (m.turnout >= turnout_min) & (m.leader_share >= share_min)).sum())


def max_candidate_share(stations: pd.DataFrame, votes: pd.DataFrame) -> np.ndarray:
    """Largest candidate's votes / valid ballots per stations row.

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical stations and long votes tables.

    Returns
    -------
    numpy.ndarray
        One share per stations row; NaN where valid is 0 or missing.

    References
    ----------
    OSCE/ODIHR (2011), *Republic of Kazakhstan, Early Presidential Election, 3 April 2011:
    Final Report*, section XIV ("more than 99 per cent for one candidate", a share of valid
    votes; the reference elections use the same denominator).

    Examples
    --------
    >>> stations = pd.DataFrame({"station": ["1", "2"], "valid": [10, 0]})
    >>> votes = pd.DataFrame({"station": ["1", "1", "2"], "candidate": ["A", "B", "A"], "votes": [7, 3, 0]})
    >>> max_candidate_share(stations, votes)
    array([0.7, nan])
    """
    key = [c for c in KEY if c in stations and c in votes]
    top = votes.groupby(key, sort=False)["votes"].max()
    aligned = top.reindex(pd.MultiIndex.from_frame(stations[key])).to_numpy(dtype=float, na_value=np.nan)
    valid = pd.to_numeric(stations["valid"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = aligned / valid
    out[~(valid > 0)] = np.nan
    return out


def special_station_rates(m: StationMeasures, types: Sequence[str]) -> pd.DataFrame:
    """Per station type: stations, number at exactly 100 % turnout, rate and exact interval.

    Parameters
    ----------
    m : StationMeasures
        Stations from :func:`analysis.stats.distributions.station_measures`.
    types : sequence of str
        Station types, in the order of the rows (types without stations are left out).

    Returns
    -------
    pandas.DataFrame
        ``station_type``, ``stations``, ``n_turnout_100``, ``rate``, ``ci_low``, ``ci_high``.

    References
    ----------
    Clopper & Pearson (1934), *Biometrika* 26(4) (the interval, :func:`rate_with_ci`).

    Examples
    --------
    >>> from analysis.stats.distributions import station_measures
    >>> stations = pd.DataFrame({"station_type": ["military", "ordinary"], "registered": [100, 200],
    ...                          "ballots_issued": [100, 120], "valid": [100, 120], "invalid": [0, 0]})
    >>> special_station_rates(station_measures(stations, [90, 60]), ["military"])[["station_type", "rate"]]
      station_type  rate
    0     military   1.0
    """
    rows = []
    for t in types:
        sel = m.station_type == t
        n = int(sel.sum())
        if n == 0:
            continue
        k = int((m.turnout_numerator[sel] == m.registered[sel]).sum())
        r = rate_with_ci(k, n)
        rows.append(
            {
                "station_type": t,
                "stations": n,
                "n_turnout_100": k,
                "rate": r.rate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
            }
        )
    return pd.DataFrame(rows, columns=["station_type", "stations", "n_turnout_100", "rate", "ci_low", "ci_high"])
