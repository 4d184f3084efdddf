"""Consistency checks on the report's figures.

Checks are small functions returning a :class:`CheckResult`; they never raise on a failed
check (the annex register differs from section VI, and notebook 01 shows that), only on
unreadable input.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.data.kz2011.derived import invalid_implied, percent, round_half_up, truncate, turnout_recomputed_pct
from analysis.data.kz2011.raw import ParsedKZ
from analysis.data.kz2011.source import CANDIDATES, N_REGIONS_SECTION_V, RAW_FILES, REGIONS


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one consistency check on the report's figures."""

    name: str
    passed: bool
    expected: object
    observed: object
    detail: str


def check_region_count(parsed: ParsedKZ) -> CheckResult:
    """The annex lists the 16 territorial units of section V (14 regions + Astana and Almaty cities)."""
    n = len(parsed.regions)
    missing = sorted(set(REGIONS) - set(parsed.regions["region"]))
    return CheckResult(
        "region_count",
        n == N_REGIONS_SECTION_V,
        N_REGIONS_SECTION_V,
        n,
        "16 regional units (section V, seed line 160)" + (f"; missing: {', '.join(missing)}" if missing else ""),
    )


def check_candidate_totals(parsed: ParsedKZ) -> CheckResult:
    """Each candidate's votes summed over the regions equal the TOTAL row."""
    sums = {c: int(parsed.regions[c].sum()) for c in CANDIDATES}
    totals = {c: parsed.total[c] for c in CANDIDATES}
    bad = [f"{c}: regions sum to {sums[c]:,}, TOTAL row {totals[c]:,}" for c in CANDIDATES if sums[c] != totals[c]]
    repaired = sorted({r.column.removesuffix("_votes") for r in parsed.repairs if r.file == RAW_FILES["regional"]})
    note = (
        f" (column(s) {', '.join(repaired)} had a value repaired from this total, so agree by construction)"
        if repaired
        else ""
    )
    return CheckResult(
        "candidate_columns_sum_to_total",
        not bad,
        totals,
        sums,
        ("; ".join(bad) if bad else "all four candidate columns sum to the TOTAL row") + note,
    )


def check_regional_sum_equals_valid(parsed: ParsedKZ) -> CheckResult:
    """All regional candidate votes together equal the annex's total valid votes."""
    observed = int(parsed.regions[list(CANDIDATES)].to_numpy().sum())
    expected = parsed.national["valid"]
    return CheckResult(
        "regional_sum_equals_valid_votes",
        observed == expected,
        expected,
        observed,
        f"sum over 16 regions x 4 candidates = {observed:,}; annex valid votes {expected:,}; difference {observed - expected:,}",
    )


def check_total_row_equals_valid(parsed: ParsedKZ) -> CheckResult:
    """The TOTAL row's four candidate totals add up to the annex's total valid votes."""
    observed = sum(parsed.total[c] for c in CANDIDATES)
    expected = parsed.national["valid"]
    return CheckResult(
        "total_row_equals_valid_votes",
        observed == expected,
        expected,
        observed,
        f"TOTAL row sums to {observed:,}; annex valid votes {expected:,}",
    )


def percentage_table(parsed: ParsedKZ) -> pd.DataFrame:
    """Every printed percentage beside its recomputation (votes / national valid votes x 100)."""
    valid = parsed.national["valid"]
    rows = []
    records = [(r["region"], r) for _, r in parsed.regions.iterrows()] + [("TOTAL", parsed.total)]
    for region, rec in records:
        for cand in CANDIDATES:
            exact = percent(int(rec[cand]), valid)
            printed = rec[f"{cand}_pct"]
            rows.append(
                {
                    "region": region,
                    "candidate": cand,
                    "votes": int(rec[cand]),
                    "printed_pct": printed,
                    "recomputed_pct": exact,
                    "rounded": round_half_up(exact),
                    "truncated": truncate(exact),
                }
            )
    out = pd.DataFrame(rows)
    out["matches_rounded"] = out["printed_pct"] == out["rounded"]
    out["matches_truncated"] = out["printed_pct"] == out["truncated"]
    return out


def check_printed_percentages(parsed: ParsedKZ) -> CheckResult:
    """Every printed percentage equals votes / national valid votes x 100 rounded half-up to 0.01.

    The denominator is the national valid-vote total (8,216,370), also for regional rows: the
    regional Nazarbayev percentages sum to about 95.5, not 16 x ~95.
    """
    table = percentage_table(parsed)
    n = len(table)
    n_round, n_trunc = int(table["matches_rounded"].sum()), int(table["matches_truncated"].sum())
    bad = table[~table["matches_rounded"]]
    detail = (
        f"{n_round}/{n} printed percentages equal the recomputed value rounded half-up to 2 decimals; "
        f"{n_trunc}/{n} would match truncation, so the table rounds"
    )
    if len(bad):
        detail += "; mismatches: " + "; ".join(
            f"{r.region}/{r.candidate} printed {r.printed_pct} recomputed {r.recomputed_pct:.4f}"
            for r in bad.itertuples()
        )
    return CheckResult("printed_percentages_recomputed", n_round == n, n, n_round, detail)


