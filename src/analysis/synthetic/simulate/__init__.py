"""Synthetic elections: the honest model of Klimek et al. and fraud injections.

Honest model (Klimek, Yegorov, Hanel & Thurner 2012, "Statistical detection of systematic
election irregularities", PNAS 109(41):16469-16473, section "Model"): every polling station
``i`` has an electorate ``N_i``; its turnout rate ``t_i`` and the leader's share of the valid
votes ``v_i`` are drawn from normal distributions around the means of its region, truncated to
[0, 1]; the counts are then binomial: ballots issued ~ Bin(N_i, t_i), invalid ~ Bin(issued,
invalid_rate), leader ~ Bin(valid, v_i), and the other candidates split the rest
multinomially (with a Dirichlet spread of their proportions between stations).

Fraud injections (each has a ``magnitude`` in [0, 1]: the probability that a station, or a
special station, is affected):

``incremental`` and ``extreme``
    Klimek et al.'s fraud model. A station is fraudulent with probability ``fi`` (incremental)
    or ``fe`` (extreme); its intensity is ``x ~ |N(0, θ)|`` (incremental) or ``x ~ 1 - |N(0,
    θ)|`` (extreme). A fraction ``x`` of the non-voters' ballots is stuffed for the leader
    (ballot stuffing) and a fraction ``x**α`` of every other candidate's votes is moved to
    the leader (vote transfer).
``rounding``
    Reported results pushed up to the next integer percentage of turnout and of leader share
    (Kobak, Shpilkin & Pshenichnikov 2016, Annals of Applied Statistics 10(1): officials
    reporting "target" figures).
``protocol_rewrite``
    The polling-station protocol is rewritten between the station and the district table
    (the pattern of footnote 121 of the OSCE/ODIHR report on Kazakhstan 2011): a share of
    some candidates' votes and of the invalid ballots is moved to the incumbent; turnout is
    unchanged.
``special_full_turnout``
    Special stations (military units, institutions) reported at 100 % turnout with the
    stuffed ballots, and a share of the other candidates' votes, for the leader (footnote 100
    of the same report).

Output follows the canonical station and long votes tables of docs/ARCHITECTURE.md (column
names from :mod:`analysis.core.canonical`), with the protocol identities holding.

Modules: :mod:`~analysis.synthetic.simulate.scenario` (parameters),
:mod:`~analysis.synthetic.simulate.loading` (config files, reference elections),
:mod:`~analysis.synthetic.simulate.honest` (the honest draw),
:mod:`~analysis.synthetic.simulate.fraud` (injections),
:mod:`~analysis.synthetic.simulate.tables` (canonical tables) and
:mod:`~analysis.synthetic.simulate.election` (:func:`simulate_election`).
"""

from analysis.synthetic.simulate.election import SyntheticElection, simulate_election
from analysis.synthetic.simulate.fraud import (
    FRAUD_TYPES,
    INJECTORS,
    inject_extreme,
    inject_incremental,
    inject_protocol_rewrite,
    inject_rounding,
    inject_special_full_turnout,
)
from analysis.synthetic.simulate.honest import StationCounts, draw_honest
from analysis.synthetic.simulate.loading import list_scenarios, load_scenario, scenario_from_reference
from analysis.synthetic.simulate.scenario import Scenario, SizeModel, SpecialStations, scenario_from_dict
from analysis.synthetic.simulate.tables import COUNT_COLUMNS, STATION_COLUMNS, VOTE_COLUMNS

__all__ = [
    "COUNT_COLUMNS",
    "FRAUD_TYPES",
    "INJECTORS",
    "STATION_COLUMNS",
    "VOTE_COLUMNS",
    "Scenario",
    "SizeModel",
    "SpecialStations",
    "StationCounts",
    "SyntheticElection",
    "draw_honest",
    "inject_extreme",
    "inject_incremental",
    "inject_protocol_rewrite",
    "inject_rounding",
    "inject_special_full_turnout",
    "list_scenarios",
    "load_scenario",
    "scenario_from_dict",
    "scenario_from_reference",
    "simulate_election",
]
