"""The panel of elections: every election's results gathered into tables, and the Kobak series check.

Report layer: the tables are read from the results files the notebooks wrote
(``reports/results/<election>/<notebook>.json``) through :mod:`analysis.report.verdicts`;
nothing statistical is recomputed, apart from the check of Kobak et al.'s published
integer-percentage series, which runs the package's own test
(:func:`analysis.stats.spikes.integer_percentage_test`) on each year's prepared tables with
the filters Kobak et al. used (``config/kobak_series.yml``).

Notebook ``10_panel`` uses these; its results keys are :func:`panel_results`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core import canonical, config, paths
from analysis.data import datasets
from analysis.report import verdicts as V
from analysis.report.calibration_status import election_status
from analysis.stats import distributions, measures, spikes

#: Results keys of the time series, by notebook prefix: {column: (notebook prefix, results key)}.
SERIES_KEYS = {
    "n_turnout_100": ("04", "n_turnout_100"),
    "expected_turnout_100": ("04", "expected_turnout_100"),
    "leader_votes_share_turnout_ge_90": ("03", "leader_votes_share_turnout_ge_90"),
    "corr_turnout_leader": ("03", "corr_turnout_leader"),
    "integer_observed_either": ("06", "integer_observed_either"),
    "integer_excess_either": ("06", "integer_excess_either"),
    "integer_null_sd_either": ("06", "integer_null_sd_either"),
    "integer_null_q999_either": ("06", "integer_null_q999_either"),
    "n_included": ("06", "n_included"),
}
KOBAK_ENTRY_KEYS = ("election", "excess", "source", "turnout_count", "exclude_station_types", "note")
TURNOUT_COUNTS = ("ballots_issued", "ballots_in_boxes")
PUBLISHED_DRAWS = 1000  # binomial redraws behind each published value


def panel_elections(levels: Sequence[str] = config.DATA_LEVELS, config_dir: Path | None = None) -> list[str]:
    """Configured elections of ``levels`` (default: those with data), in configured order."""
    return [e for e in config.list_elections(config_dir) if config.load_election(e, config_dir)["level"] in levels]


def gather(elections: Sequence[str], results_dir: Path | None = None) -> dict[str, dict[str, dict]]:
    """``{election: {notebook: results}}`` of the elections that have results; a note is printed
    for each election without any (not fatal: the panel shows what exists)."""
    found = {}
    for election in elections:
        by_nb = V.read_election(election, results_dir)
        if by_nb:
            found[election] = by_nb
        else:
            print(f"{election}: no results yet (run `make all ELECTION={election}`): left out of the panel")
    return found


def _value(by_nb: Mapping[str, dict], prefix: str, key: str) -> float:
    return V._number(V._lookup(by_nb, prefix, key))


def verdict_long(
    results: Mapping[str, Mapping[str, dict]],
    *,
    alpha: float,
    specs: dict | None = None,
    calibration: dict | None = None,
    levels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Election × test: statistic, calibrated p-value, verdict at ``alpha``, effect size.

    One row per (election, configured test) with a p-value; a region-level election keeps only
    the tests that apply to it (a p-value in its results), so Kazakhstan's rows stand apart.
    """
    specs = V.load_specs() if specs is None else specs
    calibration = V.calibrations() if calibration is None else calibration
    frames = []
    for election, by_nb in results.items():
        study = election_status(config.load_election(election)) if election in config.list_elections() else None
        table = V.verdict_table(by_nb, alpha=alpha, specs=specs, calibration=calibration, study=study)
        if table.empty:
            continue
        table = table[table["pvalue"].notna()] if (levels or {}).get(election) == "region" else table
        frames.append(table.assign(election=election, level=(levels or {}).get(election, "station")))
    if not frames:
        return pd.DataFrame(columns=["election", "level", "test", "statistic", "pvalue", "verdict", "effect", "study"])
    out = pd.concat(frames, ignore_index=True)
    out["study"] = [V.study_note(r) or "calibrated" for _, r in out.iterrows()]
    columns = ["election", "level", "test", "label", "statistic", "pvalue", "verdict", "effect", "effect_unit", "study"]
    return out[columns]


def verdict_matrix(long: pd.DataFrame, elections: Sequence[str], tests: Sequence[str]) -> pd.DataFrame:
    """Tests (rows) × elections (columns) of verdict words; ``"—"`` where a test has no row."""
    wide = long.pivot_table(index="test", columns="election", values="verdict", aggfunc="first")
    return wide.reindex(index=list(tests), columns=[e for e in elections if e in wide.columns]).fillna("—")


def study_matrix(long: pd.DataFrame, elections: Sequence[str], tests: Sequence[str]) -> pd.DataFrame:
    """Tests × elections: True where the committed calibration study does not certify the test
    on the election's scenario (its ``study`` column is not ``calibrated``)."""
    flags = long.assign(flag=long["study"] != "calibrated")
    wide = flags.pivot_table(index="test", columns="election", values="flag", aggfunc="first")
    cols = [e for e in elections if e in wide.columns]
    return wide.reindex(index=list(tests), columns=cols).fillna(False).astype(bool)


def series_table(results: Mapping[str, Mapping[str, dict]]) -> pd.DataFrame:
    """One row per election of the time-series quantities (:data:`SERIES_KEYS`), NaN where missing.

    Adds the integer excess's null 99.9 % band above the null mean
    (``integer_band_either`` = 99.9th percentile − null mean) and the excess in null sd.
    """
    rows = {e: {col: _value(by_nb, nb, key) for col, (nb, key) in SERIES_KEYS.items()} for e, by_nb in results.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(SERIES_KEYS))
    null_mean = table["integer_observed_either"] - table["integer_excess_either"]
    table["integer_band_either"] = table["integer_null_q999_either"] - null_mean
    table["integer_excess_sd_either"] = table["integer_excess_either"] / table["integer_null_sd_either"]
    table.index.name = "election"
    return table