def check_turnout(parsed: ParsedKZ) -> CheckResult:
    """Printed turnout (89,98%) vs participated / registered: equal after truncation to 0.01."""
    exact = turnout_recomputed_pct(parsed.national)
    printed = parsed.national["turnout_printed_pct"]
    rounded, truncated = round_half_up(exact), truncate(exact)
    rule = "truncated" if printed == truncated else ("rounded" if printed == rounded else "neither")
    return CheckResult(
        "turnout_recomputed",
        printed == truncated,
        float(printed),
        float(exact),
        f"participated / registered = {exact:.4f} %; rounded {rounded}, truncated {truncated}; printed {printed} "
        f"matches: {rule}"
        + (" (the annex truncates, unlike its percentage table, which rounds)" if rule == "truncated" else ""),
    )


def check_register_annex_vs_section_vi(parsed: ParsedKZ) -> CheckResult:
    """Registered voters in the annex vs the section VI figure at the close of polls."""
    annex = parsed.national["registered"]
    section_vi = parsed.register["registered_close_of_polls"]
    return CheckResult(
        "register_annex_vs_section_vi",
        annex == section_vi,
        annex,
        section_vi,
        f"annex {annex:,} vs section VI (close of polls) {section_vi:,}: difference {annex - section_vi:,}",
    )


def check_invalid_implied(parsed: ParsedKZ) -> CheckResult:
    """Participated - valid must be a count between 0 and the number who participated."""
    inv = invalid_implied(parsed.national)
    ok = 0 <= inv <= parsed.national["participated"]
    return CheckResult(
        "invalid_implied_non_negative",
        ok,
        "0 <= participated - valid <= participated",
        inv,
        f"participated {parsed.national['participated']:,} - valid {parsed.national['valid']:,} = {inv:,} "
        f"({float(percent(inv, parsed.national['participated'])):.3f} % of participants)",
    )


def check_mobile_within_participated(parsed: ParsedKZ) -> CheckResult:
    """Votes cast by mobile box cannot exceed the number who participated."""
    mobile, part = parsed.national["mobile_votes"], parsed.national["participated"]
    return CheckResult(
        "mobile_votes_within_participated",
        0 <= mobile <= part,
        f"<= {part}",
        mobile,
        f"mobile votes {mobile:,} = {float(percent(mobile, part)):.2f} % of participants",
    )


def check_military_pecs(parsed: ParsedKZ) -> CheckResult:
    """Footnote 100 lists as many military PECs as section XIV says were obtained (11), within
    the 146 military-unit stations of footnote 31, and the 100 % / >99 % counts do not exceed it."""
    s = parsed.military_summary
    listed = len(parsed.military_pecs)
    n_mil = parsed.special_stations["special_military"]
    ok = (
        listed == s["n_protocols_obtained"]
        and s["n_turnout_100"] <= listed
        and s["n_max_candidate_share_gt_99"] <= listed <= n_mil
    )
    return CheckResult(
        "military_pecs_listed",
        ok,
        s["n_protocols_obtained"],
        listed,
        f"footnote 100 lists {listed} PECs; section XIV: {s['n_protocols_obtained']} obtained, {s['n_turnout_100']} at 100 % "
        f"turnout, {s['n_max_candidate_share_gt_99']} with > 99 % for one candidate; footnote 31: {n_mil} military-unit stations. "
        "The report does not say which PECs are which, so the per-PEC flags stay empty.",
    )


def check_protocol_review(parsed: ParsedKZ) -> CheckResult:
    """Each reconciliation-formula failure count is at most the number of protocols reviewed."""
    df = parsed.protocol_review
    known = df.dropna(subset=["n_failed"])
    bad = known[known["n_failed"] > known["n_reviewed"]]
    return CheckResult(
        "protocol_review_counts",
        bad.empty,
        "n_failed <= n_reviewed",
        int(len(known) - len(bad)),
        "; ".join(f"{r.level} {r.formula_id}: {int(r.n_failed)} of {r.n_reviewed}" for r in known.itertuples())
        + (f"; impossible: {list(bad['formula_id'])}" if len(bad) else ""),
    )


CHECKS = (
    check_region_count,
    check_candidate_totals,
    check_regional_sum_equals_valid,
    check_total_row_equals_valid,
    check_printed_percentages,
    check_turnout,
    check_register_annex_vs_section_vi,
    check_invalid_implied,
    check_mobile_within_participated,
    check_military_pecs,
    check_protocol_review,
)


def run_checks(parsed: ParsedKZ) -> list[CheckResult]:
    return [check(parsed) for check in CHECKS]


def checks_table(results: list[CheckResult]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": r.name,
                "passed": r.passed,
                "expected": str(r.expected),
                "observed": str(r.observed),
                "detail": r.detail,
            }
            for r in results
        ],
        columns=["name", "passed", "expected", "observed", "detail"],
    )
