"""Calibration of the fraud-amount estimators on synthetic elections: bias, RMSE and interval coverage.

Each scenario is an honest synthetic election model (:mod:`analysis.synthetic.simulate`) with a
fraud injection of known amount. ``n_elections`` elections are drawn per scenario (election ``i``
from child ``i`` of ``SeedSequence(seed)``, the same children in every scenario: common random
numbers), every estimator runs on each, and its estimate and interval are compared with the
truth the injector knows:

* Shpilkin's excess votes (:func:`analysis.stats.shpilkin.shpilkin_tables`): the leader's votes
  added by the injection at ordinary stations (stuffed plus moved), in votes.
* Klimek's fit (:func:`analysis.stats.klimek.fit_tables`) and the finite mixture
  (:func:`analysis.stats.mixture.fit_fraud_mixture`): the scenario's ``target`` — ``fi`` (the
  incremental injector's station probability), ``fe`` (the extreme one's), or ``fraction`` (the
  realised share of ordinary stations touched by any injector, compared with fi + fe; for
  injectors without a Klimek meaning).

Per estimator and scenario: the mean estimate, bias = mean(estimate − truth), RMSE, and the
coverage of the estimator's interval (share of elections whose interval holds the truth) with an
exact Clopper–Pearson interval on that Monte Carlo share (Clopper & Pearson 1934, *Biometrika*
26(4), 404-413). Elections whose estimator returned no finite interval are left out of the
coverage (``n_intervals`` counts the others); an estimator that fails is recorded, never dropped.

The loop over elections goes through :func:`analysis.core.execution.map_units`, one unit per
election and scenario, each with its own seeds: the numbers do not depend on the workers.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.execution import map_units
from analysis.stats import klimek, measures, mixture, shpilkin
from analysis.synthetic import simulate

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


def run_fm(election, target: str, rng, **options):
    """The finite-mixture fit (ordinary stations) and its Wald interval (fi + fe: the two bounds added)."""
    st = election.stations[_ordinary(election)]
    reg = measures._as_float(st["registered"])
    issued = measures.turnout_numerator(st, "issued")
    counted = measures.ballots_counted(st)
    lead = measures.leader_votes(st, election.votes, election.leader)
    ok = (reg > 0) & (counted > 0)
    f = mixture.fit_fraud_mixture(
        issued[ok] / reg[ok], lead[ok] / counted[ok], reg[ok], counted[ok], seed=int(rng.integers(2**31)), **options
    )
    # fi + fe: the sum of the bounds is conservative (a union bound on the two intervals).
    return _pick(target, f.fi, f.fe), _pick(target, f.fi_low, f.fe_low), _pick(target, f.fi_high, f.fe_high)


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


def scenario_with_stations(scenario: simulate.Scenario, n_stations: int) -> simulate.Scenario:
    """``scenario`` with ``n_stations`` ordinary stations and no special ones (a small copy).

    Examples
    --------
    >>> s = simulate.scenario_from_dict({"name": "t", "n_stations": 400, "candidates": {"leader": "A", "others": {"B": 1}},
    ...     "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> scenario_with_stations(s, 50).n_stations
    50
    """
    return dataclasses.replace(scenario, n_ordinary=int(n_stations), special=())


def _rng(election_ss: np.random.SeedSequence, *key: int) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence(entropy=election_ss.entropy, spawn_key=(*election_ss.spawn_key, *key))
    )


def _run_unit(unit) -> list[dict]:
    scenario, name, spec, estimators, ss = unit
    election = simulate.simulate_election(scenario, _rng(ss, 0), fraud=spec.get("fraud"))
    target = spec.get("target", "fraction")
    rows = []
    for est in estimators.values():
        quantity = {"fi": "fi", "fe": "fe", "fraction": "fi+fe"}[target] if est.quantity == "target" else est.quantity
        row = {"estimator": est.name, "scenario": name, "quantity": quantity, "election": int(ss.spawn_key[-1])}
        row["truth"] = float(est.truth(election, target))
        try:
            rng = _rng(ss, 1, zlib.crc32(est.name.encode("utf-8")))
            row["estimate"], row["low"], row["high"] = (
                float(x) for x in est.estimate(election, target, rng, **est.options)
            )
            row["error"] = ""
        except Exception as exc:  # recorded, never silently dropped
            row["estimate"] = row["low"] = row["high"] = np.nan
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows


def simulate_estimates(
    scenario: simulate.Scenario,
    scenarios: Mapping[str, Mapping],
    estimators: Mapping[str, Estimator],
    n_elections: int,
    *,
    seed: int = 0,
    n_jobs: int | None = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Every estimator on ``n_elections`` synthetic elections of every fraud scenario.

    Parameters
    ----------
    scenario : Scenario
        The honest election model (:func:`analysis.synthetic.simulate.load_scenario`).
    scenarios : mapping
        ``{name: {"fraud": {...} or None, "target": "fi" | "fe" | "fraction"}}``: the injection
        (as ``fraud`` of :func:`~analysis.synthetic.simulate.simulate_election`) and what Klimek's
        and the mixture's estimates are compared with (:func:`fraud_fraction_truth`).
    estimators : mapping
        ``{name: Estimator}`` (:func:`default_estimators`).
    n_elections : int
        Elections per scenario.
    seed : int
        Election ``i`` is drawn from child ``i`` of ``SeedSequence(seed)`` in every scenario.
    n_jobs, scheduler : optional
        Workers and backend of :func:`analysis.core.execution.map_units` (results do not depend on them).
    progress : bool
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per estimator, scenario and election: estimator, scenario, quantity, election,
        truth, estimate, low, high, error (empty where it ran).

    References
    ----------
    ``numpy.random.SeedSequence.spawn`` (independent child streams).

    Examples
    --------
    >>> s = simulate.scenario_from_dict({"name": "t", "n_stations": 300, "candidates": {"leader": "A", "others": {"B": 1}},
    ...     "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> est = default_estimators(shpilkin_options={"n_bootstrap": 20})
    >>> rows = simulate_estimates(s, {"clean": {"target": "fi"}}, {"shpilkin": est["shpilkin"]}, 2)
    >>> rows[["estimator", "scenario", "election", "truth"]].values.tolist()
    [['shpilkin', 'clean', 0, 0.0], ['shpilkin', 'clean', 1, 0.0]]
    """
    for name, spec in scenarios.items():
        if spec.get("target", "fraction") not in TARGETS:
            raise ValueError(f"scenario {name!r}: target must be one of {TARGETS}")
    seeds = np.random.SeedSequence(seed).spawn(int(n_elections))
    units = [(scenario, name, dict(spec), dict(estimators), ss) for name, spec in scenarios.items() for ss in seeds]
    out, _ = map_units(_run_unit, units, scheduler=scheduler, n_workers=n_jobs, progress=progress, desc="estimators")
    return pd.DataFrame([row for rows in out for row in rows])


def calibration_table(rows: pd.DataFrame, *, mc_confidence: float = 0.95) -> pd.DataFrame:
    """Bias, RMSE and interval coverage per estimator and scenario.

    Parameters
    ----------
    rows : pandas.DataFrame
        :func:`simulate_estimates`'s output.
    mc_confidence : float
        Level of the Clopper–Pearson interval on the coverage (a Monte Carlo proportion).

    Returns
    -------
    pandas.DataFrame
        estimator, scenario, quantity, n_elections, n_failed, truth (mean over elections),
        mean_estimate, bias, relative_bias (bias / mean truth; NaN at truth 0), rmse,
        n_intervals, coverage, coverage_low, coverage_high.

    References
    ----------
    Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated
    in the case of the binomial. *Biometrika* 26(4), 404-413.

    Examples
    --------
    >>> rows = pd.DataFrame({"estimator": "x", "scenario": "s", "quantity": "q", "election": [0, 1],
    ...                      "truth": 1.0, "estimate": [1.5, 0.5], "low": [0.0, 0.0], "high": [2.0, 0.9], "error": ""})
    >>> t = calibration_table(rows)
    >>> float(t.bias[0]), float(t.rmse[0]), float(t.coverage[0])
    (0.0, 0.5, 0.5)
    """
    out = []
    for (est, scen), g in rows.groupby(["estimator", "scenario"], sort=False):
        ok = g[np.isfinite(g["estimate"])]
        err = ok["estimate"] - ok["truth"]
        finite = ok[np.isfinite(ok["low"]) & np.isfinite(ok["high"])]
        covered = int(((finite["low"] <= finite["truth"]) & (finite["truth"] <= finite["high"])).sum())
        n_int = len(finite)
        if n_int:
            ci = stats.binomtest(covered, n_int).proportion_ci(mc_confidence, method="exact")
            cov, lo, hi = covered / n_int, ci.low, ci.high
        else:
            cov = lo = hi = np.nan
        truth = float(g["truth"].mean())
        bias = float(err.mean()) if len(ok) else np.nan
        out.append(
            {
                "estimator": est,
                "scenario": scen,
                "quantity": g["quantity"].iloc[0],
                "n_elections": len(g),
                "n_failed": int(len(g) - len(ok)),
                "truth": truth,
                "mean_estimate": float(ok["estimate"].mean()) if len(ok) else np.nan,
                "bias": bias,
                "relative_bias": bias / truth if truth != 0 else np.nan,
                "rmse": float(np.sqrt(np.mean(err**2))) if len(ok) else np.nan,
                "n_intervals": n_int,
                "coverage": cov,
                "coverage_low": lo,
                "coverage_high": hi,
            }
        )
    return pd.DataFrame(out)


def results_keys(table: pd.DataFrame) -> dict:
    """``bias_<estimator>_<scenario>``, ``coverage_<estimator>_<scenario>`` (and rmse_, truth_) from the table.

    Scenario names have ``-`` replaced by ``_``.

    Examples
    --------
    >>> t = pd.DataFrame({"estimator": ["fm"], "scenario": ["clean"], "bias": [0.01], "coverage": [1.0],
    ...                   "rmse": [0.02], "truth": [0.0]})
    >>> results_keys(t)
    {'bias_fm_clean': 0.01, 'coverage_fm_clean': 1.0, 'rmse_fm_clean': 0.02, 'truth_fm_clean': 0.0}
    """
    keys = {}
    for _, r in table.iterrows():
        suffix = f"{r['estimator']}_{str(r['scenario']).replace('-', '_')}"
        for col in ("bias", "coverage", "rmse", "truth"):
            keys[f"{col}_{suffix}"] = float(r[col])
    return keys


__all__ = [
    "TARGETS",
    "Estimator",
    "calibration_table",
    "default_estimators",
    "excess_votes_truth",
    "run_fm",
    "fraud_fraction_truth",
    "run_klimek",
    "results_keys",
    "scenario_with_stations",
    "run_shpilkin",
    "simulate_estimates",
]
