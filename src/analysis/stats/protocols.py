"""Protocol arithmetic: the reconciliation identities a precinct protocol must satisfy.

Each identity has a name (used in the results keys ``fail_<name>``) and a one-line formula.
Per station it is *evaluable* when every input is present (a missing input is not a
failure), *fails* when the equality does not hold (or the inequality is violated), and its
*discrepancy* is left side − right side (for the inequalities, the excess: > 0 fails).

Ballots handed out. The Russian protocol's issued lines (early + in the station + mobile)
are the ballots that left the commission's stock; where a source also records ballots
handed out by post (extra column ``ballots_issued_postal``, e.g. Poland's envelopes put into
the box), those are added for the comparisons with the box and the register, but not for the
stock identity (postal packages do not come from the commission's received ballots). Where a
source has no issued lines at all, the source's own ``ballots_issued`` is used.

Sign of lost / unaccounted (Russian protocol lines 10а "lost" and 10б "not accounted for on
receipt"): ballots received + ballots found that were not accounted for = issued + cancelled
+ lost, i.e. received = issued + cancelled + lost − unaccounted. With this sign the 2011
Duma file balances at every station (the opposite sign leaves 28 stations unbalanced).

No printing, plotting or file I/O here; ``analysis.report.plotting.protocols`` draws the results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.canonical import KEY

ISSUED_LINES = ["ballots_issued_early", "ballots_issued_in_station", "ballots_issued_mobile"]


@dataclass(frozen=True)
class Identity:
    name: str
    formula: str
    kind: str  # "equality" or "inequality" (fails where the discrepancy is > 0)
    description: str


IDENTITIES: tuple[Identity, ...] = (
    Identity(
        "received_issued_cancelled",
        "ballots received = ballots issued + ballots cancelled",
        "equality",
        "The commission's stock of ballots is all handed out or cancelled.",
    ),
    Identity(
        "received_issued_cancelled_lost_unaccounted",
        "ballots received = ballots issued + cancelled + lost − not accounted for on receipt",
        "equality",
        "The stock identity once the protocol's lost and unaccounted ballots are included.",
    ),
    Identity(
        "boxes_valid_invalid",
        "ballots in the boxes = valid + invalid",
        "equality",
        "Every ballot taken from the boxes is counted as valid or invalid.",
    ),
    Identity(
        "valid_sum_candidates",
        "valid ballots = Σ votes of the candidates (parties)",
        "equality",
        "The valid ballots are exactly the votes distributed among the candidates.",
    ),
    Identity(
        "issued_valid_invalid",
        "ballots issued = valid + invalid",
        "equality",
        "Every ballot handed to a voter is counted (ballots taken away make the count smaller).",
    ),
    Identity(
        "boxes_gt_issued",
        "ballots in the boxes ≤ ballots issued",
        "inequality",
        "No more ballots can come out of the boxes than were handed to voters.",
    ),
    Identity(
        "issued_gt_registered",
        "ballots issued ≤ registered voters (+ voters added, where known)",
        "inequality",
        "No more ballots can be handed out than there are voters on the list.",
    ),
)

IDENTITY_NAMES = tuple(i.name for i in IDENTITIES)
_BY_NAME = {i.name: i for i in IDENTITIES}


def identity(name: str) -> Identity:
    return _BY_NAME[name]


def _col(stations: pd.DataFrame, name: str) -> pd.Series:
    if name in stations.columns:
        return stations[name].astype("Int64").reset_index(drop=True)
    return pd.Series(pd.NA, index=range(len(stations)), dtype="Int64")


def _sum_present(stations: pd.DataFrame, lines: list[str]) -> pd.Series | None:
    """Sum of the lines the source has (a column that is all <NA> is a line it lacks)."""
    present = [c for c in lines if c in stations.columns and stations[c].notna().any()]
    if not present:
        return None
    total = _col(stations, present[0])
    for c in present[1:]:
        total = total + _col(stations, c)
    return total


def issued_from_stock(stations: pd.DataFrame) -> pd.Series:
    """Ballots handed out from the commission's stock: early + in station + mobile lines."""
    total = _sum_present(stations, ISSUED_LINES)
    return _col(stations, "ballots_issued") if total is None else total


def issued_to_voters(stations: pd.DataFrame) -> pd.Series:
    """Ballots handed to voters in any way: stock lines + postal (where the source records it)."""
    total = _sum_present(stations, ISSUED_LINES)
    if total is None:
        return _col(stations, "ballots_issued")
    if "ballots_issued_postal" in stations.columns:
        total = total + _col(stations, "ballots_issued_postal")
    return total


