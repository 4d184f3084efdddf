"""Whether each test is calibrated, from the committed calibration study (for verdict tables).

:func:`calibration_status` reads ``data/calibration/type1_study.json`` (written by
``python -m analysis.synthetic.calibration.study``) and returns, per registered test, its
status (``calibrated``, ``uncalibrated``, ``stale`` when the test's code changed since the
study, ``not in study``) with its measured type-I error and interval. A verdict table shows
a test that is not ``calibrated`` with that flag and rate beside its verdict.

Also the helpers notebook 07 uses to show the study and record it in its results.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.synthetic.calibration import registered_tests
from analysis.synthetic.calibration.study import STATUSES, CalibrationStatus, read_study, study_status

#: The calibration scenario closest to each country's elections (``country:`` of an election's config).
SCENARIO_BY_COUNTRY = {"Kazakhstan": "kz2011-like", "Poland": "pl2020-like", "Russia": "ru2011-like"}


def election_status(election_cfg: dict, path: Path | None = None) -> dict[str, CalibrationStatus]:
    """:func:`calibration_status` on the scenario of the election's country (every scenario,
    worst case, for a country without one of its own).

    Examples
    --------
    >>> status = election_status({"country": "Russia"})
    >>> {s.scenario for s in status.values() if s.status != "not in study"} <= {"ru2011-like"}
    True
    """
    return calibration_status(SCENARIO_BY_COUNTRY.get(str(election_cfg.get("country"))), path)


def calibration_status(scenario: str | None = None, path: Path | None = None) -> dict[str, CalibrationStatus]:
    """``{test: CalibrationStatus(status, rate, ci_low, ci_high, n, scenario, reason)}`` from the committed study.

    Parameters
    ----------
    scenario : str, optional
        Only this scenario's rows (e.g. ``"ru2011-like"`` for a Russian election,
        :data:`SCENARIO_BY_COUNTRY`); by default a test is calibrated only if it is in every
        scenario, and the worst scenario's rate is given.
    path : path, optional
        The study file (default ``data/calibration/type1_study.json``).

    Returns
    -------
    dict
        Every registered test; ``not in study`` where the study has no row for it.

    Examples
    --------
    >>> status = calibration_status()
    >>> {s.status for s in status.values()} <= {"calibrated", "uncalibrated", "stale", "not in study"}
    True
    """
    return study_status(read_study(path), registered_tests(), scenario)


def study_frame(study: dict | None) -> pd.DataFrame:
    """One row per (scenario of the study, registered test): status, rate, interval, elections, reason.

    Examples
    --------
    >>> study_frame(None).columns.tolist()[:3]
    ['scenario', 'test', 'status']
    """
    columns = ["scenario", "test", "status", "type1", "ci_low", "ci_high", "n", "reason"]
    if not study:
        return pd.DataFrame(columns=columns)
    tests = registered_tests()
    rows = [
        {"scenario": s, "test": t, **{k: getattr(st, k) for k in ("status", "ci_low", "ci_high", "n", "reason")}}
        | {"type1": st.rate}
        for s in study["provenance"]["scenarios"]
        for t, st in study_status(study, tests, s).items()
    ]
    return pd.DataFrame(rows, columns=columns)


def describe_study(study: dict | None) -> str:
    """The study's provenance in one paragraph (date, commit, seed, cost, elections per scenario)."""
    if not study:
        return "No committed calibration study (data/calibration/type1_study.json is missing)."
    p = study["provenance"]
    sizes = "; ".join(
        f"{s}: {v['n_elections']} clean elections of {v['n_stations']:,} stations" for s, v in p["scenarios"].items()
    )
    return (
        f"Study of {p['date']} (commit {p['git_commit'][:10]}, seed {p['seed']}, {p['cpu_seconds'] / 3600:.2f} "
        f"CPU-hours, {p['wall_seconds'] / 60:.0f} min wall on {p['n_workers']} workers): {sizes}."
        + (f" Note: {p['note']}" if p.get("note") else "")
    )


