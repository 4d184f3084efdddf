"""Integer-percentage tests registered for calibration on synthetic elections.

Each function takes ``(stations, votes, leader, rng)`` and returns a p-value:
Kobak et al.'s count of integer-percentage stations against its exact Poisson-binomial null
(no simulation, so ``rng`` is unused). :mod:`analysis.synthetic.calibration` runs every test
in :data:`analysis.core.registry.CALIBRATION_TESTS`. The Rozenas estimate is not a p-value
of a fixed-size test and is not registered.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.registry import calibration_test
from analysis.stats import measures
from analysis.stats.poisson_binomial import poisson_binomial_sf
from analysis.stats.spikes.sample import integer_probabilities, observed_integer_flags, sample_from_tables


def _integer_count_pvalue(stations: pd.DataFrame, votes: pd.DataFrame, leader: str, quantity: str) -> float:
    sample = sample_from_tables(stations, measures.leader_votes(stations, votes, leader))
    if sample.n_included == 0:
        return float("nan")
    flags = observed_integer_flags(sample)
    q = integer_probabilities(sample)
    return poisson_binomial_sf(int(flags[quantity].sum()), q[quantity])


@calibration_test("integer_either")
def calibration_integer_either(stations: pd.DataFrame, votes: pd.DataFrame, leader: str, rng=None) -> float:
    """Exact p-value of the count of stations with an integer leader share or turnout.

    Null hypothesis: leader votes ~ Binomial(valid + invalid, observed share) and ballots
    issued ~ Binomial(registered, observed turnout), independently; the count is then
    Poisson-binomial.

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical station and long votes tables.
    leader : str
        The candidate whose vote share is tested.
    rng : numpy.random.Generator, optional
        Unused (the p-value is exact); part of the calibration signature.

    Returns
    -------
    float
        P(S >= observed), NaN when no station meets Kobak et al.'s criteria.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> import pandas as pd
    >>> key = {"election": "x", "region": "r", "district": "d", "station": ["1", "2", "3"]}
    >>> stations = pd.DataFrame({**key, "registered": [1000, 800, 1200], "ballots_received": [1000, 800, 1200],
    ...                          "ballots_issued": [600, 500, 700], "valid": [590, 495, 690], "invalid": [10, 5, 10]})
    >>> votes = pd.DataFrame({**key, "candidate": "A", "votes": [300, 250, 351]})
    >>> round(calibration_integer_either(stations, votes, "A"), 3)
    0.161
    """
    return _integer_count_pvalue(stations, votes, leader, "either")


@calibration_test("integer_leader")
def calibration_integer_leader(stations: pd.DataFrame, votes: pd.DataFrame, leader: str, rng=None) -> float:
    """Exact p-value of the count of stations with an integer leader share.

    As :func:`calibration_integer_either`, for the leader share alone.

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical station and long votes tables.
    leader : str
        The candidate whose vote share is tested.
    rng : numpy.random.Generator, optional
        Unused.

    Returns
    -------
    float
        P(S >= observed).

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> from analysis.core import registry
    >>> registry.CALIBRATION_TESTS["integer_leader"] is calibration_integer_leader
    True
    """
    return _integer_count_pvalue(stations, votes, leader, "leader")


@calibration_test("integer_turnout")
def calibration_integer_turnout(stations: pd.DataFrame, votes: pd.DataFrame, leader: str, rng=None) -> float:
    """Exact p-value of the count of stations with an integer turnout.

    As :func:`calibration_integer_either`, for turnout alone (``leader`` still selects the
    sample: leader share at most 99 %).

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical station and long votes tables.
    leader : str
        The leader (for the sample's leader-share filter).
    rng : numpy.random.Generator, optional
        Unused.

    Returns
    -------
    float
        P(S >= observed).

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> from analysis.core import registry
    >>> registry.CALIBRATION_TESTS["integer_turnout"] is calibration_integer_turnout
    True
    """
    return _integer_count_pvalue(stations, votes, leader, "turnout")