def candidate_vote_sums(stations: pd.DataFrame, votes: pd.DataFrame) -> pd.Series:
    """Σ votes per stations row; <NA> where the station has no votes rows or any missing figure."""
    grouped = votes.groupby(KEY, sort=False, observed=True)["votes"]
    sums = grouped.sum(min_count=1)
    complete = grouped.count() == grouped.size()
    sums = sums.where(complete)
    pos = sums.index.get_indexer(pd.MultiIndex.from_frame(stations[KEY]))
    values = sums.astype("Int64").array
    out = pd.array([pd.NA] * len(stations), dtype="Int64")
    found = pos >= 0
    out[found] = values[pos[found]]
    return pd.Series(out)


@dataclass(frozen=True)
class ProtocolChecks:
    """Per-station results of every identity.

    ``keys``: region / district / station of each stations row. ``discrepancy``: one column
    per identity, left − right side (``Int64``; <NA> = not evaluable). ``failed``: one
    ``boolean`` column per identity (<NA> = not evaluable).
    """

    keys: pd.DataFrame
    discrepancy: pd.DataFrame
    failed: pd.DataFrame

    @property
    def n_stations(self) -> int:
        return len(self.keys)

    def n_failed(self, name: str) -> int:
        return int(self.failed[name].sum(skipna=True))

    def n_evaluable(self, name: str) -> int:
        return int(self.failed[name].notna().sum())

    def fail_rate(self, name: str) -> float:
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
            out["fail_rate"] = np.where(out["n_evaluable"] > 0, out["n_failed"] / out["n_evaluable"].where(out["n_evaluable"] > 0, 1), np.nan)
        return out.sort_values(["region", "identity"], kind="mergesort").reset_index(drop=True)

    def results_mapping(self) -> dict:
        """Flat numbers for the results JSON: n_stations, fail_/evaluable_/rate_<identity>."""
        out: dict = {"n_stations": self.n_stations}
        for name in IDENTITY_NAMES:
            out[f"fail_{name}"] = self.n_failed(name)
            out[f"evaluable_{name}"] = self.n_evaluable(name)
            out[f"rate_{name}"] = self.fail_rate(name)
        return out