def panel_results(results: Mapping[str, Mapping[str, dict]], long: pd.DataFrame) -> dict:
    """The panel's results keys: ``integer_excess_either_<e>``, ``integer_null_sd_either_<e>``,
    ``n_included_<e>`` (from each election's 06 results, where present), ``pvalue_<test>_<e>``
    for every configured test with a p-value, and ``n_elections`` (elections with results)."""
    out: dict = {"n_elections": len(results)}
    for election, by_nb in results.items():
        for key in ("integer_excess_either", "integer_null_sd_either", "n_included"):
            value = _value(by_nb, "06", key)
            if math.isfinite(value):
                out[f"{key}_{election}"] = int(value) if key == "n_included" else value
    for row in long.itertuples():
        if math.isfinite(row.pvalue):
            out[f"pvalue_{row.test}_{row.election}"] = float(row.pvalue)
    return out


def load_tables(elections: Sequence[str]) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """``{election: (stations, votes)}`` of the elections whose prepared tables can be read; a
    printed note for the others (not fatal)."""
    out = {}
    for election in elections:
        try:
            out[election] = datasets.load_stations(election)
        except (datasets.DatasetUnavailable, FileNotFoundError, ValueError) as exc:
            print(f"{election}: prepared tables unavailable ({exc}): left out of the fingerprints and the Kobak check")
    return out


def election_fingerprint(
    stations: pd.DataFrame, votes: pd.DataFrame, leader: str, *, resolution: float = 1.0, weighting: str = "voters"
) -> distributions.Fingerprint:
    """Turnout × leader-share fingerprint of one election's polling places at home (pseudo-stations,
    :data:`analysis.core.canonical.PSEUDO_STATION_TYPES`, left out), weighted by ``weighting``."""
    home = [t for t in canonical.STATION_TYPES if t not in canonical.PSEUDO_STATION_TYPES]
    m = distributions.station_measures(stations, measures.leader_votes(stations, votes, leader), station_types=home)
    weights = distributions.weights_for(m, weighting)
    return distributions.fingerprint(
        m.turnout, m.leader_share, weights=weights, weighting=weighting, resolution=resolution
    )


# ---------------------------------------------------------------------------- Kobak series check


def load_kobak_series(config_dir: Path | None = None) -> dict[str, dict]:
    """``config/kobak_series.yml``'s entries, each with ``election`` and ``turnout_count`` filled in."""
    path = (config_dir or paths.CONFIG) / "kobak_series.yml"
    entries = (config.load_yaml(path).get("series")) or {}
    out = {}
    for name, entry in entries.items():
        unknown = set(entry) - set(KOBAK_ENTRY_KEYS)
        if unknown or "excess" not in entry:
            raise config.ConfigError(f"{path}: entry {name!r}: needs `excess`; unknown key(s) {sorted(unknown)}")
        turnout_count = entry.get("turnout_count", "ballots_issued")
        if turnout_count not in TURNOUT_COUNTS:
            raise config.ConfigError(f"{path}: entry {name!r}: turnout_count {turnout_count!r} not in {TURNOUT_COUNTS}")
        out[name] = {**entry, "election": entry.get("election", name), "turnout_count": turnout_count}
    return out


def kobak_filtered_test(
    stations: pd.DataFrame,
    leader_votes,
    *,
    turnout_count: str = "ballots_issued",
    exclude_station_types: Sequence[str] = (),
    n_sims: int = 1000,
    seed=None,
) -> spikes.IntegerSpikeResult:
    """Kobak et al.'s integer-percentage test with their filters, on one prepared election.

    Their "ballots received" is valid + invalid (the leader share's denominator), so that is
    what the ``> 0`` filter is applied to; turnout is ``turnout_count`` / registered; rows of
    ``exclude_station_types`` (not in the file they read) are dropped first.
    """
    keep = ~stations["station_type"].isin(list(exclude_station_types)).to_numpy()
    st = stations[keep]
    counted = st["valid"].astype("Float64") + st["invalid"].astype("Float64")
    sample = spikes.kobak_sample(
        np.asarray(leader_votes, dtype=float)[keep], st["valid"], st["invalid"], st[turnout_count], st["registered"],
        counted,
    )  # fmt: skip
    return spikes.integer_percentage_test(sample, n_sims=n_sims, seed=seed)


def kobak_check(
    entry: Mapping, stations: pd.DataFrame, votes: pd.DataFrame, leader: str, *, n_sims: int = 1000, seed=None
) -> dict:
    """One row of the Kobak series table: ours (Monte Carlo and exact) against the published excess.

    ``diff_se``: (ours exact − published) in standard errors of a 1,000-draw Monte Carlo mean
    (null sd / √1000), the error of the published number; ``agrees`` when within 3.
    """
    res = kobak_filtered_test(
        stations,
        measures.leader_votes(stations, votes, leader),
        turnout_count=entry["turnout_count"],
        exclude_station_types=entry.get("exclude_station_types", ()),
        n_sims=n_sims,
        seed=seed,
    )
    mc, exact = res.monte_carlo["either"], res.exact["either"]
    se = exact.sd / math.sqrt(PUBLISHED_DRAWS)
    diff = (exact.excess - entry["excess"]) / se
    return {
        "election": entry["election"],
        "turnout": entry["turnout_count"],
        "n_included": res.n_included,
        "observed": mc.observed,
        "excess_mc": mc.excess,
        "excess_exact": exact.excess,
        "null_sd": exact.sd,
        "published": float(entry["excess"]),
        "diff_se": diff,
        "agrees": bool(abs(diff) <= 3),
        "note": entry.get("note", ""),
    }
