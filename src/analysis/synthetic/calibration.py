"""Type-I error and power of every forensic test on synthetic elections.

Every test module exposes ``calibration_tests() -> {name: fn(stations, votes, leader, rng)
-> p-value}`` (docs/ARCHITECTURE.md, "Calibration registry"). Here each test is run on many
elections drawn from a scenario (:mod:`analysis.synthetic.simulate`):

* type-I error: the rejection rate at level ``alpha`` on clean elections, with an exact
  Clopper–Pearson interval (``scipy.stats.binomtest(...).proportion_ci(method="exact")``).
  A test whose rate lies outside ``[3.5 %, 6.5 %]`` (for α = 5 %) is flagged.
* power: the rejection rate over a grid of magnitudes of one fraud type, and the smallest
  magnitude of the grid at which the rate reaches 80 %.

Reproducibility: the seed of election ``i`` is child ``i`` of ``SeedSequence(seed)``; inside
it, the simulation and each test get their own streams (a test's stream is keyed by the CRC32
of its name), so adding a test or changing ``n_jobs`` changes no other number.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats
from tqdm.auto import tqdm

from analysis.synthetic import simulate

TEST_MODULES = ("distributions", "full_turnout", "digits", "spikes")
CALIBRATED_BAND = (0.035, 0.065)


def registered_tests(modules: Sequence[str] = TEST_MODULES, strict: bool = False) -> dict[str, Callable]:
    """All tests of the calibration registry, sorted by name.

    A module that is absent (or lacks ``calibration_tests``) is skipped unless ``strict``;
    :func:`missing_modules` says which.
    """
    out: dict[str, Callable] = {}
    for name in modules:
        try:
            mod = importlib.import_module(f"analysis.stats.{name}")
            tests = mod.calibration_tests()
        except (ImportError, AttributeError):
            if strict:
                raise
            continue
        for test_name, fn in tests.items():
            if test_name in out:
                raise ValueError(f"calibration test {test_name!r} is registered twice (second time by analysis.{name})")
            out[test_name] = fn
    return dict(sorted(out.items()))


def missing_modules(modules: Sequence[str] = TEST_MODULES) -> list[str]:
    """Test modules that do not (yet) provide ``calibration_tests``."""
    missing = []
    for name in modules:
        try:
            mod = importlib.import_module(f"analysis.stats.{name}")
            if not hasattr(mod, "calibration_tests"):
                missing.append(name)
        except ImportError:
            missing.append(name)
    return missing


def _test_rng(election_ss: np.random.SeedSequence, test_name: str) -> np.random.Generator:
    key = zlib.crc32(test_name.encode("utf-8"))
    ss = np.random.SeedSequence(entropy=election_ss.entropy, spawn_key=(*election_ss.spawn_key, 1, key))
    return np.random.default_rng(ss)


def _sim_rng(election_ss: np.random.SeedSequence) -> np.random.Generator:
    ss = np.random.SeedSequence(entropy=election_ss.entropy, spawn_key=(*election_ss.spawn_key, 0))
    return np.random.default_rng(ss)


def election_seeds(seed: int, n_elections: int) -> list[np.random.SeedSequence]:
    """Per-election seeds: the children of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed).spawn(n_elections)


