"""Results keys and the comparison table of the fraud-amount estimators (notebook 08).

Three estimators of how much fraud, side by side: the Klimek et al. (2012) model fitted to the
fingerprint (``klimek_*``, :mod:`analysis.stats.klimek`), the finite-mixture model of Mebane
(2016) (``fm_*``, written by notebook 09_fraud_mixture and copied into 08's results), and
Shpilkin's excess votes (``shpilkin_*``, :mod:`analysis.stats.shpilkin`). Nothing statistical is
computed here: the functions rename and format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from analysis.core import config, paths

#: What an entry of config/published_estimates.yml may hold besides its ``source`` and ``finite_mixture``.
PUBLISHED_PARAMETERS = ("fi", "fe", "alpha", "tau", "nu", "sigma_tau", "sigma_nu", "theta")

#: The finite-mixture keys notebook 09_fraud_mixture writes (each with ``_low`` / ``_high`` where
#: marked), copied into 08's results where present.
FM_KEYS = ("fm_fi", "fm_fe", "fm_alpha", "fm_expected_fraud_votes", "fm_seconds")


def published_estimates(election: str, config_dir: Path | None = None) -> dict[str, dict]:
    """The published estimates of ``election`` (config/published_estimates.yml): ``{source id: {"source":
    citation, "finite_mixture": bool, parameter: value, ...}}``, empty when none is recorded.

    Examples
    --------
    >>> published_estimates("ru2011")["klimek2012"]["fi"], published_estimates("pl2020r1")
    (0.64, {})
    """
    path = (config_dir or paths.CONFIG) / "published_estimates.yml"
    where = path.name
    table = config.load_yaml(path) or {}
    if not isinstance(table, dict):
        raise config.ConfigError(f"{where}: must be a mapping of election ids to sources")
    entries = table.get(election) or {}
    out = {}
    for name, entry in entries.items():
        at = f"{where}: {election}.{name}"
        if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
            raise config.ConfigError(f"{at}: must be a mapping with a `source:` citation")
        if not isinstance(entry.get("finite_mixture", False), bool):
            raise config.ConfigError(f"{at}.finite_mixture: must be true or false")
        for key, value in entry.items():
            if key in ("source", "finite_mixture"):
                continue
            if key not in PUBLISHED_PARAMETERS:
                raise config.ConfigError(
                    f"{at}: unknown key {key!r} (allowed: source, finite_mixture, {', '.join(PUBLISHED_PARAMETERS)})"
                )
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise config.ConfigError(f"{at}.{key}: {value!r} must be a number")
        out[name] = {"finite_mixture": False, **entry}
    return out


def klimek_keys(fit, prefix: str = "klimek_") -> dict:
    """Results keys of a Klimek fit: ``fi``, ``fe``, ``alpha``, ``theta`` (each with ``_low`` /
    ``_high``, None without bootstrap or for a fixed θ), ``distance``, ``honest_model``,
    ``n_stations``."""
    out = {}
    for p in ("fi", "fe", "alpha", "theta"):
        lo, hi = getattr(fit, f"{p}_ci")
        out[f"{prefix}{p}"] = float(getattr(fit, p))
        out[f"{prefix}{p}_low"] = None if math.isnan(lo) else float(lo)
        out[f"{prefix}{p}_high"] = None if math.isnan(hi) else float(hi)
    out[f"{prefix}distance"] = float(fit.distance)
    out[f"{prefix}honest_model"] = fit.honest_model
    out[f"{prefix}n_stations"] = int(fit.n_stations)
    return out


def shpilkin_keys(result, prefix: str = "shpilkin_") -> dict:
    """Results keys of Shpilkin's estimate (every scalar field; NaN intervals become None)."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in result.as_dict(prefix).items()}


def fm_keys(fm: Mapping | None) -> dict:
    """The ``fm_*`` keys of a 09_fraud_mixture results mapping (empty when it is missing)."""
    return {k: v for k, v in (fm or {}).items() if k.startswith("fm_")}


def _fmt(values: Mapping, key: str, fmt: str) -> str:
    value = values.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = fmt.format(value)
    lo, hi = values.get(f"{key}_low"), values.get(f"{key}_high")
    if lo is not None and hi is not None:
        text += f" [{fmt.format(lo)}, {fmt.format(hi)}]"
    return text


def comparison_table(results_by_election: Mapping[str, Mapping | None]) -> pd.DataFrame:
    """One row per (election, estimator): fi, fe and fraudulent votes, each with its interval.

    Parameters
    ----------
    results_by_election : mapping
        ``{election: 08's results mapping (with the fm_* keys where 09 ran), or None}``.

    Returns
    -------
    pandas.DataFrame
        Columns ``election``, ``estimator``, ``fi``, ``fe``, ``fraudulent votes``, ``note``;
        "—" where an estimator does not give a quantity or its results are missing.

    Examples
    --------
    >>> t = comparison_table({"x": {"klimek_fi": 0.5, "klimek_fi_low": 0.4, "klimek_fi_high": 0.6}})
    >>> t.loc[0, "fi"], t.loc[1, "note"]
    ('0.500 [0.400, 0.600]', 'no 09_fraud_mixture results')
    """
    rows = []
    for election, found in results_by_election.items():
        values = found or {}
        missing = "no 08_fraud_model results" if not values else ""
        rows += [
            {"election": election, "estimator": "Klimek et al. model fit", "fi": _fmt(values, "klimek_fi", "{:.3f}"),
             "fe": _fmt(values, "klimek_fe", "{:.4f}"), "fraudulent votes": "—", "note": missing},
            {"election": election, "estimator": "finite mixture (Mebane 2016)", "fi": _fmt(values, "fm_fi", "{:.3f}"),
             "fe": _fmt(values, "fm_fe", "{:.4f}"),
             "fraudulent votes": _fmt(values, "fm_expected_fraud_votes", "{:,.0f}"),
             "note": missing or ("" if "fm_fi" in values else "no 09_fraud_mixture results")},
            {"election": election, "estimator": "Shpilkin's excess", "fi": "—", "fe": "—",
             "fraudulent votes": _fmt(values, "shpilkin_excess_votes", "{:,.0f}"), "note": missing},
        ]  # fmt: skip
    return pd.DataFrame(rows, columns=["election", "estimator", "fi", "fe", "fraudulent votes", "note"])
