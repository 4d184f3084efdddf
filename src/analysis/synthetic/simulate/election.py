"""Drawing one synthetic election: honest counts, fraud injections, canonical tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.synthetic.simulate.fraud import _ORDER, INJECTORS, _normalize_fraud
from analysis.synthetic.simulate.honest import draw_honest
from analysis.synthetic.simulate.scenario import Scenario
from analysis.synthetic.simulate.tables import _tables


@dataclass(frozen=True)
class SyntheticElection:
    """A drawn election: canonical tables plus the truth the tests must not see.

    Attributes
    ----------
    stations, votes : pandas.DataFrame
        Canonical stations and long votes tables (docs/ARCHITECTURE.md).
    leader : str
        The leader's name in ``votes["candidate"]``.
    scenario : str
        The scenario's name.
    fraud : dict
        The fraud applied, normalised to ``{type: {"magnitude": ..., ...}}``.
    fraud_mask : dict
        ``{type: boolean mask of the affected stations}``.
    honest_leader_votes, honest_ballots_issued : numpy.ndarray
        The leader's votes and the ballots issued before any fraud.
    """

    stations: pd.DataFrame
    votes: pd.DataFrame
    leader: str
    scenario: str
    fraud: dict
    fraud_mask: dict = field(default_factory=dict)
    honest_leader_votes: np.ndarray | None = None
    honest_ballots_issued: np.ndarray | None = None


def simulate_election(scenario: Scenario, seed=None, *, fraud: dict | None = None) -> SyntheticElection:
    """Draw one election from ``scenario``, with fraud injected.

    Parameters
    ----------
    scenario : Scenario
        The election's parameters (:func:`load_scenario`, :func:`scenario_from_dict`).
    seed : int or numpy.random.SeedSequence or numpy.random.Generator, optional
        The same seed gives the same tables.
    fraud : dict, optional
        Maps fraud types (:data:`FRAUD_TYPES`) to a magnitude in [0, 1] or to a dict of the
        injector's keyword arguments (``magnitude`` plus e.g. ``alpha``, ``theta``). They
        are applied in a fixed order: count-level fraud first (special stations, extreme,
        incremental), then reporting-level rewriting (protocol rewrite, rounding).

    Returns
    -------
    SyntheticElection
        Canonical tables in which the protocol identities hold (received = issued +
        cancelled; issued = early + in station + mobile; in boxes = portable + stationary =
        valid + invalid = issued; Σ candidates = valid), and the truth.

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473 (honest model,
    incremental and extreme fraud); Kobak, Shpilkin & Pshenichnikov (2016), *Annals of
    Applied Statistics* 10(1) (rounding); OSCE/ODIHR (2011), Kazakhstan final report,
    footnotes 100 and 121 (special stations, protocol rewriting).

    Examples
    --------
    >>> from analysis.synthetic.simulate import scenario_from_dict
    >>> s = scenario_from_dict({"name": "toy", "n_stations": 100, "candidates": {"leader": "A", "others": {"B": 1}},
    ...                         "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> e = simulate_election(s, 1, fraud={"extreme": 0.1})
    >>> len(e.stations), len(e.votes), sorted(e.fraud_mask)
    (100, 200, ['extreme'])
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    fraud_spec = _normalize_fraud(fraud)
    c = draw_honest(scenario, rng)
    honest_leader = c.leader.copy()
    honest_issued = c.issued.copy()
    masks = {}
    for name in _ORDER:
        if name in fraud_spec:
            masks[name] = INJECTORS[name](c, rng, **fraud_spec[name])
    stations, votes = _tables(scenario, c, scenario.spare_ballot_ratio)
    return SyntheticElection(
        stations=stations,
        votes=votes,
        leader=scenario.leader,
        scenario=scenario.name,
        fraud=fraud_spec,
        fraud_mask=masks,
        honest_leader_votes=honest_leader,
        honest_ballots_issued=honest_issued,
    )
