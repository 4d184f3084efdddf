"""Scenarios of synthetic elections: the parameters, read from config/scenarios/<name>.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize, stats

from analysis.core.config import ConfigError


@dataclass(frozen=True)
class SizeModel:
    """Electorate size per station: resampled from ``values`` (``"empirical"``) or lognormal.

    Attributes
    ----------
    kind : str
        ``"lognormal"`` or ``"empirical"``.
    log_mean, log_sd : float
        Parameters of the lognormal (of the log of the size).
    minimum, maximum : int
        Bounds of the lognormal sizes (rounded, then clipped).
    values : tuple of int
        Sizes to resample from (``"empirical"``).
    """

    kind: str = "lognormal"
    log_mean: float = 6.8
    log_sd: float = 0.6
    minimum: int = 10
    maximum: int = 5000
    values: tuple = ()

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` station sizes drawn with ``rng`` (int64).

        Examples
        --------
        >>> SizeModel(kind="empirical", values=(100, 200)).draw(np.random.default_rng(0), 3)
        array([200, 200, 200])
        """
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
    """One kind of special station (military unit, hospital, abroad, ...).

    Attributes
    ----------
    station_type, label : str
        Canonical ``station_type`` and the scenario's own name for the kind.
    count : int
        Stations of this kind.
    turnout_mean, turnout_sd, leader_mean, leader_sd : float
        Means and widths of their rates (turnout_mean 1 means every voter turns out).
    size : SizeModel
        Their electorates.
    """

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
    """Every parameter of a synthetic election (see config/scenarios/ and :func:`scenario_from_dict`).

    Attributes
    ----------
    name, title : str
        Identifier (used in results keys through :attr:`key`) and title.
    leader : str
        The leader's name; ``other_candidates`` and ``other_shares`` (relative, summing
        to 1) the others'.
    region_names, region_weights, region_turnout, region_leader : tuple
        Regions, their share of the stations, and the means of their station turnout and
        leader-share rates (the truncation to [0, 1] is accounted for).
    n_ordinary : int
        Ordinary stations; ``special`` holds :class:`SpecialStations`.
    size : SizeModel
        Electorates of the ordinary stations.
    turnout_sd, leader_sd : float
        Widths of the station rates around the regional means.
    invalid_rate, mobile_rate, early_rate, spare_ballot_ratio : float
        Shares of invalid ballots, mobile-box and early ballots, and spare ballots received.
    others_concentration : float
        Dirichlet concentration of the other candidates' proportions between stations.
    stations_per_district : int
        Consecutive stations of a region per district.
    source : str
        Where sizes and regional means come from (``"parametric"``, ``"reference"``, or
        why the reference was not used).
    """

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
        """Ordinary plus special stations."""
        return self.n_ordinary + sum(s.count for s in self.special)

    @property
    def candidates(self) -> tuple:
        """The leader, then the other candidates."""
        return (self.leader, *self.other_candidates)

    @property
    def key(self) -> str:
        """Scenario name usable inside results keys (``-`` → ``_``)."""
        return self.name.replace("-", "_")


def _truncnorm_location(target_mean, sd):
    return _truncnorm_location_cached(
        tuple(np.atleast_1d(np.asarray(target_mean, dtype=float)).tolist()), float(sd)
    ).copy()


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
    """Build a :class:`Scenario` from a scenario YAML mapping (see config/scenarios/).

    Parameters
    ----------
    spec : dict
        ``name``, ``n_stations``, ``candidates`` (``leader``, ``others``: relative shares),
        ``regions`` (a list of ``name``, ``weight``, ``turnout_mean``, ``leader_mean``, or
        ``{"random": {...}}`` drawn once from a fixed seed), optionally ``size``,
        ``special`` and the scalar parameters of :class:`Scenario`.
    where : str
        Where the mapping comes from, for error messages.

    Returns
    -------
    Scenario
        The scenario; a malformed mapping raises ``ConfigError``.

    References
    ----------
    Klimek, Yegorov, Hanel & Thurner (2012), *PNAS* 109(41), 16469-16473, section "Model".

    Examples
    --------
    >>> s = scenario_from_dict({"name": "toy", "n_stations": 100, "candidates": {"leader": "A", "others": {"B": 3, "C": 1}},
    ...                         "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.5}]})
    >>> s.candidates, s.other_shares, s.n_stations
    (('A', 'B', 'C'), (0.75, 0.25), 100)
    """
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
            {
                "name": f"Region {i + 1:02d}",
                "weight": float(w[i]),
                "turnout_mean": float(t[i]),
                "leader_mean": float(v[i]),
            }
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
