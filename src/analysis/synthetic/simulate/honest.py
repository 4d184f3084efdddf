"""The honest model of Klimek et al.: station rates around regional means, binomial counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.synthetic.simulate.scenario import Scenario, _truncnorm_location


@dataclass
class StationCounts:
    """Mutable per-station counts while an election is drawn and falsified.

    Attributes
    ----------
    region : numpy.ndarray
        Region index (into ``Scenario.region_names``).
    station_type : numpy.ndarray
        Canonical station types.
    registered : numpy.ndarray
        Electorates.
    turnout_rate, leader_rate : numpy.ndarray
        The honest station rates drawn.
    early, in_station, mobile : numpy.ndarray
        Ballots issued early, in the station and in the mobile box.
    invalid, leader : numpy.ndarray
        Invalid ballots and the leader's votes.
    others : numpy.ndarray
        (n, k): the other candidates' votes.
    """

    region: np.ndarray
    station_type: np.ndarray
    registered: np.ndarray
    turnout_rate: np.ndarray
    leader_rate: np.ndarray
    early: np.ndarray
    in_station: np.ndarray
    mobile: np.ndarray
    invalid: np.ndarray
    leader: np.ndarray
    others: np.ndarray  # (n, k)

    @property
    def issued(self) -> np.ndarray:
        """Ballots issued: early + in station + mobile."""
        return self.early + self.in_station + self.mobile

    @property
    def valid(self) -> np.ndarray:
        """Valid ballots: the leader's and the other candidates' votes."""
        return self.leader + self.others.sum(axis=1)


def _allocate(total: int, weights) -> np.ndarray:
    """Largest-remainder allocation of ``total`` items in proportion to ``weights``."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    rest = total - base.sum()
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def draw_honest(scenario: Scenario, rng: np.random.Generator) -> StationCounts:
    """Draw the honest counts of every station of ``scenario``.

    Every station has an electorate N_i; its turnout rate t_i and the leader's share of the
    valid votes v_i are drawn from normal distributions around the means of its region,
    truncated to [0, 1]; then ballots issued ~ Bin(N_i, t_i) (split into mobile, early and
    in-station), invalid ~ Bin(issued, invalid_rate), leader ~ Bin(valid, v_i), and the other
    candidates split the rest multinomially with Dirichlet-spread proportions.

    Parameters
    ----------
    scenario : Scenario
        The election's parameters.
    rng : numpy.random.Generator
        Random numbers (the draw order is fixed: sizes, rates, counts).

    Returns
    -------
    StationCounts
        Stations in region order, ordinary before special within the draw.

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473, section "Model".

    Examples
    --------
    >>> from analysis.synthetic.simulate.scenario import scenario_from_dict
    >>> s = scenario_from_dict({"name": "toy", "n_stations": 50, "candidates": {"leader": "A", "others": {"B": 1}},
    ...                         "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> c = draw_honest(s, np.random.default_rng(0))
    >>> bool((c.issued <= c.registered).all()), bool((c.valid + c.invalid == c.issued).all())
    (True, True)
    """
    n_reg = len(scenario.region_names)
    per_region = _allocate(scenario.n_ordinary, scenario.region_weights)
    region = np.repeat(np.arange(n_reg), per_region)
    stype = np.full(scenario.n_ordinary, "ordinary", dtype=object)
    registered = scenario.size.draw(rng, scenario.n_ordinary)
    t_loc = _truncnorm_location(scenario.region_turnout, scenario.turnout_sd)[region]
    v_loc = _truncnorm_location(scenario.region_leader, scenario.leader_sd)[region]
    t_sd = np.full(scenario.n_ordinary, scenario.turnout_sd)
    v_sd = np.full(scenario.n_ordinary, scenario.leader_sd)
    parts = [(region, stype, registered, t_loc, t_sd, v_loc, v_sd)]
    for sp in scenario.special:
        sreg = np.repeat(np.arange(n_reg), _allocate(sp.count, scenario.region_weights))
        t_l = _truncnorm_location([sp.turnout_mean], sp.turnout_sd)[0] if sp.turnout_mean < 1 else 1.0
        v_l = _truncnorm_location([sp.leader_mean], sp.leader_sd)[0]
        parts.append(
            (
                sreg,
                np.full(sp.count, sp.station_type, dtype=object),
                sp.size.draw(rng, sp.count),
                np.full(sp.count, t_l),
                np.full(sp.count, sp.turnout_sd if sp.turnout_mean < 1 else 0.0),
                np.full(sp.count, v_l),
                np.full(sp.count, sp.leader_sd),
            )
        )
    region, stype, registered, t_loc, t_sd, v_loc, v_sd = (np.concatenate(x) for x in zip(*parts))
    n = len(registered)
    # Standardized truncated normal with per-station loc/scale in one vectorized draw.
    safe_sd = np.where(t_sd > 0, t_sd, 1.0)
    t_rate = np.where(
        t_sd > 0,
        stats.truncnorm.rvs(
            (0 - t_loc) / safe_sd, (1 - t_loc) / safe_sd, loc=t_loc, scale=safe_sd, size=n, random_state=rng
        ),
        np.clip(t_loc, 0, 1),
    )
    safe_vsd = np.where(v_sd > 0, v_sd, 1.0)
    v_rate = np.where(
        v_sd > 0,
        stats.truncnorm.rvs(
            (0 - v_loc) / safe_vsd, (1 - v_loc) / safe_vsd, loc=v_loc, scale=safe_vsd, size=n, random_state=rng
        ),
        np.clip(v_loc, 0, 1),
    )
    issued = rng.binomial(registered, t_rate)
    mobile = rng.binomial(issued, scenario.mobile_rate)
    early = rng.binomial(issued - mobile, scenario.early_rate)
    in_station = issued - mobile - early
    invalid = rng.binomial(issued, scenario.invalid_rate)
    valid = issued - invalid
    leader = rng.binomial(valid, v_rate)
    k = len(scenario.other_candidates)
    alpha = np.asarray(scenario.other_shares) * scenario.others_concentration
    props = rng.gamma(np.broadcast_to(alpha, (n, k)))
    props /= props.sum(axis=1, keepdims=True)
    others = rng.multinomial(valid - leader, props)
    # Stations in region order, then by type: stable layout so the station id is reproducible.
    order = np.lexsort((np.arange(n), region))
    return StationCounts(
        region=region[order],
        station_type=stype[order],
        registered=registered[order].astype(np.int64),
        turnout_rate=t_rate[order],
        leader_rate=v_rate[order],
        early=early[order].astype(np.int64),
        in_station=in_station[order].astype(np.int64),
        mobile=mobile[order].astype(np.int64),
        invalid=invalid[order].astype(np.int64),
        leader=leader[order].astype(np.int64),
        others=others[order].astype(np.int64),
    )
