"""Kazakhstan 2011: DEC summaries against PEC protocols (OSCE/ODIHR final report, footnote 121),
and the report's reviewed protocol formulas beside a reference election."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.results import FlatResult
from analysis.stats.protocols.checks import ProtocolChecksResult
from analysis.stats.protocols.identities import _BY_NAME, IDENTITY_NAMES
from analysis.stats.tails import check_alternative

NON_CANDIDATE_ITEMS = ("invalid", "cancelled")


@dataclass(frozen=True)
class SignTestResult(FlatResult):
    """The sign test of shifts towards the incumbent.

    Attributes
    ----------
    statistic : int
        Stations whose shift favours the incumbent (positive).
    pvalue : float
        Exact binomial p-value (NaN without non-zero shifts).
    n : int
        Stations with a non-zero shift.
    """

    statistic: int
    pvalue: float
    n: int


def sign_test(shifts, *, alternative: str = "two-sided") -> SignTestResult:
    """Sign test that shifts towards and away from the incumbent are equally likely.

    An exact binomial test of the number of positive differences among the non-zero ones
    (zeros and NaN are dropped). H0: P(shift > 0) = P(shift < 0) = 1/2; H1 (default
    ``"two-sided"``): they differ (``"greater"``: shifts favour the incumbent).

    Parameters
    ----------
    shifts : array_like
        Signed shifts (positive: towards the incumbent).
    alternative : {"two-sided", "greater", "less"}
        As ``scipy.stats.binomtest``.

    Returns
    -------
    SignTestResult
        Positive shifts, the p-value and the number of non-zero shifts.

    References
    ----------
    Conover, W. J. (1999). *Practical Nonparametric Statistics*, 3rd ed., Wiley, section 3.4.

    Examples
    --------
    >>> r = sign_test([5, 3, -1, 2, 0])
    >>> r.statistic, r.n, r.pvalue
    (3, 4, 0.625)
    >>> sign_test([1] * 6, alternative="greater").pvalue
    0.015625
    """
    check_alternative(alternative)
    x = np.asarray(shifts, dtype=float)
    x = x[~np.isnan(x) & (x != 0)]
    n = int(x.size)
    k = int((x > 0).sum())
    pvalue = float(stats.binomtest(k, n, 0.5, alternative=alternative).pvalue) if n else float("nan")
    return SignTestResult(statistic=k, pvalue=pvalue, n=n)


@dataclass(frozen=True)
class ProtocolComparisonResult(FlatResult):
    """Footnote 121: per (PEC, item) the DEC figure − PEC figure, and per PEC the net shift.

    Attributes
    ----------
    incumbent : str
        The incumbent's name (as matched in the items).
    items : pandas.DataFrame
        The input rows with ``difference`` = dec_figure − pec_figure (<NA> where either
        figure is missing) and ``role``.
    stations : pandas.DataFrame
        One row per PEC with ``incumbent_difference``, ``others_difference`` (Σ over the
        other candidates), ``net_shift`` = incumbent − others (votes moved towards the
        incumbent's margin over all rivals combined), and how many items could be compared.
    sign_test : SignTestResult
        Of the PECs with a non-zero net shift.
    """

    _flat_extra = ("net_shift_total",)

    incumbent: str
    items: pd.DataFrame
    stations: pd.DataFrame
    sign_test: SignTestResult

    @property
    def net_shift_total(self) -> float:
        """Σ of the PECs' net shifts."""
        return float(self.stations["net_shift"].sum(skipna=True))


def compare_dec_pec(comparison: pd.DataFrame, incumbent: str) -> ProtocolComparisonResult:
    """Compare DEC summary figures with the PEC protocols.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Long table (``pec``, ``dec``, ``region``, ``item``, ``dec_figure``, ``pec_figure``,
        optionally ``dec_minus_pec`` where the report prints only the difference); see
        docs/ARCHITECTURE.md, ``protocol_comparison.csv``.
    incumbent : str
        Name (or part of it) of the incumbent's item.

    Returns
    -------
    ProtocolComparisonResult
        Differences per item, net shifts per PEC and the two-sided sign test of the shifts.

    References
    ----------
    OSCE/ODIHR (2011), *Republic of Kazakhstan, Early Presidential Election, 3 April 2011:
    Final Report*, footnote 121; the sign test: Conover (1999), section 3.4.

    Examples
    --------
    >>> rows = pd.DataFrame({"pec": ["1", "1", "2", "2"], "dec": "d", "region": "r",
    ...                      "item": ["Nazarbayev", "Other", "Nazarbayev", "Other"],
    ...                      "dec_figure": [110, 90, 50, 50], "pec_figure": [100, 100, 50, 50]})
    >>> res = compare_dec_pec(rows, "Nazarbayev")
    >>> res.stations["net_shift"].tolist(), res.sign_test.n
    ([20.0, 0.0], 1)
    """
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
            raise ValueError(
                f"protocol comparison: PEC {bad['pec']}, item {bad['item']}: dec_minus_pec disagrees with the figures"
            )
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
    return ProtocolComparisonResult(incumbent=incumbent, items=items, stations=per, sign_test=st)


#: formula_id of the report's section XIV review (analysis.data.kz2011) -> the same identity here.
#: The per-commissioner checks have no counterpart: the Russian protocol has no such lines.
KZ_REVIEW_IDENTITY = {
    "received_eq_issued_plus_cancelled": "received_issued_cancelled",
    "received_ballots_eq_valid_plus_invalid": "issued_valid_invalid",
}


def review_identity(formula_id: str) -> str | None:
    """Which identity a reviewed formula of the OSCE/ODIHR report is (None if none).

    Parameters
    ----------
    formula_id : str
        A ``formula_id`` of ``protocol_review.csv`` (analysis.data.kz2011) or an identity name.

    Returns
    -------
    str or None
        The name of the same identity in :data:`~analysis.stats.protocols.IDENTITIES`.

    References
    ----------
    OSCE/ODIHR (2011), *Kazakhstan, Early Presidential Election: Final Report*, section XIV.

    Examples
    --------
    >>> review_identity("received_eq_issued_plus_cancelled")
    'received_issued_cancelled'
    >>> review_identity("signed_by_all_members") is None
    True
    """
    if formula_id in _BY_NAME:
        return formula_id
    return KZ_REVIEW_IDENTITY.get(formula_id)


def review_beside_reference(review: pd.DataFrame, reference: ProtocolChecksResult | dict | None) -> pd.DataFrame:
    """The report's reviewed-protocol counts with the rate the same identity gives on a reference election.

    Parameters
    ----------
    review : pandas.DataFrame
        ``level``, ``formula_id``, ``formula``, ``n_reviewed``, ``n_failed``.
    reference : ProtocolChecksResult or dict or None
        The reference election's checks, or a results mapping with ``rate_<identity>``.

    Returns
    -------
    pandas.DataFrame
        ``review`` with ``fail_rate``, ``identity`` and ``reference_rate`` (NaN where the
        formula has no counterpart or there is no reference).

    References
    ----------
    OSCE/ODIHR (2011), *Kazakhstan, Early Presidential Election: Final Report*, section XIV.

    Examples
    --------
    >>> review = pd.DataFrame({"level": ["PEC"], "formula_id": ["received_eq_issued_plus_cancelled"],
    ...                        "formula": ["f"], "n_reviewed": [333], "n_failed": [10]})
    >>> out = review_beside_reference(review, {"rate_received_issued_cancelled": 0.01})
    >>> out[["identity", "fail_rate", "reference_rate"]].round(4)
                        identity  fail_rate  reference_rate
    0  received_issued_cancelled       0.03            0.01
    """
    out = review.copy()
    n_failed = pd.to_numeric(out["n_failed"], errors="raise").astype("Float64")
    n_reviewed = pd.to_numeric(out["n_reviewed"], errors="raise").astype("Float64")
    out["fail_rate"] = (n_failed / n_reviewed).astype(float)
    out["identity"] = pd.Series([review_identity(i) for i in out["formula_id"]], index=out.index, dtype=object)
    if reference is None:
        out["reference_rate"] = np.nan
        return out
    if isinstance(reference, ProtocolChecksResult):
        rates = {name: reference.fail_rate(name) for name in IDENTITY_NAMES}
    else:
        rates = {name: reference.get(f"rate_{name}") for name in IDENTITY_NAMES}
    out["reference_rate"] = [
        np.nan if ident is None or rates.get(ident) is None else float(rates[ident]) for ident in out["identity"]
    ]
    return out