def check_protocols(stations: pd.DataFrame, votes: pd.DataFrame | None = None) -> ProtocolChecks:
    """Evaluate every identity in :data:`IDENTITIES` on canonical tables.

    ``votes`` (the long votes table) is needed for ``valid_sum_candidates``; without it that
    identity is not evaluable. Vectorized: no Python loop over stations.
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
    return ProtocolChecks(keys=keys, discrepancy=discrepancy[list(IDENTITY_NAMES)], failed=failed[list(IDENTITY_NAMES)])


# ---------------------------------------------------------------------------------------------
# Kazakhstan 2011: DEC summaries vs PEC protocols (OSCE/ODIHR final report, footnote 121)

NON_CANDIDATE_ITEMS = ("invalid", "cancelled")


@dataclass(frozen=True)
class SignTestResult:
    statistic: int  # stations whose net shift favours the incumbent
    pvalue: float
    n: int  # stations with a non-zero net shift


def sign_test(shifts) -> SignTestResult:
    """Two-sided sign test that shifts towards and away from the incumbent are equally likely.

    Source: the sign test (Conover, *Practical Nonparametric Statistics*, 3rd ed. 1999,
    section 3.4), i.e. an exact binomial test of the number of positive differences among
    the non-zero ones (zeros are dropped). H0: P(shift > 0) = P(shift < 0) = 1/2.
    """
    x = np.asarray(shifts, dtype=float)
    x = x[~np.isnan(x) & (x != 0)]
    n = int(x.size)
    k = int((x > 0).sum())
    pvalue = float(stats.binomtest(k, n, 0.5, alternative="two-sided").pvalue) if n else float("nan")
    return SignTestResult(statistic=k, pvalue=pvalue, n=n)


@dataclass(frozen=True)
class ProtocolComparison:
    """Footnote 121: per (PEC, item) the DEC figure − PEC figure, and per PEC the net shift.

    ``items``: the input rows with ``difference`` = dec_figure − pec_figure (<NA> where either
    figure is missing). ``stations``: one row per PEC with ``incumbent_difference``,
    ``others_difference`` (Σ over the other candidates), ``net_shift`` = incumbent − others
    (votes moved towards the incumbent's margin over all rivals combined), and how many items
    could be compared. ``sign_test``: of the PECs with a non-zero net shift.
    """

    incumbent: str
    items: pd.DataFrame
    stations: pd.DataFrame
    sign_test: SignTestResult

    @property
    def net_shift_total(self) -> float:
        return float(self.stations["net_shift"].sum(skipna=True))


def compare_dec_pec(comparison: pd.DataFrame, incumbent: str) -> ProtocolComparison:
    """Compare DEC summary figures with the PEC protocols (long table, see docs/ARCHITECTURE.md)."""
    need = {"pec", "dec", "region", "item", "dec_figure", "pec_figure"}
    missing = need - set(comparison.columns)
    if missing:
        raise ValueError(f"protocol comparison table lacks column(s) {sorted(missing)}")
    items = comparison.copy()
    dec = pd.to_numeric(items["dec_figure"], errors="raise").astype("Float64")
    pec = pd.to_numeric(items["pec_figure"], errors="raise").astype("Float64")
    items["difference"] = dec - pec
    if "dec_minus_pec" in items.columns:
        # The report sometimes prints only the difference (no figures): use it where given.
        printed = pd.to_numeric(items["dec_minus_pec"], errors="raise").astype("Float64")
        both = printed.notna() & items["difference"].notna()
        if (printed[both] != items["difference"][both]).any():
            bad = items[both & (printed != items["difference"])].iloc[0]
            raise ValueError(f"protocol comparison: PEC {bad['pec']}, item {bad['item']}: dec_minus_pec disagrees with the figures")
        items["difference"] = printed.where(printed.notna(), items["difference"])
    item_name = items["item"].astype(str)
    is_incumbent = item_name.str.contains(re.escape(incumbent), case=False, regex=True)
    if not is_incumbent.any():
        raise ValueError(f"incumbent {incumbent!r} is not among the items {sorted(item_name.unique())}")
    is_candidate = ~item_name.str.lower().isin(NON_CANDIDATE_ITEMS)
    items["role"] = np.where(is_incumbent, "incumbent", np.where(is_candidate, "other candidate", "other item"))
    diff = items["difference"]
    frame = pd.DataFrame(
        {
            "pec": items["pec"].astype(str),
            "dec": items["dec"].astype(str),
            "region": items["region"].astype(str),
            "inc": diff.where(is_incumbent),
            "oth": diff.where(is_candidate & ~is_incumbent),
            "compared": diff.notna() & is_candidate,
            "n_items": is_candidate,
        }
    )
    g = frame.groupby(["region", "dec", "pec"], sort=True)
    per = pd.DataFrame(
        {
            "incumbent_difference": g["inc"].sum(min_count=1),
            "others_difference": g["oth"].sum(min_count=1),
            "n_candidates_compared": g["compared"].sum(),
            "n_candidates": g["n_items"].sum(),
        }
    ).reset_index()
    per["net_shift"] = per["incumbent_difference"] - per["others_difference"].fillna(0)
    per.loc[per["incumbent_difference"].isna(), "net_shift"] = pd.NA
    st = sign_test(per["net_shift"].to_numpy(dtype=float, na_value=np.nan))
    return ProtocolComparison(incumbent=incumbent, items=items, stations=per, sign_test=st)


#: formula_id of the report's section XIV review (analysis.data.kz2011) -> the same identity here.
#: The per-commissioner checks have no counterpart: the Russian protocol has no such lines.
KZ_REVIEW_IDENTITY = {
    "received_eq_issued_plus_cancelled": "received_issued_cancelled",
    "received_ballots_eq_valid_plus_invalid": "issued_valid_invalid",
}


def review_identity(formula_id: str) -> str | None:
    """Which of :data:`IDENTITIES` a reviewed formula of the OSCE/ODIHR report is (None if none)."""
    if formula_id in _BY_NAME:
        return formula_id
    return KZ_REVIEW_IDENTITY.get(formula_id)


def review_beside_reference(review: pd.DataFrame, reference: ProtocolChecks | dict | None) -> pd.DataFrame:
    """The report's reviewed-protocol counts with the rate the same identity gives on a reference election.

    ``review`` has ``level``, ``formula_id``, ``formula``, ``n_reviewed``, ``n_failed``;
    ``reference`` is a :class:`ProtocolChecks` or a results mapping with ``rate_<identity>``.
    """
    out = review.copy()
    n_failed = pd.to_numeric(out["n_failed"], errors="raise").astype("Float64")
    n_reviewed = pd.to_numeric(out["n_reviewed"], errors="raise").astype("Float64")
    out["fail_rate"] = (n_failed / n_reviewed).astype(float)
    out["identity"] = pd.Series([review_identity(i) for i in out["formula_id"]], index=out.index, dtype=object)
    if reference is None:
        out["reference_rate"] = np.nan
        return out
    if isinstance(reference, ProtocolChecks):
        rates = {name: reference.fail_rate(name) for name in IDENTITY_NAMES}
    else:
        rates = {name: reference.get(f"rate_{name}") for name in IDENTITY_NAMES}
    out["reference_rate"] = [
        np.nan if ident is None or rates.get(ident) is None else float(rates[ident]) for ident in out["identity"]
    ]
    return out
