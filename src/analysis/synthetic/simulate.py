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

Output follows the canonical station and long votes tables of docs/ARCHITECTURE.md, with the
protocol identities holding: received = issued + cancelled; issued = early + in station +
mobile; in boxes = portable + stationary = valid + invalid = issued; Σ candidates = valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.core import paths

from analysis.data import schema
from analysis.core.config import ConfigError, load_yaml

# The canonical column order, from the one schema every adapter uses.
STATION_COLUMNS = tuple(schema.STATION_COLUMNS)
COUNT_COLUMNS = tuple(schema.COUNT_COLUMNS + schema.DERIVED_COUNT_COLUMNS)
VOTE_COLUMNS = tuple(schema.VOTE_COLUMNS)
FRAUD_TYPES = ("incremental", "extreme", "rounding", "protocol_rewrite", "special_full_turnout")


# --------------------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeModel:
    """Electorate size per station: resampled from ``values`` or lognormal."""

    kind: str = "lognormal"
    log_mean: float = 6.8
    log_sd: float = 0.6
    minimum: int = 10
    maximum: int = 5000
    values: tuple = ()

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if self.kind == "empirical":
            if len(self.values) == 0:
                raise ConfigError("size model 'empirical' needs values")
            return rng.choice(np.asarray(self.values, dtype=np.int64), size=n, replace=True)
        if self.kind != "lognormal":
            raise ConfigError(f"size model {self.kind!r}: expected 'lognormal' or 'empirical'")
        sizes = np.rint(np.exp(rng.normal(self.log_mean, self.log_sd, n))).astype(np.int64)
        return np.clip(sizes, self.minimum, self.maximum)


@dataclass(frozen=True)
class SpecialStations:
    """One kind of special station (military unit, hospital, abroad, ...)."""

    station_type: str
    label: str
    count: int
    turnout_mean: float
    turnout_sd: float
    leader_mean: float
    leader_sd: float
    size: SizeModel


@dataclass(frozen=True)
class Scenario:
    """Every parameter of a synthetic election. Region means are means of the station rates."""

    name: str
    title: str
    leader: str
    other_candidates: tuple
    other_shares: tuple
    region_names: tuple
    region_weights: tuple
    region_turnout: tuple
    region_leader: tuple
    n_ordinary: int
    size: SizeModel
    turnout_sd: float = 0.07
    leader_sd: float = 0.07
    invalid_rate: float = 0.015
    mobile_rate: float = 0.05
    early_rate: float = 0.0
    spare_ballot_ratio: float = 0.03
    others_concentration: float = 50.0
    stations_per_district: int = 40
    special: tuple = ()
    source: str = "parametric"

    @property
    def n_stations(self) -> int:
        return self.n_ordinary + sum(s.count for s in self.special)

    @property
    def candidates(self) -> tuple:
        return (self.leader, *self.other_candidates)

    @property
    def key(self) -> str:
        """Scenario name usable inside results keys (``-`` → ``_``)."""
        return self.name.replace("-", "_")


def _truncnorm_location(target_mean, sd):
    return _truncnorm_location_cached(tuple(np.atleast_1d(np.asarray(target_mean, dtype=float)).tolist()), float(sd)).copy()


@lru_cache(maxsize=256)
def _truncnorm_location_cached(target_mean: tuple, sd: float):
    """Location μ such that the N(μ, sd) truncated to [0, 1] has mean ``target_mean``.

    The scenario states region means as the means of the station rates; near 0 or 1 the
    truncation shifts the mean, so the location is solved for.
    """
    target = np.atleast_1d(np.asarray(target_mean, dtype=float))
    out = np.empty_like(target)
    for i, m in enumerate(target):
        if not 0.0 < m < 1.0:
            raise ConfigError(f"region mean {m} must lie strictly between 0 and 1")
        if sd <= 0:
            out[i] = m
            continue

        def gap(mu, m=m):
            return stats.truncnorm.mean((0 - mu) / sd, (1 - mu) / sd, loc=mu, scale=sd) - m

        lo, hi = m - 10 * sd - 1, m + 10 * sd + 1
        out[i] = optimize.brentq(gap, lo, hi, xtol=1e-10)
    return out


