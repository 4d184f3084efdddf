"""Loading scenarios, and scenarios whose sizes and regional means come from a real election."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core import paths
from analysis.core.config import ConfigError, load_election, load_yaml
from analysis.data import datasets
from analysis.stats import measures
from analysis.synthetic.simulate.scenario import Scenario, SizeModel, scenario_from_dict


def scenario_from_reference(
    base: Scenario,
    stations: pd.DataFrame,
    leader_votes,
    *,
    max_turnout: float,
    max_leader: float,
    min_registered: int = 1,
) -> Scenario:
    """Replace sizes and regional means of ``base`` by those of a real election.

    Parameters
    ----------
    base : Scenario
        The scenario whose other parameters are kept.
    stations : pandas.DataFrame
        Canonical stations table of the reference election.
    leader_votes : array_like
        The leader's votes aligned with ``stations``
        (:func:`analysis.stats.measures.leader_votes`).
    max_turnout, max_leader : float
        Caps of the regional means: in regions where fraud dominates (the Klimek et al.
        "extreme" cluster) the median is itself falsified and would not be an honest baseline.
    min_registered : int
        Smallest station used.

    Returns
    -------
    Scenario
        Sizes: the registered voters of the ordinary stations, resampled. Region means: the
        median station turnout and leader share of each region (capped); widths: the median
        of the regions' scaled median absolute deviations.

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473, section "Model"
    (honest rates around regional means); Hampel, F. R. (1974), *JASA* 69(346), 383-393
    (the scaled MAD, 1.4826 · MAD).

    Examples
    --------
    >>> base = scenario_from_dict({"name": "toy", "n_stations": 10, "candidates": {"leader": "A", "others": {"B": 1}},
    ...                            "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.5, "leader_mean": 0.5}]})
    >>> stations = pd.DataFrame({"region": ["a", "a", "b"], "registered": [100, 200, 300],
    ...                          "ballots_issued": [60, 100, 270], "valid": [60, 100, 270], "invalid": [0, 0, 0]})
    >>> s = scenario_from_reference(base, stations, [30, 60, 250], max_turnout=0.85, max_leader=0.8)
    >>> s.region_names, s.region_turnout, s.source
    (('a', 'b'), (0.55, 0.85), 'reference')
    """
    registered = pd.to_numeric(stations["registered"]).to_numpy(dtype=float, na_value=np.nan)
    t = measures.turnout(stations)
    v = measures.leader_share(stations, leader_votes)
    ordinary = (
        (stations["station_type"].astype(str) == "ordinary").to_numpy()
        if "station_type" in stations
        else np.ones(len(stations), bool)
    )
    ok = ordinary & np.isfinite(t) & np.isfinite(v) & (registered >= min_registered)
    frame = pd.DataFrame({"region": stations["region"].astype(str).to_numpy()[ok], "t": t[ok], "v": v[ok]})
    grouped = frame.groupby("region", sort=True)
    med = grouped.median()
    count = grouped.size()
    mad = grouped.agg(lambda x: 1.4826 * np.median(np.abs(x - np.median(x))))
    return replace(
        base,
        region_names=tuple(med.index.tolist()),
        region_weights=tuple(count.astype(float).tolist()),
        region_turnout=tuple(np.clip(med["t"].to_numpy(), 0.05, max_turnout).tolist()),
        region_leader=tuple(np.clip(med["v"].to_numpy(), 0.02, max_leader).tolist()),
        turnout_sd=float(np.median(mad["t"])),
        leader_sd=float(np.median(mad["v"])),
        n_ordinary=int(ok.sum()) if base.n_ordinary == 0 else base.n_ordinary,
        size=SizeModel(kind="empirical", values=tuple(registered[ok].astype(np.int64).tolist())),
        source="reference",
    )


@lru_cache(maxsize=8)
def _load_scenario_cached(name: str, config_dir: str, use_reference: bool) -> Scenario:
    path = Path(config_dir) / "scenarios" / f"{name}.yml"
    if not path.exists():
        known = sorted(p.stem for p in (Path(config_dir) / "scenarios").glob("*.yml"))
        raise ConfigError(f"unknown scenario {name!r}: no {path} (known: {', '.join(known)})")
    spec = load_yaml(path)
    scenario = scenario_from_dict(spec, str(path))
    ref = spec.get("reference")
    if ref and use_reference:
        processed = Path(config_dir).parent / "data" / "processed" / ref["election"] / "stations.parquet"
        if not processed.exists():  # never download from here: the pipeline prepares datasets
            return replace(scenario, source=f"parametric (reference {ref['election']} not prepared)")
        try:
            stations, votes = datasets.load_stations(ref["election"], root=Path(config_dir).parent)
            leader = load_election(ref["election"]).get("leader")
            lv = measures.leader_votes(stations, votes, leader)
        except (datasets.DatasetUnavailable, OSError, KeyError, ValueError) as exc:
            # The reference tables cannot be read (ConfigError and pyarrow's errors are
            # ValueErrors): parametric fallback, with the reason in ``source``.
            return replace(
                scenario, source=f"parametric (reference {ref['election']} unavailable: {type(exc).__name__})"
            )
        return scenario_from_reference(
            scenario,
            stations,
            lv,
            max_turnout=float(ref.get("max_turnout", 0.85)),
            max_leader=float(ref.get("max_leader", 0.8)),
        )
    return scenario


def load_scenario(name: str, *, config_dir: Path | None = None, use_reference: bool = True) -> Scenario:
    """Read config/scenarios/<name>.yml.

    Parameters
    ----------
    name : str
        The scenario (file stem).
    config_dir : pathlib.Path, optional
        The config folder (default ``analysis.core.paths.CONFIG``).
    use_reference : bool
        With a ``reference:`` election whose tables are prepared (under the project's
        ``data/processed``), sizes and regional means come from that election
        (:func:`scenario_from_reference`); otherwise from the YAML's parametric part, and
        ``source`` says why. Never downloads.

    Returns
    -------
    Scenario
        The scenario (cached: the same object for the same arguments).

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473, section "Model".

    Examples
    --------
    >>> kz = load_scenario("kz2011-like", use_reference=False)
    >>> kz.n_stations, len(kz.region_names)
    (9725, 16)
    """
    return _load_scenario_cached(name, str(config_dir or paths.CONFIG), use_reference)


def list_scenarios(config_dir: Path | None = None) -> list[str]:
    """Names of the scenarios in ``config_dir``/scenarios (default ``analysis.core.paths.CONFIG``).

    Parameters
    ----------
    config_dir : pathlib.Path, optional
        The config folder.

    Returns
    -------
    list of str
        Sorted file stems.

    References
    ----------
    None: lists config/scenarios/ (docs/ARCHITECTURE.md).

    Examples
    --------
    >>> "kz2011-like" in list_scenarios()
    True
    """
    return sorted(p.stem for p in ((config_dir or paths.CONFIG) / "scenarios").glob("*.yml"))