def _run_chunk(scenario, seeds, tests: Mapping[str, Callable], fraud, tag=None) -> list[dict]:
    rows = []
    for ss in seeds:
        election = simulate.simulate_election(scenario, _sim_rng(ss), fraud=fraud)
        row = {"election": int(ss.spawn_key[-1])}
        if tag is not None:
            row["_tag"] = tag
        for name, fn in tests.items():
            try:
                p = float(fn(election.stations, election.votes, election.leader, _test_rng(ss, name)))
                row[name] = p if 0.0 <= p <= 1.0 else np.nan
                if not (0.0 <= p <= 1.0):
                    row[f"error:{name}"] = f"p-value {p} outside [0, 1]"
            except Exception as exc:  # recorded, never silently dropped
                row[name] = np.nan
                row[f"error:{name}"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows


def _run_batches(scenario, tests, batches, n_jobs, progress, desc) -> list[dict]:
    """Run ``batches`` = [(tag, fraud, seeds)] in one joblib pool, chunked, with a progress bar."""
    tasks = []
    for tag, fraud, seeds in batches:
        n_chunks = max(1, min(len(seeds), 2 * max(n_jobs, 1)))
        for idx in np.array_split(np.arange(len(seeds)), n_chunks):
            if len(idx):
                tasks.append((tag, fraud, [seeds[i] for i in idx]))
    total = sum(len(t[2]) for t in tasks)
    bar = tqdm(total=total, desc=desc, disable=not progress, leave=False)
    rows: list[dict] = []
    if n_jobs == 1:
        for tag, fraud, seeds in tasks:
            part = _run_chunk(scenario, seeds, tests, fraud, tag)
            rows.extend(part)
            bar.update(len(part))
    else:
        jobs = (delayed(_run_chunk)(scenario, seeds, tests, fraud, tag) for tag, fraud, seeds in tasks)
        for part in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
            rows.extend(part)
            bar.update(len(part))
    bar.close()
    return rows


def _frame(rows, tests, by=("election",)) -> pd.DataFrame:
    frame = pd.DataFrame(rows).sort_values(list(by), kind="stable").reset_index(drop=True)
    for name in tests:
        if name not in frame:
            frame[name] = np.nan
    return frame


def simulate_pvalues(
    scenario: simulate.Scenario,
    tests: Mapping[str, Callable],
    n_elections: int,
    seed: int = 0,
    fraud: dict | None = None,
    n_jobs: int = 2,
    progress: bool = True,
    desc: str | None = None,
) -> pd.DataFrame:
    """p-values of every test on ``n_elections`` elections drawn from ``scenario``.

    Returns one row per election (``election`` = its seed index) and one column per test;
    a failed test run is NaN with its message in column ``error:<test>``.
    """
    seeds = election_seeds(seed, n_elections)
    rows = _run_batches(scenario, tests, [(None, fraud, seeds)], n_jobs, progress, desc or scenario.name)
    frame = _frame(rows, tests)
    return frame.drop(columns="_tag", errors="ignore")


@dataclass(frozen=True)
class RejectionRate:
    """Rejections among ``n`` valid p-values, with the exact (Clopper–Pearson) interval."""

    rejections: int
    n: int
    n_failed: int
    rate: float
    ci_low: float
    ci_high: float


def rejection_rate(pvalues, alpha: float = 0.05, confidence: float = 0.95) -> RejectionRate:
    """Share of p-values ≤ ``alpha``; NaN p-values (failed runs) are counted in ``n_failed``.

    The interval is Clopper & Pearson (1934, Biometrika 26(4)), via ``scipy.stats.binomtest``.
    """
    p = np.asarray(pvalues, dtype=float)
    ok = np.isfinite(p)
    n = int(ok.sum())
    k = int((p[ok] <= alpha).sum())
    if n == 0:
        return RejectionRate(0, 0, int((~ok).sum()), np.nan, np.nan, np.nan)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return RejectionRate(k, n, int((~ok).sum()), k / n, float(ci.low), float(ci.high))


def type1_table(pvalues: pd.DataFrame, tests: Sequence[str], scenario: str, alpha: float = 0.05,
                band: tuple[float, float] = CALIBRATED_BAND) -> pd.DataFrame:
    """Type-I error of each test: rate, interval and whether it lies outside ``band``.

    ``flag`` is ``"too liberal"`` (rate above the band), ``"too conservative"`` (below) or
    ``""``; with the default band this is the [3.5 %, 6.5 %] rule for α = 5 %.
    ``miscalibrated`` is True where the exact 95 % interval excludes ``alpha`` (a binomial
    test of calibration at 5 %).
    """
    rows = []
    for name in tests:
        r = rejection_rate(pvalues[name], alpha)
        flag = "" if not np.isfinite(r.rate) or band[0] <= r.rate <= band[1] else ("too liberal" if r.rate > band[1] else "too conservative")
        if r.n == 0:
            flag = "no valid p-values"
        # Outside the band by the point rate (the rule) is not yet evidence with few
        # elections; ``miscalibrated`` says the exact interval excludes α itself.
        miscalibrated = bool(r.n > 0 and not (r.ci_low <= alpha <= r.ci_high))
        rows.append({"scenario": scenario, "test": name, "n": r.n, "n_failed": r.n_failed, "rejections": r.rejections,
                     "type1": r.rate, "ci_low": r.ci_low, "ci_high": r.ci_high, "flag": flag, "miscalibrated": miscalibrated})
    return pd.DataFrame(rows)


def power_curve(
    scenario: simulate.Scenario,
    tests: Mapping[str, Callable],
    fraud_type: str,
    magnitudes: Sequence[float],
    n_elections: int,
    seed: int = 0,
    alpha: float = 0.05,
    fraud_params: dict | None = None,
    n_jobs: int = 2,
    progress: bool = True,
) -> pd.DataFrame:
    """Rejection rate of each test over ``magnitudes`` of one fraud type (long table).

    The same election seeds are used at every magnitude (common random numbers), so the curves
    are smooth in the magnitude.
    """
    if fraud_type not in simulate.FRAUD_TYPES:
        raise ValueError(f"unknown fraud type {fraud_type!r}: expected one of {simulate.FRAUD_TYPES}")
    seeds = election_seeds(seed, n_elections)
    batches = [(float(m), {fraud_type: {"magnitude": float(m), **(fraud_params or {})}}, seeds) for m in magnitudes]
    pv = _frame(_run_batches(scenario, tests, batches, n_jobs, progress, f"power {scenario.name} {fraud_type}"), tests,
                by=("_tag", "election"))
    rows = []
    for m in magnitudes:
        sub = pv[pv["_tag"] == float(m)]
        for name in tests:
            r = rejection_rate(sub[name], alpha)
            rows.append({"scenario": scenario.name, "fraud_type": fraud_type, "magnitude": float(m), "test": name,
                         "n": r.n, "n_failed": r.n_failed, "power": r.rate, "ci_low": r.ci_low, "ci_high": r.ci_high})
    return pd.DataFrame(rows)


def magnitude_for_power(curve: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Smallest magnitude of the grid with power ≥ ``target``, per (scenario, fraud type, test).

    NaN when no magnitude of the grid reaches it.
    """
    rows = []
    for (scen, ftype, test), g in curve.groupby(["scenario", "fraud_type", "test"], sort=True):
        g = g.sort_values("magnitude")
        hit = g.loc[g["power"] >= target, "magnitude"]
        rows.append({"scenario": scen, "fraud_type": ftype, "test": test, "magnitude_80": float(hit.iloc[0]) if len(hit) else np.nan})
    return pd.DataFrame(rows, columns=["scenario", "fraud_type", "test", "magnitude_80"])


def summary_table(type1: pd.DataFrame, power80: pd.DataFrame) -> pd.DataFrame:
    """Test × scenario: type-I error (with interval and flag) and the 80 %-power magnitude per fraud type."""
    cols = [c for c in ("scenario", "test", "n", "type1", "ci_low", "ci_high", "flag", "miscalibrated") if c in type1]
    out = type1[cols].copy()
    if len(power80):
        wide = power80.pivot_table(index=["scenario", "test"], columns="fraud_type", values="magnitude_80", dropna=False)
        wide.columns = [f"power80_{c}" for c in wide.columns]
        out = out.merge(wide.reset_index(), on=["scenario", "test"], how="left")
    return out.sort_values(["scenario", "test"]).reset_index(drop=True)