def _size_from_spec(spec: dict | None, where: str) -> SizeModel:
    spec = dict(spec or {})
    kind = spec.pop("kind", "lognormal")
    if kind == "lognormal" and "median" in spec:
        spec["log_mean"] = float(np.log(spec.pop("median")))
    allowed = {"log_mean", "log_sd", "minimum", "maximum"}
    unknown = set(spec) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown size keys {sorted(unknown)}")
    return SizeModel(kind=kind, **spec)


def scenario_from_dict(spec: dict, where: str = "<scenario>") -> Scenario:
    """Build a :class:`Scenario` from a scenario YAML mapping (see config/scenarios/)."""
    try:
        regions = spec["regions"]
        candidates = spec["candidates"]
    except KeyError as exc:
        raise ConfigError(f"{where}: missing key {exc.args[0]!r}") from None
    if isinstance(regions, dict) and "random" in regions:
        # Parametric fallback: region means drawn once from a fixed seed, so the scenario
        # itself is fixed; elections drawn from it still vary with their own seeds.
        r = regions["random"]
        rrng = np.random.default_rng(r.get("seed", 0))
        n_reg = int(r["n"])
        t = np.clip(rrng.normal(r["turnout_mean"], r["turnout_sd"], n_reg), 0.05, 0.95)
        v = np.clip(rrng.normal(r["leader_mean"], r["leader_sd"], n_reg), 0.05, 0.95)
        w = rrng.lognormal(0.0, r.get("weight_log_sd", 0.6), n_reg)
        regions = [
            {"name": f"Region {i + 1:02d}", "weight": float(w[i]), "turnout_mean": float(t[i]), "leader_mean": float(v[i])}
            for i in range(n_reg)
        ]
    names, weights, tmeans, vmeans = [], [], [], []
    for j, reg in enumerate(regions):
        for key in ("name", "weight", "turnout_mean", "leader_mean"):
            if key not in reg:
                raise ConfigError(f"{where}: region #{j + 1} lacks {key!r}")
        names.append(str(reg["name"]))
        weights.append(float(reg["weight"]))
        tmeans.append(float(reg["turnout_mean"]))
        vmeans.append(float(reg["leader_mean"]))
    others = candidates.get("others", {})
    shares = np.array(list(others.values()), dtype=float)
    if len(shares) == 0 or np.any(shares <= 0):
        raise ConfigError(f"{where}: candidates.others needs positive relative shares")
    special = []
    for stype, s in (spec.get("special") or {}).items():
        special.append(
            SpecialStations(
                station_type=s.get("station_type", stype),
                label=stype,
                count=int(s["count"]),
                turnout_mean=float(s["turnout_mean"]),
                turnout_sd=float(s.get("turnout_sd", 0.03)),
                leader_mean=float(s.get("leader_mean", np.average(vmeans, weights=weights))),
                leader_sd=float(s.get("leader_sd", spec.get("leader_sd", 0.07))),
                size=_size_from_spec(s.get("size"), f"{where}: special {stype}"),
            )
        )
    n_total = int(spec["n_stations"])
    n_special = sum(s.count for s in special)
    if n_special > n_total:
        raise ConfigError(f"{where}: {n_special} special stations exceed n_stations={n_total}")
    scalars = {
        k: spec[k]
        for k in (
            "turnout_sd",
            "leader_sd",
            "invalid_rate",
            "mobile_rate",
            "early_rate",
            "spare_ballot_ratio",
            "others_concentration",
            "stations_per_district",
        )
        if k in spec
    }
    return Scenario(
        name=str(spec["name"]),
        title=str(spec.get("title", spec["name"])),
        leader=str(candidates["leader"]),
        other_candidates=tuple(str(k) for k in others),
        other_shares=tuple((shares / shares.sum()).tolist()),
        region_names=tuple(names),
        region_weights=tuple(weights),
        region_turnout=tuple(tmeans),
        region_leader=tuple(vmeans),
        n_ordinary=n_total - n_special,
        size=_size_from_spec(spec.get("size"), f"{where}: size"),
        special=tuple(special),
        source=str(spec.get("source", "parametric")),
        **scalars,
    )


