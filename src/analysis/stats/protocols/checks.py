"""Evaluating every protocol identity on canonical tables (:func:`check_protocols`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.results import FlatResult
from analysis.stats.protocols.identities import (
    IDENTITIES,
    IDENTITY_NAMES,
    _col,
    candidate_vote_sums,
    issued_from_stock,
    issued_to_voters,
)


@dataclass(frozen=True)
class ProtocolChecksResult(FlatResult):
    """Per-station results of every identity (a description, not a test).

    Attributes
    ----------
    keys : pandas.DataFrame
        region / district / station of each stations row.
    discrepancy : pandas.DataFrame
        One column per identity, left − right side (``Int64``; <NA> = not evaluable).
    failed : pandas.DataFrame
        One ``boolean`` column per identity (<NA> = not evaluable).
    """

    keys: pd.DataFrame
    discrepancy: pd.DataFrame
    failed: pd.DataFrame

    @property
    def n_stations(self) -> int:
        """Stations checked."""
        return len(self.keys)

    def n_failed(self, name: str) -> int:
        """Stations failing identity ``name``."""
        return int(self.failed[name].sum(skipna=True))

    def n_evaluable(self, name: str) -> int:
        """Stations where identity ``name`` could be evaluated."""
        return int(self.failed[name].notna().sum())

    def fail_rate(self, name: str) -> float:
        """Failing / evaluable stations of identity ``name`` (NaN where none is evaluable)."""
        n = self.n_evaluable(name)
        return self.n_failed(name) / n if n else float("nan")

    def summary(self) -> pd.DataFrame:
        """One row per identity: formula, stations evaluable, failing, rate, size of the discrepancies."""
        rows = []
        for ident in IDENTITIES:
            d = self.discrepancy[ident.name]
            f = self.failed[ident.name].fillna(False).to_numpy(dtype=bool)
            bad = d[f].astype("Float64")
            rows.append(
                {
                    "identity": ident.name,
                    "formula": ident.formula,
                    "kind": ident.kind,
                    "n_stations": self.n_stations,
                    "n_evaluable": self.n_evaluable(ident.name),
                    "n_failed": self.n_failed(ident.name),
                    "fail_rate": self.fail_rate(ident.name),
                    "sum_abs_discrepancy": float(bad.abs().sum()) if len(bad) else 0.0,
                    "max_abs_discrepancy": float(bad.abs().max()) if len(bad) else 0.0,
                }
            )
        return pd.DataFrame(rows)

    def failing(self, name: str) -> pd.DataFrame:
        """The stations failing ``name`` with their discrepancy, largest first."""
        mask = self.failed[name].fillna(False).to_numpy(dtype=bool)
        out = self.keys[mask].copy()
        out["discrepancy"] = self.discrepancy[name][mask].to_numpy()
        order = np.argsort(-np.abs(out["discrepancy"].to_numpy(dtype=float)), kind="stable")
        return out.iloc[order].reset_index(drop=True)

    def per_station(self) -> pd.DataFrame:
        """Wide table: keys, then ``fail_<identity>`` and ``diff_<identity>`` for every identity."""
        out = self.keys.copy()
        for name in IDENTITY_NAMES:
            out[f"fail_{name}"] = self.failed[name].to_numpy()
            out[f"diff_{name}"] = self.discrepancy[name].to_numpy()
        out["n_identities_failed"] = self.failed.fillna(False).sum(axis=1).astype(int).to_numpy()
        return out

    def by_region(self) -> pd.DataFrame:
        """Long table: region, identity, n_stations, n_evaluable, n_failed, fail_rate (sorted by region)."""
        frames = []
        region = self.keys["region"].to_numpy()
        for name in IDENTITY_NAMES:
            f = self.failed[name]
            frame = pd.DataFrame(
                {
                    "region": region,
                    "evaluable": f.notna().to_numpy(),
                    "failed": f.fillna(False).to_numpy(dtype=bool),
                }
            )
            g = frame.groupby("region", sort=True)
            agg = pd.DataFrame(
                {"n_stations": g.size(), "n_evaluable": g["evaluable"].sum(), "n_failed": g["failed"].sum()}
            ).reset_index()
            agg.insert(1, "identity", name)
            frames.append(agg)
        out = pd.concat(frames, ignore_index=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["fail_rate"] = np.where(
                out["n_evaluable"] > 0, out["n_failed"] / out["n_evaluable"].where(out["n_evaluable"] > 0, 1), np.nan
            )
        return out.sort_values(["region", "identity"], kind="mergesort").reset_index(drop=True)

    def results_mapping(self) -> dict:
        """Flat numbers for the results JSON: n_stations, fail_/evaluable_/rate_<identity>."""
        out: dict = {"n_stations": self.n_stations}
        for name in IDENTITY_NAMES:
            out[f"fail_{name}"] = self.n_failed(name)
            out[f"evaluable_{name}"] = self.n_evaluable(name)
            out[f"rate_{name}"] = self.fail_rate(name)
        return out

    def as_dict(self, prefix: str = "") -> dict:
        """:meth:`results_mapping` with ``prefix`` before every key (the flat results mapping)."""
        return {f"{prefix}{k}": v for k, v in self.results_mapping().items()}


def check_protocols(stations: pd.DataFrame, votes: pd.DataFrame | None = None) -> ProtocolChecksResult:
    """Evaluate every identity in :data:`IDENTITIES` on canonical tables.

    Parameters
    ----------
    stations : pandas.DataFrame
        Canonical stations table.
    votes : pandas.DataFrame, optional
        The long votes table, needed for ``valid_sum_candidates``; without it that identity
        is not evaluable.

    Returns
    -------
    ProtocolChecksResult
        Discrepancies and failures per station and identity. Vectorized: no Python loop
        over stations.

    References
    ----------
    Central Election Commission of the Russian Federation, protocol form of the 2011 State
    Duma election (lines 1-10б); OSCE/ODIHR (2011), *Kazakhstan, Early Presidential
    Election, 3 April 2011: Final Report*, section XIV (the reviewed protocol formulas).

    Examples
    --------
    >>> st = pd.DataFrame({"region": ["r"], "district": ["d"], "station": ["1"], "ballots_received": [100],
    ...                    "ballots_issued_in_station": [60], "ballots_cancelled": [39]})
    >>> check_protocols(st).as_dict()["fail_received_issued_cancelled"]
    1
    """
    received = _col(stations, "ballots_received")
    cancelled = _col(stations, "ballots_cancelled")
    lost = _col(stations, "lost")
    unaccounted = _col(stations, "unaccounted")
    boxes = _col(stations, "ballots_in_boxes")
    valid = _col(stations, "valid")
    invalid = _col(stations, "invalid")
    registered = _col(stations, "registered")
    if "registered_added" in stations.columns:
        registered = registered + _col(stations, "registered_added")
    stock = issued_from_stock(stations)
    handed = issued_to_voters(stations)
    if votes is not None:
        cand = candidate_vote_sums(stations, votes)
    else:
        cand = pd.Series(pd.NA, index=range(len(stations)), dtype="Int64")

    discrepancy = pd.DataFrame(
        {
            "received_issued_cancelled": received - (stock + cancelled),
            "received_issued_cancelled_lost_unaccounted": received - (stock + cancelled + lost - unaccounted),
            "boxes_valid_invalid": boxes - (valid + invalid),
            "valid_sum_candidates": valid - cand,
            "issued_valid_invalid": handed - (valid + invalid),
            "boxes_gt_issued": boxes - handed,
            "issued_gt_registered": handed - registered,
        }
    )
    failed = pd.DataFrame(
        {
            ident.name: (discrepancy[ident.name] != 0) if ident.kind == "equality" else (discrepancy[ident.name] > 0)
            for ident in IDENTITIES
        }
    ).astype("boolean")
    keys = stations[["region", "district", "station"]].reset_index(drop=True).copy()
    return ProtocolChecksResult(
        keys=keys, discrepancy=discrepancy[list(IDENTITY_NAMES)], failed=failed[list(IDENTITY_NAMES)]
    )
