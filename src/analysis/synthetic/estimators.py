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
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.execution import map_units
from analysis.synthetic import simulate
from analysis.synthetic.estimator_runs import (  # noqa: F401  (the harness's public names)
    TARGETS,
    Estimator,
    default_estimators,
    excess_votes_truth,
    fm_options_of,
    fraud_fraction_truth,
    run_fm,
    run_klimek,
    run_shpilkin,
)


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