def scenario_from_reference(base: Scenario, stations: pd.DataFrame, leader_votes, max_turnout: float, max_leader: float,
                            min_registered: int = 1) -> Scenario:
    """Replace sizes and regional means of ``base`` by those of a real election.

    Sizes: the registered voters of the ordinary stations, resampled. Region means: the
    median station turnout and leader share of each region, capped at ``max_turnout`` and
    ``max_leader`` because in regions where fraud dominates (the Klimek et al. "extreme"
    cluster) the median is itself falsified and would not be an honest baseline.
    """
    from analysis.stats import measures

    registered = pd.to_numeric(stations["registered"]).to_numpy(dtype=float, na_value=np.nan)
    t = measures.turnout(stations)
    v = measures.leader_share(stations, leader_votes)
    ordinary = (stations["station_type"].astype(str) == "ordinary").to_numpy() if "station_type" in stations else np.ones(len(stations), bool)
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
            from analysis.data import datasets  # noqa: PLC0415

            stations, votes = datasets.load_stations(ref["election"], root=Path(config_dir).parent)
            from analysis.core.config import load_election

            leader = load_election(ref["election"]).get("leader")
            lv = measures.leader_votes(stations, votes, leader)
        except Exception as exc:  # dataset absent or not yet prepared: parametric fallback
            return replace(scenario, source=f"parametric (reference {ref['election']} unavailable: {type(exc).__name__})")
        return scenario_from_reference(
            scenario, stations, lv, float(ref.get("max_turnout", 0.85)), float(ref.get("max_leader", 0.8))
        )
    return scenario


def load_scenario(name: str, config_dir: Path | None = None, use_reference: bool = True) -> Scenario:
    """Read config/scenarios/<name>.yml. With ``reference:`` and the dataset prepared,
    sizes and regional means come from that election; otherwise from the YAML's parametric part."""
    return _load_scenario_cached(name, str(config_dir or paths.CONFIG), use_reference)


def list_scenarios(config_dir: Path | None = None) -> list[str]:
    return sorted(p.stem for p in ((config_dir or paths.CONFIG) / "scenarios").glob("*.yml"))


# --------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------


@dataclass
class _Counts:
    """Mutable per-station counts while an election is drawn and falsified."""

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
        return self.early + self.in_station + self.mobile

    @property
    def valid(self) -> np.ndarray:
        return self.leader + self.others.sum(axis=1)


@dataclass(frozen=True)
class SyntheticElection:
    """A drawn election: canonical tables plus the truth the tests must not see."""

    stations: pd.DataFrame
    votes: pd.DataFrame
    leader: str
    scenario: str
    fraud: dict
    fraud_mask: dict = field(default_factory=dict)
    honest_leader_votes: np.ndarray | None = None
    honest_ballots_issued: np.ndarray | None = None


