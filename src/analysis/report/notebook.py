"""Helpers shared by the notebooks: setup, loading with a printed note, results mappings, formatting.

Thin glue between the data layer (reading prepared tables and other runs' results), the
statistics layer (whose functions the notebooks call) and the printed narrative. Nothing
statistical is computed here: the functions load, select, rename and format.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd

from analysis.core import config, paths, results
from analysis.data import datasets
from analysis.report.plotting import labels
from analysis.stats import measures, station_types
from analysis.stats.distributions import StationMeasures, station_measures

#: What loading an election that cannot be had raises (no dataset, no prepared tables, a
#: malformed or unknown election config).
UNAVAILABLE = (datasets.DatasetUnavailable, FileNotFoundError, ValueError)


# ---------------------------------------------------------------------------- setup


def control_election(election: str, control: str | None = None, cfg: Mapping | None = None) -> str | None:
    """The control election shown beside ``election``: ``control`` when given, else the
    election config's ``control:``; None when that is the election itself or not set."""
    cfg = config.load_election(election) if cfg is None else cfg
    control_id = control if control is not None else cfg.get("control")
    return None if control_id == election else control_id


def setup(election: str, control: str | None = None) -> tuple[dict, str | None]:
    """``(election config, control id)``; prints the title, level, leader and control and sets
    the pandas display options of the rendered notebooks."""
    cfg = config.load_election(election)
    control_id = control_election(election, control, cfg)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_colwidth", 120)
    print(cfg.get("title", election))
    print(
        f"level: {cfg.get('level', 'station')}; leader: {cfg.get('leader')}; "
        f"control: {control_id or 'none (this election is the control)'}"
    )
    return cfg, control_id


def short_name(election: str) -> str:
    """The election's short title for figure labels (:func:`analysis.report.plotting.labels.short_title`)."""
    return labels.short_title(election)


# ---------------------------------------------------------------------------- loading


def load_election_measures(
    election: str,
    *,
    turnout_definition: str = "issued",
    min_registered: int = 0,
    station_types: Sequence[str] | None = None,
    exclude_station_types: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, StationMeasures]:
    """``(stations, votes, measures)`` of a station-level election, the leader from its config.

    Reads through ``analysis.data.datasets.load_stations`` (raises ``DatasetUnavailable`` where
    the data cannot be had); no statistics here. ``station_types`` / ``exclude_station_types``
    select the stations of the measures by type (:func:`analysis.stats.distributions.station_measures`;
    the default keeps every type: notebooks that tabulate stations by type, pseudo-stations
    included, load them all and select for their nulls).
    """
    cfg = config.load_election(election)
    stations, votes = datasets.load_stations(election)
    lv = measures.leader_votes(stations, votes, cfg["leader"])
    m = station_measures(
        stations,
        lv,
        turnout_definition=turnout_definition,
        min_registered=min_registered,
        station_types=station_types,
        exclude_station_types=exclude_station_types,
    )
    return stations, votes, m


def load_leader_votes(election: str) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """``(stations, votes, leader votes per stations row)``, the leader from the election's config."""
    stations, votes = datasets.load_stations(election)
    return stations, votes, measures.leader_votes(stations, votes, config.load_election(election)["leader"])


