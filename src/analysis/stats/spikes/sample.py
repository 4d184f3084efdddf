"""Kobak et al.'s station sample and its integer-percentage flags and null probabilities.

The sample: ballots received > 0, at least 100 registered voters, turnout and leader share at
most 99 %. A station is "integer" when its leader share or turnout lies within 0.05 points of
an integer percentage; under the binomial null it is so with the exact probability q of
:func:`~analysis.stats.spikes.integer.integer_probability`.

References
----------
Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73, section 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analysis.stats.spikes.integer import integer_probability, is_integer_percentage
from analysis.stats.station_types import station_type_filter

QUANTITIES = ("leader", "turnout", "either")


@dataclass(frozen=True)
class IntegerSample:
    """Stations entering the integer-percentage test, with their counts and sizes.

    Attributes
    ----------
    leader, counted : numpy.ndarray of int
        Leader votes and valid + invalid ballots (the leader-share fraction).
    turnout_count, registered : numpy.ndarray of int
        Ballots issued and registered voters (the turnout fraction).
    included : numpy.ndarray of bool
        Which input rows were kept.
    filter_applied : str
        The selection rule and how many rows it kept.

    Examples
    --------
    >>> s = kobak_sample([300, 5], [600, 10], [0, 0], [600, 10], [1000, 1000], [1000, 0])
    >>> s.n_included, s.included.tolist()  # the second station received no ballots
    (1, [True, False])
    """

    leader: np.ndarray
    counted: np.ndarray
    turnout_count: np.ndarray
    registered: np.ndarray
    included: np.ndarray
    filter_applied: str

    @property
    def n_included(self) -> int:
        """Number of stations in the sample."""
        return int(self.leader.size)


def kobak_sample(
    leader_votes,
    valid,
    invalid,
    ballots_issued,
    registered,
    ballots_received,
    *,
    min_registered: int = 100,
    max_share: float = 0.99,
) -> IntegerSample:
    """Select stations as Kobak et al. (2016, section 3) do.

    Kept: ballots received > 0, registered >= ``min_registered``, turnout
    (ballots issued / registered) <= ``max_share`` and leader share
    (leader / (valid + invalid)) <= ``max_share``. Rows with a missing value in any of these
    columns cannot be judged and are excluded (and counted in ``filter_applied``).

    Parameters
    ----------
    leader_votes, valid, invalid, ballots_issued, registered, ballots_received : array_like
        One entry per station (missing values allowed: pandas NA or NaN).
    min_registered : int, optional
        Smallest number of registered voters kept (default 100).
    max_share : float, optional
        Largest turnout and leader share kept, as fractions (default 0.99).

    Returns
    -------
    IntegerSample

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> s = kobak_sample([300, 30], [580, 58], [20, 2], [600, 60], [1000, 99], [1000, 99])
    >>> s.n_included, s.counted.tolist()  # the second station has 99 registered voters
    (1, [600])
    """
    arrays = [
        np.asarray(pd.array(x, dtype="Float64").to_numpy(dtype=float, na_value=np.nan))
        for x in (leader_votes, valid, invalid, ballots_issued, registered, ballots_received)
    ]
    lv, val, inv, iss, reg, rec = arrays
    n_rows = lv.size
    if any(x.size != n_rows for x in arrays):
        raise ValueError("kobak_sample: all columns must have the same length")
    counted = val + inv
    missing = np.zeros(n_rows, bool)
    for x in arrays:
        missing |= np.isnan(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        turnout = iss / reg
        share = lv / counted
    keep = ~missing & (rec > 0) & (reg >= min_registered) & (counted > 0)
    keep &= (turnout <= max_share) & (share <= max_share)
    desc = (
        f"ballots_received > 0, registered >= {min_registered}, valid + invalid > 0, "
        f"turnout (ballots_issued / registered) <= {max_share}, leader share "
        f"(leader / (valid + invalid)) <= {max_share}; {int(keep.sum())} of {n_rows} rows kept"
        f" ({int(missing.sum())} with a missing value)"
    )
    as_int = lambda x: x[keep].astype(np.int64)  # noqa: E731
    return IntegerSample(as_int(lv), as_int(counted), as_int(iss), as_int(reg), keep, desc)


def sample_from_tables(
    stations: pd.DataFrame,
    leader_votes,
    *,
    min_registered: int = 100,
    max_share: float = 0.99,
    exclude_station_types: Sequence[str] | None = None,
) -> IntegerSample:
    """:func:`kobak_sample` on the canonical station table and the aligned leader votes.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical station table (``valid``, ``invalid``, ``ballots_issued``, ``registered``;
        ``station_type`` when types are excluded). The "ballots received > 0" filter is applied
        to valid + invalid, as in Kobak et al.'s own loaders (dkobak/elections).
    leader_votes : array_like
        Leader votes aligned to the rows of ``stations``.
    min_registered, max_share
        As in :func:`kobak_sample`.
    exclude_station_types : sequence of str, optional
        Station types left out before the selection (e.g.
        :data:`analysis.core.canonical.PSEUDO_STATION_TYPES`); default: none.

    Returns
    -------
    IntegerSample

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> import pandas as pd
    >>> st = pd.DataFrame({"valid": [580, 580], "invalid": [20, 20], "ballots_issued": [600, 600],
    ...                    "registered": [1000, 1000], "ballots_received": [1000, 1000],
    ...                    "station_type": ["ordinary", "abroad"]})
    >>> sample_from_tables(st, [300, 300]).n_included, sample_from_tables(st, [300, 300], exclude_station_types=["abroad"]).n_included
    (2, 1)
    """
    if exclude_station_types:
        types = station_type_filter(stations["station_type"], exclude_station_types)
        kept = sample_from_tables(
            stations[types.keep],
            np.asarray(leader_votes)[types.keep],
            min_registered=min_registered,
            max_share=max_share,
        )
        included = np.zeros(len(stations), dtype=bool)
        included[types.keep] = kept.included
        return replace(kept, included=included, filter_applied=f"{types.describe()}; {kept.filter_applied}")
    return kobak_sample(
        leader_votes,
        stations["valid"],
        stations["invalid"],
        stations["ballots_issued"],
        stations["registered"],
        # Kobak et al.'s "ballots received" is valid + invalid (their loaders); the protocol's
        # own received line is absent in some files (the 2020 referendum) and would drop them all.
        stations["valid"].astype("Float64") + stations["invalid"].astype("Float64"),
        min_registered=min_registered,
        max_share=max_share,
    )


def observed_integer_flags(sample: IntegerSample, tol: float = 0.05) -> dict:
    """Which stations have an integer leader share, turnout, either.

    Parameters
    ----------
    sample : IntegerSample
    tol : float, optional
        Integer tolerance in percentage points (default 0.05).

    Returns
    -------
    dict
        Quantity ('leader', 'turnout', 'either') -> boolean array over the stations.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> s = kobak_sample([300, 301], [600, 600], [0, 0], [600, 610], [1000, 1000], [1000, 1000])
    >>> {k: v.tolist() for k, v in observed_integer_flags(s).items()}
    {'leader': [True, False], 'turnout': [True, True], 'either': [True, True]}
    """
    flag_l = is_integer_percentage(sample.leader, sample.counted, tol)
    flag_t = is_integer_percentage(sample.turnout_count, sample.registered, tol)
    return {"leader": flag_l, "turnout": flag_t, "either": flag_l | flag_t}


def integer_probabilities(sample: IntegerSample, tol: float = 0.05) -> dict:
    """Per-station null probabilities q of an integer leader share, turnout, either.

    Leader votes ~ Binomial(valid + invalid, observed share) and ballots issued ~
    Binomial(registered, observed turnout), independent, so q_either =
    1 - (1 - q_leader)(1 - q_turnout).

    Parameters
    ----------
    sample : IntegerSample
    tol : float, optional
        Integer tolerance in percentage points (default 0.05).

    Returns
    -------
    dict
        Quantity -> float array of q over the stations.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> s = kobak_sample([1], [3], [0], [100], [1000], [1000])
    >>> {k: round(float(v[0]), 4) for k, v in integer_probabilities(s).items()}
    {'leader': 0.3333, 'turnout': 0.1, 'either': 0.4}
    """
    q_l = integer_probability(sample.counted, sample.leader / sample.counted, tol)
    q_t = integer_probability(sample.registered, sample.turnout_count / sample.registered, tol)
    return {"leader": q_l, "turnout": q_t, "either": 1.0 - (1.0 - q_l) * (1.0 - q_t)}
