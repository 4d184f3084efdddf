"""Fraud injections: each changes the counts of a drawn election in place and returns its mask."""

from __future__ import annotations

import numpy as np

from analysis.synthetic.simulate.honest import StationCounts

FRAUD_TYPES = ("incremental", "extreme", "rounding", "protocol_rewrite", "special_full_turnout")


def _stuff_and_transfer(c: StationCounts, rng, mask: np.ndarray, x: np.ndarray, alpha: float) -> None:
    """Klimek et al.: a fraction x of non-voters stuffed for the leader, x**α of others moved."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return
    xi = np.clip(x[idx], 0.0, 1.0)
    nonvoters = c.registered[idx] - c.issued[idx]
    stuffed = rng.binomial(np.maximum(nonvoters, 0), xi)
    c.in_station[idx] += stuffed
    c.leader[idx] += stuffed
    moved = rng.binomial(c.others[idx], (xi**alpha)[:, None])
    c.others[idx] -= moved
    c.leader[idx] += moved.sum(axis=1)


def inject_incremental(
    c: StationCounts, rng, magnitude: float, *, theta: float = 0.1, alpha: float = 2.0
) -> np.ndarray:
    """Klimek et al.'s incremental fraud: each station with probability ``magnitude`` (fi), x ~ |N(0, θ)|.

    At an affected station a fraction x of the non-voters' ballots is stuffed for the leader
    and a fraction x**α of every other candidate's votes is moved to the leader.

    Parameters
    ----------
    c : StationCounts
        Counts, changed in place.
    rng : numpy.random.Generator
        Random numbers.
    magnitude : float
        Probability that a station is affected (fi).
    theta : float
        Width of the intensity distribution.
    alpha : float
        Exponent of the vote transfer.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the affected stations.

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473, section "Fraud model".

    Examples
    --------
    >>> from analysis.synthetic.simulate import draw_honest, scenario_from_dict
    >>> s = scenario_from_dict({"name": "toy", "n_stations": 2000, "candidates": {"leader": "A", "others": {"B": 1}},
    ...                         "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}],
    ...                         "special": {"military": {"count": 20, "turnout_mean": 0.9}}})
    >>> c = draw_honest(s, np.random.default_rng(0))
    >>> honest = c.leader.copy()
    >>> mask = inject_incremental(c, np.random.default_rng(1), 0.3)
    >>> bool((c.leader[~mask] == honest[~mask]).all()), bool((c.leader >= honest).all())
    (True, True)
    """
    mask = rng.random(len(c.registered)) < magnitude
    x = np.abs(rng.normal(0.0, theta, len(c.registered)))
    _stuff_and_transfer(c, rng, mask, x, alpha)
    return mask


def inject_extreme(c: StationCounts, rng, magnitude: float, *, theta: float = 0.1, alpha: float = 2.0) -> np.ndarray:
    """Klimek et al.'s extreme fraud: each station with probability ``magnitude`` (fe), x ~ 1 - |N(0, θ)|.

    As :func:`inject_incremental`, with intensities near 1: affected stations move to the
    (100 %, 100 %) corner of the fingerprint.

    Parameters
    ----------
    c : StationCounts
        Counts, changed in place.
    rng : numpy.random.Generator
        Random numbers.
    magnitude : float
        Probability that a station is affected (fe).
    theta : float
        Width of the intensity distribution.
    alpha : float
        Exponent of the vote transfer.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the affected stations.

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473, section "Fraud model".

    Examples
    --------
    >>> from analysis.synthetic.simulate import draw_honest, scenario_from_dict
    >>> s = scenario_from_dict({"name": "toy", "n_stations": 2000, "candidates": {"leader": "A", "others": {"B": 1}},
    ...                         "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}],
    ...                         "special": {"military": {"count": 20, "turnout_mean": 0.9}}})
    >>> c = draw_honest(s, np.random.default_rng(0))
    >>> mask = inject_extreme(c, np.random.default_rng(1), 0.05)
    >>> bool(np.median(c.issued[mask] / c.registered[mask]) > 0.9)
    True
    """
    mask = rng.random(len(c.registered)) < magnitude
    x = 1.0 - np.abs(rng.normal(0.0, theta, len(c.registered)))
    _stuff_and_transfer(c, rng, mask, x, alpha)
    return mask


def _take_from_others(c: StationCounts, idx: np.ndarray, amount: np.ndarray) -> None:
    """Move ``amount`` votes per station from the other candidates (proportionally) to the leader."""
    pool = c.others[idx]
    total = pool.sum(axis=1)
    amount = np.minimum(amount, total)
    with np.errstate(divide="ignore", invalid="ignore"):
        take = np.where(
            total[:, None] > 0, np.floor(pool * (amount / np.where(total > 0, total, 1))[:, None]), 0
        ).astype(np.int64)
    short = amount - take.sum(axis=1)
    # The remainder (fewer than k votes) comes from the largest remaining other candidate.
    biggest = np.argmax(pool - take, axis=1)
    take[np.arange(len(idx)), biggest] += short
    c.others[idx] = pool - take
    c.leader[idx] += amount


def inject_rounding(
    c: StationCounts, rng, magnitude: float, *, step_pct: float = 1.0, min_registered: int = 100
) -> np.ndarray:
    """Reported turnout and leader share raised to the next multiple of ``step_pct`` %.

    Extra turnout is stuffed ballots for the leader; the leader's share is then raised by
    taking votes from the other candidates (officials reporting "target" figures).

    Parameters
    ----------
    c : StationCounts
        Counts, changed in place.
    rng : numpy.random.Generator
        Random numbers.
    magnitude : float
        Probability that a station (with >= ``min_registered`` voters) is affected.
    step_pct : float
        The grid of reported percentages.
    min_registered : int
        Smaller stations are never affected.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the affected stations.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), 54-73.

    Examples
    --------
    >>> from analysis.synthetic.simulate import draw_honest, scenario_from_dict
    >>> s = scenario_from_dict({"name": "toy", "n_stations": 2000, "candidates": {"leader": "A", "others": {"B": 1}},
    ...                         "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}],
    ...                         "special": {"military": {"count": 20, "turnout_mean": 0.9}}})
    >>> c = draw_honest(s, np.random.default_rng(0))
    >>> mask = inject_rounding(c, np.random.default_rng(1), 1.0)
    >>> t = 100 * c.issued[mask] / c.registered[mask]
    >>> bool((np.abs(t - np.round(t)) <= 50 / c.registered[mask] + 1e-9).all())
    True
    """
    n = len(c.registered)
    mask = (rng.random(n) < magnitude) & (c.registered >= min_registered) & (c.issued > 0)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return mask
    step = step_pct / 100.0
    reg = c.registered[idx]
    t_target = np.minimum(np.ceil(np.round(c.issued[idx] / reg / step, 9)) * step, 1.0)
    new_issued = np.minimum(np.rint(t_target * reg).astype(np.int64), reg)
    add = np.maximum(new_issued - c.issued[idx], 0)
    c.in_station[idx] += add
    c.leader[idx] += add
    counted = c.issued[idx]
    v_target = np.minimum(np.ceil(np.round(c.leader[idx] / counted / step, 9)) * step, 1.0)
    new_leader = np.minimum(np.rint(v_target * counted).astype(np.int64), c.valid[idx])
    _take_from_others(c, idx, np.maximum(new_leader - c.leader[idx], 0))
    return mask


def inject_protocol_rewrite(
    c: StationCounts,
    rng,
    magnitude: float,
    *,
    share: float = 0.5,
    candidate_prob: float = 0.5,
    invalid_share: float = 0.5,
) -> np.ndarray:
    """Protocols rewritten between the station and the district table, towards the incumbent.

    At rewritten stations a ``share`` of each selected other candidate's votes (each
    selected with ``candidate_prob``) and ``invalid_share`` of the invalid ballots go to the
    incumbent. Ballot totals (turnout) are unchanged.

    Parameters
    ----------
    c : StationCounts
        Counts, changed in place.
    rng : numpy.random.Generator
        Random numbers.
    magnitude : float
        Probability that a station's protocol is rewritten.
    share, candidate_prob, invalid_share : float
        See above.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the affected stations.

    References
    ----------
    OSCE/ODIHR (2011), *Republic of Kazakhstan, Early Presidential Election, 3 April 2011:
    Final Report*, footnote 121.

    Examples
    --------
    >>> from analysis.synthetic.simulate import draw_honest, scenario_from_dict
    >>> s = scenario_from_dict({"name": "toy", "n_stations": 2000, "candidates": {"leader": "A", "others": {"B": 1}},
    ...                         "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}],
    ...                         "special": {"military": {"count": 20, "turnout_mean": 0.9}}})
    >>> c = draw_honest(s, np.random.default_rng(0))
    >>> issued = c.issued.copy()
    >>> mask = inject_protocol_rewrite(c, np.random.default_rng(1), 0.3)
    >>> bool((c.issued == issued).all())
    True
    """
    n = len(c.registered)
    mask = rng.random(n) < magnitude
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return mask
    chosen = rng.random((idx.size, c.others.shape[1])) < candidate_prob
    moved = np.floor(c.others[idx] * share * chosen).astype(np.int64)
    c.others[idx] -= moved
    inv = np.floor(c.invalid[idx] * invalid_share).astype(np.int64)
    c.invalid[idx] -= inv
    c.leader[idx] += moved.sum(axis=1) + inv
    return mask


def inject_special_full_turnout(
    c: StationCounts, rng, magnitude: float, *, station_types=("military", "institution"), transfer_share: float = 1.0
) -> np.ndarray:
    """Special stations reported at 100 % turnout.

    Every non-voter's ballot is stuffed for the leader and ``transfer_share`` of the other
    candidates' votes is moved to the leader.

    Parameters
    ----------
    c : StationCounts
        Counts, changed in place.
    rng : numpy.random.Generator
        Random numbers.
    magnitude : float
        Probability that a special station is affected.
    station_types : sequence of str
        The special station types.
    transfer_share : float
        Share of the other candidates' votes moved.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the affected stations.

    References
    ----------
    OSCE/ODIHR (2011), *Republic of Kazakhstan, Early Presidential Election, 3 April 2011:
    Final Report*, footnote 100 and section XIV (military units at 100 % turnout).

    Examples
    --------
    >>> from analysis.synthetic.simulate import draw_honest, scenario_from_dict
    >>> s = scenario_from_dict({"name": "toy", "n_stations": 2000, "candidates": {"leader": "A", "others": {"B": 1}},
    ...                         "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}],
    ...                         "special": {"military": {"count": 20, "turnout_mean": 0.9}}})
    >>> c = draw_honest(s, np.random.default_rng(0))
    >>> mask = inject_special_full_turnout(c, np.random.default_rng(1), 1.0)
    >>> int(mask.sum()), bool((c.issued[mask] == c.registered[mask]).all())
    (20, True)
    """
    special = np.isin(c.station_type, list(station_types))
    mask = special & (rng.random(len(c.registered)) < magnitude)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return mask
    add = c.registered[idx] - c.issued[idx]
    c.in_station[idx] += add
    c.leader[idx] += add
    _take_from_others(c, idx, np.floor(c.others[idx].sum(axis=1) * transfer_share).astype(np.int64))
    return mask


INJECTORS = {
    "incremental": inject_incremental,
    "extreme": inject_extreme,
    "rounding": inject_rounding,
    "protocol_rewrite": inject_protocol_rewrite,
    "special_full_turnout": inject_special_full_turnout,
}


def _normalize_fraud(fraud) -> dict:
    """``{"incremental": 0.3}`` or ``{"incremental": {"magnitude": 0.3, "alpha": 2}}`` → dict of dicts."""
    out = {}
    for name in sorted(fraud or {}):
        if name not in INJECTORS:
            raise ValueError(f"unknown fraud type {name!r}: expected one of {FRAUD_TYPES}")
        spec = fraud[name]
        spec = {"magnitude": float(spec)} if not isinstance(spec, dict) else dict(spec)
        if not 0.0 <= spec.get("magnitude", -1) <= 1.0:
            raise ValueError(f"fraud {name!r}: magnitude must lie in [0, 1], got {spec.get('magnitude')}")
        out[name] = spec
    return out


# Fixed application order: count-level fraud first, then reporting-level rewriting.
_ORDER = ("special_full_turnout", "extreme", "incremental", "protocol_rewrite", "rounding")