def candidate_counts(
    election: str, *, exclude_station_types: Sequence[str] | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{candidate: (votes, ballots counted)}`` per station, for every candidate of the election.

    Ballots counted = valid + invalid; stations without ballots or without the candidate's
    figure, and those of the types ``exclude_station_types``, are left out (the numbers are
    printed). :func:`digit_counts` also returns the type filter.
    """
    return digit_counts(election, exclude_station_types=exclude_station_types)[0]


def digit_counts(
    election: str, *, exclude_station_types: Sequence[str] | None = None
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], station_types.StationTypeFilter]:
    """``(candidate_counts(election, ...), the station-type filter applied)``; see :func:`candidate_counts`."""
    stations, votes = datasets.load_stations(election)
    types = station_types.station_type_filter(stations["station_type"], exclude_station_types)
    size = measures.ballots_counted(stations)
    out = {}
    for candidate, counts in measures.candidate_votes(stations, votes).items():
        ok = np.isfinite(counts) & np.isfinite(size) & (size > 0) & types.keep
        out[candidate] = (counts[ok].astype(np.int64), size[ok].astype(np.int64))
    print(
        f"{election}: {len(stations):,} stations; {types.describe()}; "
        f"{int(ok.sum()):,} with ballots and candidate figures enter"
    )
    return out, types


def leader_counted_registered(
    election: str,
    stations: pd.DataFrame,
    leader_votes,
    *,
    total: str = "counted",
    exclude_station_types: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer ``(leader votes, ballots, registered)`` of the stations that have all three and
    are not of the types ``exclude_station_types`` (the numbers are printed); ballots are
    ``total``: ``"counted"`` = valid + invalid, or ``"valid"``."""
    if total not in ("counted", "valid"):
        raise ValueError(f"total={total!r}: expected 'counted' (valid + invalid) or 'valid'")
    ballots = (
        measures.ballots_counted(stations)
        if total == "counted"
        else stations["valid"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    )
    registered = stations["registered"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    types = station_types.station_type_filter(stations["station_type"], exclude_station_types)
    ok = np.isfinite(leader_votes) & np.isfinite(ballots) & np.isfinite(registered) & types.keep
    print(
        f"{election}: {int(ok.sum()):,} of {len(stations):,} stations with {total} ballots, registered voters and a "
        f"leader figure ({types.describe()})"
    )
    return leader_votes[ok].astype(np.int64), ballots[ok].astype(np.int64), registered[ok].astype(np.int64)


def load_or_note(election: str, loader: Callable = load_election_measures, **kwargs):
    """``loader(election, **kwargs)``, or None with a printed note where the data cannot be had."""
    try:
        return loader(election, **kwargs)
    except UNAVAILABLE as exc:
        print(f"{election}: data unavailable, its panels are skipped ({exc})")
        return None


def load_with_control(
    election: str, control_id: str | None, loader: Callable = load_election_measures, **kwargs
) -> dict:
    """``{election: loaded, control: loaded}`` in that order; the control is left out (with a
    printed note) where unavailable, the election itself must load (the runner skips
    elections without data, so a failure here is an error)."""
    loaded = {election: loader(election, **kwargs)}
    if control_id and (ctrl := load_or_note(control_id, loader, **kwargs)) is not None:
        loaded[control_id] = ctrl
    return loaded


def results_of(election: str, notebook: str) -> dict | None:
    """Results another run wrote (reports/results/<election>/<notebook>.json), or None with a
    printed note where it is missing or was skipped."""
    path = paths.results_path(election, notebook)
    found = results.read_results(election, notebook) if path.exists() else None
    if found is None or found.get("status") == "skipped":
        print(f"{election}/{notebook}: no results ({(found or {}).get('reason', 'not run yet')})")
        return None
    print(f"read {path.relative_to(paths.ROOT)}")
    return found


# ---------------------------------------------------------------------------- results mappings


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, bool, Integral, Real, np.generic))


def flat(result, prefix: str = "", *, keys: Mapping[str, str] | Iterable[str] | None = None) -> dict:
    """The flat results mapping of a result object.

    ``keys``: the fields to take, as names or as ``{field: results key suffix}`` (``""`` for the
    bare prefix); default: every scalar field, through the result's own ``as_dict(prefix)``
    where it has one (``analysis.core.results.FlatResult``), else its scalar dataclass fields.
    """
    if keys is None:
        if hasattr(result, "as_dict"):
            return dict(result.as_dict(prefix))
        names = [f.name for f in dataclasses.fields(result)]
        keys = [n for n in names if _scalar(getattr(result, n))]
    pairs = keys.items() if isinstance(keys, Mapping) else ((k, k) for k in keys)
    out = {}
    for field, suffix in pairs:
        value = getattr(result, field)
        out[f"{prefix}{suffix}"] = value.item() if isinstance(value, np.generic) else value
    return out


def digit_results(tests: Mapping, prefix: str = "") -> dict:
    """Results keys of digit tests ``{name: DigitTestResult}``: ``<name>`` (the statistic),
    ``_pvalue``, ``_pvalue_sizeaware``, ``_n_used``, and ``_ci_low`` / ``_ci_high`` where a
    bootstrap interval exists."""
    out = {}
    for name, r in tests.items():
        keys = {"statistic": "", "pvalue": "_pvalue", "pvalue_sizeaware": "_pvalue_sizeaware", "n_used": "_n_used"}
        if np.isfinite(r.ci_low):
            keys.update(ci_low="_ci_low", ci_high="_ci_high")
        out.update(flat(r, f"{prefix}{name}", keys=keys))
    return out


def digit_table(tests_by_label: Mapping[str, Mapping]) -> pd.DataFrame:
    """Long table of digit tests: one row per (label, test) with statistic, null, both p-values."""
    rows = [
        {
            "counts": label,
            "test": name,
            "statistic": r.statistic,
            "textbook null": r.null_value,
            "p_textbook": r.pvalue,
            "p_sizeaware": r.pvalue_sizeaware,
            "n_used": r.n_used,
        }
        for label, tests in tests_by_label.items()
        for name, r in tests.items()
    ]
    return pd.DataFrame(
        rows, columns=["counts", "test", "statistic", "textbook null", "p_textbook", "p_sizeaware", "n_used"]
    )


def digit_disagreements(tests_by_label: Mapping[str, Mapping], alpha: float) -> tuple[pd.DataFrame, object]:
    """Digit tests whose textbook and size-aware p-values fall on opposite sides of ``alpha``,
    smallest textbook p-value first, and the result object of the first (None if none)."""
    table = digit_table(tests_by_label)
    objects = [r for tests in tests_by_label.values() for r in tests.values()]
    p, q = table["p_textbook"].to_numpy(float), table["p_sizeaware"].to_numpy(float)
    sel = np.isfinite(p) & np.isfinite(q) & ((p < alpha) != (q < alpha))
    picked = table[sel].assign(_i=np.flatnonzero(sel)).sort_values("p_textbook", kind="stable").reset_index(drop=True)
    case = objects[picked["_i"].iloc[0]] if len(picked) else None
    return picked.drop(columns="_i"), case


def klimek_results(fit, prefix: str, *, with_ci: bool = True) -> dict:
    """Results keys of a Klimek fraud-model fit: ``<prefix>distance``, ``honest_turnout_mean``,
    ``honest_leader_mean``, ``fi``, ``fe``, ``alpha`` and, ``with_ci``, their ``_ci_low`` /
    ``_ci_high``."""
    out = flat(fit, prefix, keys=("distance",)) | flat(
        fit.honest, f"{prefix}honest_", keys=("turnout_mean", "leader_mean")
    )
    for p in ("fi", "fe", "alpha"):
        out[f"{prefix}{p}"] = getattr(fit, p)
        if with_ci:
            out[f"{prefix}{p}_ci_low"], out[f"{prefix}{p}_ci_high"] = getattr(fit, f"{p}_ci")
    return out


def integer_spike_table(tests: Mapping, quantities: Sequence[str]) -> pd.DataFrame:
    """One row per (election, quantity) of integer-percentage tests ``{election: result}``:
    observed count, Monte Carlo and exact null summaries."""
    rows = []
    for election, res in tests.items():
        for name in quantities:
            mc, ex = res.monte_carlo[name], res.exact[name]
            rows.append(
                {"election": election, "integer in": name, "observed": mc.observed, "MC null mean": mc.null_mean,
                 "MC null sd": mc.null_sd, "excess": mc.excess, "MC 99.9th pct": mc.null_q999, "MC p": mc.pvalue,
                 "exact mean": ex.mean, "exact sd": ex.sd, "exact excess": ex.excess, "exact p": ex.pvalue}
            )  # fmt: skip
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- formatting


def fmt_p(p, digits: int = 3, *, floor: float = 0.0, relation: bool = False) -> str:
    """A p-value for the printed conclusions.

    ``"n/a"`` when missing or NaN; ``"< floor"`` below ``floor`` (e.g. the last tabulated
    value of a test), ``"< 1e-300"`` for a p-value that underflowed to 0; otherwise
    ``digits`` significant digits. ``relation`` prefixes ``"= "`` to a plain value so that
    ``f"p {fmt_p(p, relation=True)}"`` reads "p = 0.012" or "p < 1e-05".
    """
    if p is None or not math.isfinite(p):
        return "n/a"
    if p < floor:
        return f"< {floor:g}"
    if p == 0:
        return "< 1e-300"
    return ("= " if relation else "") + f"{p:.{digits}g}"


def beside(values: Mapping, control: Mapping | None, control_id: str | None, key: str, fmt: str = "{:.3f}") -> str:
    """``values[key]`` formatted, then the control's value in parentheses when there is a control.

    Notebooks bind the first three with ``functools.partial`` and call ``beside(key, fmt)``.
    """
    text = fmt.format(values[key])
    return text + (f" (control {control_id}: " + fmt.format(control[key]) + ")" if control else "")