def _allocate(total: int, weights) -> np.ndarray:
    """Largest-remainder allocation of ``total`` items in proportion to ``weights``."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    rest = total - base.sum()
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def _draw_honest(scenario: Scenario, rng: np.random.Generator) -> _Counts:
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
        stats.truncnorm.rvs((0 - t_loc) / safe_sd, (1 - t_loc) / safe_sd, loc=t_loc, scale=safe_sd, size=n, random_state=rng),
        np.clip(t_loc, 0, 1),
    )
    safe_vsd = np.where(v_sd > 0, v_sd, 1.0)
    v_rate = np.where(
        v_sd > 0,
        stats.truncnorm.rvs((0 - v_loc) / safe_vsd, (1 - v_loc) / safe_vsd, loc=v_loc, scale=safe_vsd, size=n, random_state=rng),
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
    return _Counts(
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


# ----------------------------- fraud injections ---------------------------------------


def _stuff_and_transfer(c: _Counts, rng, mask: np.ndarray, x: np.ndarray, alpha: float) -> None:
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


def inject_incremental(c: _Counts, rng, magnitude: float, theta: float = 0.1, alpha: float = 2.0) -> np.ndarray:
    """Klimek incremental fraud: each station with probability ``magnitude`` (fi), x ~ |N(0, θ)|."""
    mask = rng.random(len(c.registered)) < magnitude
    x = np.abs(rng.normal(0.0, theta, len(c.registered)))
    _stuff_and_transfer(c, rng, mask, x, alpha)
    return mask


def inject_extreme(c: _Counts, rng, magnitude: float, theta: float = 0.1, alpha: float = 2.0) -> np.ndarray:
    """Klimek extreme fraud: each station with probability ``magnitude`` (fe), x ~ 1 - |N(0, θ)|."""
    mask = rng.random(len(c.registered)) < magnitude
    x = 1.0 - np.abs(rng.normal(0.0, theta, len(c.registered)))
    _stuff_and_transfer(c, rng, mask, x, alpha)
    return mask


def _take_from_others(c: _Counts, idx: np.ndarray, amount: np.ndarray) -> None:
    """Move ``amount`` votes per station from the other candidates (proportionally) to the leader."""
    pool = c.others[idx]
    total = pool.sum(axis=1)
    amount = np.minimum(amount, total)
    with np.errstate(divide="ignore", invalid="ignore"):
        take = np.where(total[:, None] > 0, np.floor(pool * (amount / np.where(total > 0, total, 1))[:, None]), 0).astype(np.int64)
    short = amount - take.sum(axis=1)
    # The remainder (fewer than k votes) comes from the largest remaining other candidate.
    biggest = np.argmax(pool - take, axis=1)
    take[np.arange(len(idx)), biggest] += short
    c.others[idx] = pool - take
    c.leader[idx] += amount


def inject_rounding(c: _Counts, rng, magnitude: float, step_pct: float = 1.0, min_registered: int = 100) -> np.ndarray:
    """Kobak et al.: reported turnout and leader share raised to the next multiple of ``step_pct`` %.

    Extra turnout is stuffed ballots for the leader; the leader's share is then raised by
    taking votes from the other candidates.
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
    c: _Counts, rng, magnitude: float, share: float = 0.5, candidate_prob: float = 0.5, invalid_share: float = 0.5
) -> np.ndarray:
    """Footnote-121 pattern: at rewritten stations a ``share`` of each selected other candidate's
    votes (each selected with ``candidate_prob``) and ``invalid_share`` of the invalid ballots
    go to the incumbent in the district table. Ballot totals (turnout) are unchanged."""
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
    c: _Counts, rng, magnitude: float, station_types=("military", "institution"), transfer_share: float = 1.0
) -> np.ndarray:
    """Special stations reported at 100 % turnout: every non-voter's ballot stuffed for the
    leader and ``transfer_share`` of the other candidates' votes moved to the leader."""
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


