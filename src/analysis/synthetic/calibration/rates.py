"""Rejection rates with exact intervals: type-I error tables, the magnitude reaching a power."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.results import FlatResult

CALIBRATED_BAND = (0.035, 0.065)


@dataclass(frozen=True)
class RejectionRateResult(FlatResult):
    """Rejections among ``n`` valid p-values, with the exact (Clopper–Pearson) interval.

    Attributes
    ----------
    rejections, n, n_failed : int
        p-values <= alpha, valid p-values, and failed runs (NaN).
    rate : float
        rejections / n (NaN without valid p-values).
    ci_low, ci_high : float
        The exact interval of the rate.
    """

    rejections: int
    n: int
    n_failed: int
    rate: float
    ci_low: float
    ci_high: float


def rejection_rate(pvalues, *, alpha: float = 0.05, confidence: float = 0.95) -> RejectionRateResult:
    """Share of p-values <= ``alpha``, with its exact confidence interval.

    Parameters
    ----------
    pvalues : array_like
        p-values; NaN (failed runs) are counted in ``n_failed``, not in the rate.
    alpha : float
        The test level.
    confidence : float
        Confidence level of the interval.

    Returns
    -------
    RejectionRateResult
        Rejections, the rate and its Clopper–Pearson interval
        (``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``).

    References
    ----------
    Clopper, C. J. & Pearson, E. S. (1934). *Biometrika* 26(4), 404-413.

    Examples
    --------
    >>> r = rejection_rate([0.01, 0.2, 0.04, np.nan, 0.9])
    >>> r.rejections, r.n, r.n_failed, r.rate
    (2, 4, 1, 0.5)
    """
    p = np.asarray(pvalues, dtype=float)
    ok = np.isfinite(p)
    n = int(ok.sum())
    k = int((p[ok] <= alpha).sum())
    if n == 0:
        return RejectionRateResult(0, 0, int((~ok).sum()), np.nan, np.nan, np.nan)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return RejectionRateResult(k, n, int((~ok).sum()), k / n, float(ci.low), float(ci.high))


def type1_table(
    pvalues: pd.DataFrame,
    tests: Sequence[str],
    scenario: str,
    *,
    alpha: float = 0.05,
    band: tuple[float, float] = CALIBRATED_BAND,
) -> pd.DataFrame:
    """Type-I error of each test on clean elections: rate, interval and whether it lies outside ``band``.

    Parameters
    ----------
    pvalues : pandas.DataFrame
        From :func:`simulate_pvalues` on clean elections.
    tests : sequence of str
        Columns of ``pvalues`` to summarise.
    scenario : str
        The scenario's name (a column of the table).
    alpha : float
        The test level.
    band : tuple of float
        Rates accepted as calibrated (default [3.5 %, 6.5 %] for α = 5 %).

    Returns
    -------
    pandas.DataFrame
        Per test: ``n``, ``n_failed``, ``rejections``, ``type1``, ``ci_low``, ``ci_high``,
        ``flag`` (``"too liberal"``, ``"too conservative"``, ``"no valid p-values"`` or
        ``""``) and ``miscalibrated`` (True where the exact 95 % interval excludes ``alpha``:
        a binomial test of calibration at 5 %; outside the band by the point rate is not yet
        evidence with few elections).

    References
    ----------
    Clopper & Pearson (1934), *Biometrika* 26(4) (the interval).

    Examples
    --------
    >>> pv = pd.DataFrame({"liberal": np.r_[np.full(30, 0.01), np.full(170, 0.5)]})
    >>> type1_table(pv, ["liberal"], "toy")[["test", "type1", "flag", "miscalibrated"]]
          test  type1         flag  miscalibrated
    0  liberal   0.15  too liberal           True
    """
    rows = []
    for name in tests:
        r = rejection_rate(pvalues[name], alpha=alpha)
        flag = (
            ""
            if not np.isfinite(r.rate) or band[0] <= r.rate <= band[1]
            else ("too liberal" if r.rate > band[1] else "too conservative")
        )
        if r.n == 0:
            flag = "no valid p-values"
        miscalibrated = bool(r.n > 0 and not (r.ci_low <= alpha <= r.ci_high))
        rows.append(
            {
                "scenario": scenario,
                "test": name,
                "n": r.n,
                "n_failed": r.n_failed,
                "rejections": r.rejections,
                "type1": r.rate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "flag": flag,
                "miscalibrated": miscalibrated,
            }
        )
    return pd.DataFrame(rows)


def magnitude_for_power(curve: pd.DataFrame, *, target: float = 0.8) -> pd.DataFrame:
    """Smallest magnitude of the grid with power >= ``target``, per (scenario, fraud type, test).

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`power_curve` (several may be concatenated).
    target : float
        The power sought.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``fraud_type``, ``test``, ``magnitude_80`` (NaN when no magnitude of the
        grid reaches ``target``).

    References
    ----------
    Morris, T. P., White, I. R. & Crowther, M. J. (2019). Using simulation studies to evaluate
    statistical methods. *Statistics in Medicine* 38(11), 2074-2102, section 5 (rejection
    rates as performance measures).

    Examples
    --------
    >>> curve = pd.DataFrame({"scenario": "s", "fraud_type": "extreme", "test": "t",
    ...                       "magnitude": [0.0, 0.01, 0.05], "power": [0.05, 0.5, 0.9]})
    >>> magnitude_for_power(curve)["magnitude_80"].tolist()
    [0.05]
    """
    rows = []
    for (scen, ftype, test), group in curve.groupby(["scenario", "fraud_type", "test"], sort=True):
        g = group.sort_values("magnitude")
        hit = g.loc[g["power"] >= target, "magnitude"]
        rows.append(
            {
                "scenario": scen,
                "fraud_type": ftype,
                "test": test,
                "magnitude_80": float(hit.iloc[0]) if len(hit) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["scenario", "fraud_type", "test", "magnitude_80"])


def summary_table(type1: pd.DataFrame, power80: pd.DataFrame) -> pd.DataFrame:
    """Test × scenario: type-I error (with interval and flag) and the 80 %-power magnitude per fraud type.

    Parameters
    ----------
    type1 : pandas.DataFrame
        From :func:`type1_table` (several may be concatenated).
    power80 : pandas.DataFrame
        From :func:`magnitude_for_power`.

    Returns
    -------
    pandas.DataFrame
        One row per (scenario, test), with a column ``power80_<fraud type>`` per fraud type.

    References
    ----------
    Morris, T. P., White, I. R. & Crowther, M. J. (2019). Using simulation studies to evaluate
    statistical methods. *Statistics in Medicine* 38(11), 2074-2102, section 5 (rejection
    rates as performance measures).

    Examples
    --------
    >>> t1 = pd.DataFrame({"scenario": ["s"], "test": ["a"], "n": [10], "type1": [0.05],
    ...                    "ci_low": [0.0], "ci_high": [0.3], "flag": [""]})
    >>> p80 = pd.DataFrame({"scenario": ["s"], "fraud_type": ["extreme"], "test": ["a"], "magnitude_80": [0.01]})
    >>> summary_table(t1, p80)["power80_extreme"].tolist()
    [0.01]
    """
    cols = [c for c in ("scenario", "test", "n", "type1", "ci_low", "ci_high", "flag", "miscalibrated") if c in type1]
    out = type1[cols].copy()
    if len(power80):
        wide = power80.pivot_table(
            index=["scenario", "test"], columns="fraud_type", values="magnitude_80", dropna=False
        )
        wide.columns = [f"power80_{c}" for c in wide.columns]
        out = out.merge(wide.reset_index(), on=["scenario", "test"], how="left")
    return out.sort_values(["scenario", "test"]).reset_index(drop=True)


def with_interval(table: pd.DataFrame, column: str = "power") -> pd.Series:
    """``"<rate> % [<low>, <high>]"`` per row: a rate with its exact 95 % interval, in percent.

    Examples
    --------
    >>> with_interval(pd.DataFrame({"power": [0.5], "ci_low": [0.2], "ci_high": [0.8]})).tolist()
    ['50 % [20, 80]']
    """
    pct = {c: (100 * table[c]).map("{:.0f}".format) for c in (column, "ci_low", "ci_high")}
    return pct[column] + " % [" + pct["ci_low"] + ", " + pct["ci_high"] + "]"
