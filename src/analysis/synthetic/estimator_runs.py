"""The fraud-amount estimators as the calibration harness (:mod:`analysis.synthetic.estimators`)
runs them: each adapter takes a synthetic election and returns ``(estimate, low, high)`` of its
target, each truth function what the injector knows; the options mirror notebooks 08 and 09.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from analysis.core import config
from analysis.stats import klimek, measures, mixture, shpilkin

TARGETS = ("fi", "fe", "fraction")


@dataclass(frozen=True)
class Estimator:
    """One fraud-amount estimator as the harness runs it.

    Attributes
    ----------
    name : str
        Used in the table and in the results keys (``bias_<name>_<scenario>``).
    estimate : callable
        ``estimate(election, target, rng, **options) -> (estimate, low, high)`` (module-level, so
        that worker processes can run it).
    truth : callable
        ``truth(election, target) -> float``: what the estimate is compared with.
    quantity : str
        What is estimated (``"fi"``/``"fe"``/``"fi+fe"`` follow the scenario's target; a fixed
        name such as ``"excess_votes"`` otherwise).
    options : dict
        Keyword arguments passed to ``estimate``.
    """

    name: str
    estimate: Callable
    truth: Callable
    quantity: str = "target"
    options: dict = field(default_factory=dict)


def _ordinary(election) -> np.ndarray:
    return (election.stations["station_type"].astype(str) == "ordinary").to_numpy()


def fraud_fraction_truth(election, target: str) -> float:
    """The injected fraud probability (``fi``, ``fe``) or the realised share of stations affected.

    Parameters
    ----------
    election : SyntheticElection
        A drawn election with its truth.
    target : str
        ``"fi"``: the incremental injector's ``magnitude`` (0 without it); ``"fe"``: the extreme
        one's; ``"fraction"``: the share of ordinary stations touched by any injector.

    Returns
    -------
    float

    Examples
    --------
    >>> from analysis.synthetic import simulate
    >>> s = simulate.scenario_from_dict({"name": "t", "n_stations": 400, "candidates": {"leader": "A", "others": {"B": 1}},
    ...     "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> e = simulate.simulate_election(s, 0, fraud={"extreme": 0.05})
    >>> fraud_fraction_truth(e, "fe"), fraud_fraction_truth(e, "fi"), 0 < fraud_fraction_truth(e, "fraction") < 0.15
    (0.05, 0.0, True)
    """
    if target in ("fi", "fe"):
        spec = election.fraud.get("incremental" if target == "fi" else "extreme")
        return 0.0 if spec is None else float(spec["magnitude"])
    if target != "fraction":
        raise ValueError(f"target {target!r}: expected one of {TARGETS}")
    ordinary = _ordinary(election)
    touched = np.zeros(len(ordinary), bool)
    for mask in election.fraud_mask.values():
        touched |= mask
    return float(touched[ordinary].mean())


def excess_votes_truth(election, target: str | None = None) -> float:
    """The leader's votes added by the injection at ordinary stations (stuffed plus moved).

    Examples
    --------
    >>> from analysis.synthetic import simulate
    >>> s = simulate.scenario_from_dict({"name": "t", "n_stations": 400, "candidates": {"leader": "A", "others": {"B": 1}},
    ...     "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> excess_votes_truth(simulate.simulate_election(s, 0)), excess_votes_truth(simulate.simulate_election(s, 0, fraud={"extreme": 0.05})) > 0
    (0.0, True)
    """
    lead = measures.leader_votes(election.stations, election.votes, election.leader)
    ordinary = _ordinary(election)
    return float(np.sum(lead[ordinary] - election.honest_leader_votes[ordinary]))


def _pick(target: str, fi, fe):
    """(fi, fe, fi + fe) triple → the one the target asks for."""
    return {"fi": fi, "fe": fe, "fraction": fi + fe}[target]


def run_klimek(election, target: str, rng, *, unit: str | None = "auto", **options):
    """Klimek's fit as notebook 08 runs it (honest peaks per unit, θ fitted); its bootstrap interval
    (:func:`analysis.stats.klimek.bootstrap_interval`: percentile, one-sided at fi = 0 or fe = 0)."""
    st = election.stations
    unit = klimek.honest_unit(st) if unit == "auto" else unit
    seed = int(rng.integers(2**31))
    f = klimek.fit_tables(st, election.votes, election.leader, unit=unit, seed=seed, **options)
    # The interval of fi + fe is not the sum of the two intervals: take it from the refits.
    lo_hi = (np.nan, np.nan)
    if target == "fraction" and f.bootstrap.shape[1] > 0:  # the same interval rules as fi's and fe's
        lo_hi = klimek.bootstrap_interval(f.fi + f.fe, f.bootstrap[0] + f.bootstrap[1], options.get("confidence", 0.95),
                                          lower_bound=0.0, resolution=1.0 / f.n_stations)  # fmt: skip
    low = {"fi": f.fi_ci[0], "fe": f.fe_ci[0], "fraction": lo_hi[0]}[target]
    high = {"fi": f.fi_ci[1], "fe": f.fe_ci[1], "fraction": lo_hi[1]}[target]
    return _pick(target, f.fi, f.fe), low, high


def run_fm(election, target: str, rng, *, unit: str | None = None, **options):
    """The finite-mixture fit (ordinary stations) and its Wald interval (fi + fe: the two bounds added).

    ``unit``: None (one honest distribution), ``"region"`` or ``"district"`` (honest means centred
    on the unit's medians, as notebook 09's ``honest_unit``; a district is named within its region).
    """
    st = election.stations[_ordinary(election)]
    reg = measures._as_float(st["registered"])
    issued = measures.turnout_numerator(st, "issued")
    counted = measures.ballots_counted(st)
    lead = measures.leader_votes(st, election.votes, election.leader)
    ok = (reg > 0) & (counted > 0)
    units = {
        None: None,
        "region": st["region"].astype(str),
        "district": st["region"].astype(str) + "/" + st["district"].astype(str),
    }
    codes = units[unit]
    f = mixture.fit_fraud_mixture(
        issued[ok] / reg[ok],
        lead[ok] / counted[ok],
        reg[ok],
        counted[ok],
        seed=int(rng.integers(2**31)),
        unit=None if codes is None else codes.to_numpy()[ok],
        **options,
    )
    # fi + fe: the sum of the bounds is conservative (a union bound on the two intervals).
    return _pick(target, f.fi, f.fe), _pick(target, f.fi_low, f.fe_low), _pick(target, f.fi_high, f.fe_high)


def fm_options_of(notebook: str = "09_fraud_mixture") -> dict:
    """:func:`run_fm`'s options as ``notebook``'s defaults set them, so the harness calibrates the
    fit the reports quote (``by_group`` becomes ``fitted``: synthetic stations are of one type).

    Examples
    --------
    >>> sorted(fm_options_of())
    ['count_variance', 'honest', 'min_intensity', 'nodes', 'overdispersion', 'unit']
    """
    p = {name: spec.get("default") for name, spec in config.load_notebook(notebook).parameters.items()}
    return {
        "nodes": p["nodes"],
        "count_variance": p["count_variance"],
        "honest": p["honest"],
        "overdispersion": "fitted" if p["overdispersion"] == "by_group" else p["overdispersion"],
        "min_intensity": p["min_intensity"],
        "unit": None if p["honest_unit"] == "national" else p["honest_unit"],
    }


def run_shpilkin(election, target: str, rng, **options):
    """Shpilkin's excess votes (ordinary stations) with its percentile-bootstrap interval."""
    r = shpilkin.shpilkin_tables(
        election.stations, election.votes, election.leader, seed=int(rng.integers(2**31)), **options
    )
    return r.excess_votes, r.excess_votes_low, r.excess_votes_high


def default_estimators(
    *, klimek_options: Mapping | None = None, fm_options: Mapping | None = None, shpilkin_options: Mapping | None = None
) -> dict[str, Estimator]:
    """The three estimators (``klimek``, ``fm``, ``shpilkin``) with the given options.

    Examples
    --------
    >>> sorted(default_estimators())
    ['fm', 'klimek', 'shpilkin']
    """
    return {
        "klimek": Estimator("klimek", run_klimek, fraud_fraction_truth, options=dict(klimek_options or {})),
        "fm": Estimator("fm", run_fm, fraud_fraction_truth, options=dict(fm_options or {})),
        "shpilkin": Estimator(
            "shpilkin", run_shpilkin, excess_votes_truth, "excess_votes", dict(shpilkin_options or {})
        ),
    }