_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _str_column(categories, codes) -> pd.api.extensions.ExtensionArray:
    """``categories[codes]`` as pandas' ``str`` dtype, built in Arrow (object arrays are slow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cats = pa.array([str(x) for x in categories], type=pa.large_string())
    return pd.array(pc.take(cats, pa.array(np.asarray(codes, dtype=np.int64))), dtype=_STR)


def _station_names(n: int) -> np.ndarray:
    width = max(5, len(str(n)))
    return np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _district_codes(scenario: Scenario, region: np.ndarray):
    """Districts: consecutive stations of a region, ``stations_per_district`` each."""
    n = len(region)
    starts = np.r_[0, np.flatnonzero(np.diff(region)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    dnum = (np.arange(n) - first) // max(int(scenario.stations_per_district), 1) + 1
    labels, codes = np.unique(np.char.add(np.char.add("R", np.char.zfill((region + 1).astype(str), 2)),
                                          np.char.add("-D", np.char.zfill(dnum.astype(str), 3))), return_inverse=True)
    return labels, codes


def _tables(scenario: Scenario, c: _Counts, spare_ratio: float):
    n = len(c.registered)
    issued = c.issued
    received = np.ceil(c.registered * (1.0 + spare_ratio)).astype(np.int64)
    received = np.maximum(received, issued)
    counted = c.invalid + c.valid
    if not np.array_equal(counted, issued):
        raise AssertionError("simulation broke the identity valid + invalid = ballots issued")
    station_names = _station_names(n)
    d_labels, d_codes = _district_codes(scenario, c.region)
    t_labels, t_codes = np.unique(c.station_type.astype(str), return_inverse=True)
    zeros = np.zeros(n, dtype=np.int64)
    counts = {
        "registered": c.registered,
        "ballots_received": received,
        "ballots_issued_early": c.early,
        "ballots_issued_in_station": c.in_station,
        "ballots_issued_mobile": c.mobile,
        "ballots_cancelled": received - issued,
        "ballots_in_portable_boxes": c.mobile,
        "ballots_in_stationary_boxes": issued - c.mobile,
        "invalid": c.invalid,
        "valid": c.valid,
        "lost": zeros,
        "unaccounted": zeros,
        "ballots_issued": issued,
        "ballots_in_boxes": counted,
    }
    cols = {
        "election": _str_column([scenario.name], np.zeros(n, dtype=np.int64)),
        "region": _str_column(scenario.region_names, c.region),
        "district": _str_column(d_labels, d_codes),
        "station": _str_column(station_names, np.arange(n)),
        "station_type": _str_column(t_labels, t_codes),
    }
    cols.update({k: pd.array(v.astype(np.int64), dtype="Int64") for k, v in counts.items()})
    cols["flag"] = _str_column([""], np.zeros(n, dtype=np.int64))
    stations = pd.DataFrame(cols, columns=list(STATION_COLUMNS))
    k1 = 1 + c.others.shape[1]
    row_station = np.repeat(np.arange(n), k1)
    votes = pd.DataFrame(
        {
            "election": _str_column([scenario.name], np.zeros(n * k1, dtype=np.int64)),
            "region": _str_column(scenario.region_names, c.region[row_station]),
            "district": _str_column(d_labels, d_codes[row_station]),
            "station": _str_column(station_names, row_station),
            "candidate": _str_column(scenario.candidates, np.tile(np.arange(k1), n)),
            "votes": pd.array(np.column_stack([c.leader, c.others]).ravel().astype(np.int64), dtype="Int64"),
        }
    )
    return stations, votes


def simulate_election(scenario: Scenario, seed=None, fraud: dict | None = None) -> SyntheticElection:
    """Draw one election from ``scenario``; ``fraud`` maps fraud types to a magnitude or to a
    dict of the injector's keyword arguments (``magnitude`` plus e.g. ``alpha``, ``theta``).

    ``seed`` is an int, a ``numpy.random.SeedSequence`` or a ``Generator``; the same seed
    gives the same tables.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    fraud_spec = _normalize_fraud(fraud)
    c = _draw_honest(scenario, rng)
    honest_leader = c.leader.copy()
    honest_issued = c.issued.copy()
    masks = {}
    for name in _ORDER:
        if name in fraud_spec:
            masks[name] = INJECTORS[name](c, rng, **fraud_spec[name])
    stations, votes = _tables(scenario, c, scenario.spare_ballot_ratio)
    return SyntheticElection(
        stations=stations,
        votes=votes,
        leader=scenario.leader,
        scenario=scenario.name,
        fraud=fraud_spec,
        fraud_mask=masks,
        honest_leader_votes=honest_leader,
        honest_ballots_issued=honest_issued,
    )


def leader_votes(election: SyntheticElection) -> np.ndarray:
    """The leader's votes aligned with ``election.stations`` (the votes table is station-major)."""
    k1 = election.votes["candidate"].nunique()
    return election.votes["votes"].to_numpy(dtype=np.int64)[::k1]