def describe_status(status: dict[str, CalibrationStatus]) -> str:
    """Which tests are calibrated, uncalibrated (with rate, interval and reason), stale, not in the study."""
    lines = [
        "; ".join(f"{s}: {', '.join(t for t, st in status.items() if st.status == s) or 'none'}" for s in STATUSES)
    ]
    for test, st in status.items():
        if st.status == "uncalibrated":
            lines.append(
                f"  {test}: {100 * st.rate:.1f} % [{100 * st.ci_low:.1f}, {100 * st.ci_high:.1f}] on {st.scenario} "
                f"({st.n} elections): {st.reason}"
            )
    return "\n".join(lines)


def study_results(study: dict | None, status: dict[str, CalibrationStatus]) -> dict:
    """Results keys of the committed study: ``study_status_<test>``, ``study_type1_<test>_<scenario>``, counts."""
    out: dict = {f"study_status_{test}": st.status for test, st in status.items()}
    out |= {f"n_study_{s.replace(' ', '_')}": sum(st.status == s for st in status.values()) for s in STATUSES}
    for row in study_frame(study).itertuples():
        out[f"study_type1_{row.test}_{row.scenario.replace('-', '_')}"] = row.type1
    if study:
        out["study_date"] = study["provenance"]["date"]
        for s, v in study["provenance"]["scenarios"].items():
            out[f"study_n_elections_{s.replace('-', '_')}"] = v["n_elections"]
    return out


def cost_results(costs: list[dict], wall_seconds: float) -> dict:
    """Results keys of a run's cost (``run_*``) from the ``attrs["run"]`` of its calibration tables.

    Examples
    --------
    >>> c = {"cpu_seconds": 2.0, "n_tasks": 4, "n_workers": 2, "scheduler": "local", "n_units_computed": 30,
    ...      "n_units_cached": 10, "peak_rss_bytes": 2**30}
    >>> cost_results([c, c], 5.0)["run_n_units_cached"]
    20
    """
    total = {k: sum(c[k] for c in costs) for k in ("cpu_seconds", "n_tasks", "n_units_computed", "n_units_cached")}
    return {
        "run_wall_seconds": wall_seconds,
        **{f"run_{k}": v for k, v in total.items()},
        "run_n_workers": max((c["n_workers"] for c in costs), default=0),
        "run_scheduler": costs[0]["scheduler"] if costs else "",
        "run_peak_rss_mb": max((c["peak_rss_bytes"] for c in costs), default=0) / 2**20,
    }


def live_results(type1: pd.DataFrame, power80: pd.DataFrame, scenarios: dict, n_power: dict) -> dict:
    """Results keys of notebook 07's own run: per scenario its elections, source, flags and every
    test's type-I error with interval; the 80 %-power magnitudes; power elections per scenario.

    ``scenarios`` maps a scenario's name to its :class:`~analysis.synthetic.simulate.Scenario`.
    """
    out: dict = {}
    for name, scen in scenarios.items():
        key = scen.key
        sub = type1[type1["scenario"] == name].set_index("test")
        out[f"n_elections_{key}"] = int((sub["n"] + sub["n_failed"]).max()) if len(sub) else 0
        out[f"scenario_source_{key}"] = scen.source
        out[f"n_flagged_{key}"] = int((sub["flag"] != "").sum())
        out[f"n_miscalibrated_{key}"] = int(sub["miscalibrated"].sum())
        for test, row in sub.iterrows():
            out[f"type1_{test}_{key}"] = row["type1"]
            out[f"type1_ci_low_{test}_{key}"] = row["ci_low"]
            out[f"type1_ci_high_{test}_{key}"] = row["ci_high"]
    for _, row in power80.iterrows():
        out[f"power80_{row['fraud_type']}_{row['test']}_{row['scenario'].replace('-', '_')}"] = row["magnitude_80"]
    out.update({f"power_n_elections_{name.replace('-', '_')}": n for name, n in n_power.items()})
    return out
