"""Kazakhstan, early presidential election of 3 April 2011: raw -> cleaned -> checked tables.

Source: OSCE/ODIHR Election Observation Mission Final Report (Warsaw, 16 June 2011),
transcribed verbatim into ``data/raw/kz2011/`` (see ``SOURCES.md`` there for the section,
footnote or annex and the seed-text line of every value).

Cleaning policy: printed values are parsed strictly (``analysis.data.parsing``). A value that does
not parse is repaired only when the table's own totals determine it uniquely, and every
repair is logged (``cleaning_log.csv``). The one such value in the annex is South
Kazakhstan / Akhmetbekov, printed ``1,6970``: the Akhmetbekov TOTAL minus the other fifteen
regions gives 16,970, which has the same digits, so only the separator was misplaced.
Anything else that does not parse is a ``ParseError`` naming file, row and column.

Checks are small functions returning a ``CheckResult``; they never raise on a failed check
(the annex register differs from section VI, and the notebook shows that), only on
unreadable input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from numbers import Integral
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from analysis.core import paths
from analysis.data.parsing import ParseError, is_missing, parse_decimal, parse_int, parse_percent, parse_spelled_int

ELECTION = "kz2011"
SOURCE = "OSCE/ODIHR EOM Final Report, Kazakhstan early presidential election 3 April 2011"
# Order of the annex columns.
CANDIDATES = ("Akhmetbekov", "Yeleusizov", "Kasymov", "Nazarbayev")
LEADER = "Nazarbayev"
# Section V: 14 regions plus the cities of Astana and Almaty, each with its own TEC.
REGIONS = (
    "Akmola", "Aktobe", "Almaty", "Atyrau", "East Kazakhstan", "Zhambyl", "West Kazakhstan",
    "Karaganda", "Kostanai", "Kyzylorda", "Mangistau", "Pavlodar", "North Kazakhstan",
    "South Kazakhstan", "Astana city", "Almaty city",
)
N_REGIONS_SECTION_V = 16
BALLOT_ITEMS = ("invalid", "cancelled")
PERCENT_DECIMALS = Decimal("0.01")

RAW_FILES = {
    "national": "annex_national_summary.csv",
    "regional": "annex_regional_results.csv",
    "register": "section_vi_voter_register.csv",
    "special_stations": "fn31_special_polling_stations.csv",
    "dec_vs_pec": "fn121_dec_vs_pec.csv",
    "military_pecs": "fn100_military_pecs.csv",
    "military_summary": "sec_xiv_military_summary.csv",
    "protocol_review": "sec_xiv_protocol_review.csv",
    "observation": "election_day_observation.csv",
}
RAW_COLUMNS = {
    "national": ["field", "label", "value", "line"],
    "regional": ["region"] + [f"{c}_{k}" for c in CANDIDATES for k in ("votes", "pct")] + ["line"],
    "register": ["field", "as_of", "value", "line"],
    "special_stations": ["field", "label", "value", "line"],
    "dec_vs_pec": ["pec", "dec", "region", "item", "dec_figure", "pec_figure", "dec_minus_pec_printed", "line"],
    "military_pecs": ["region", "pec", "line"],
    "military_summary": ["field", "label", "value", "line"],
    "protocol_review": ["level", "formula_id", "formula", "n_reviewed", "n_failed", "line"],
    "observation": ["section", "stage", "measure", "region", "value", "unit", "qualifier", "out_of", "line"],
}
NATIONAL_FIELDS = ("registered", "participated", "valid", "mobile_votes", "turnout")
REGISTER_FIELDS = ("registered_2011_01_01", "registered_start_of_voting", "registered_close_of_polls")
SPECIAL_FIELDS = ("special_total", "special_medical", "special_military", "special_abroad")
MILITARY_FIELDS = ("n_protocols_obtained", "n_turnout_100", "n_max_candidate_share_gt_99")


class RawDataError(ParseError):
    """Raw data with the wrong shape or an unknown label (names file, row, column)."""


@dataclass(frozen=True)
class Repair:
    """One value changed during cleaning: a row of ``cleaning_log.csv``."""

    file: str
    row: str
    column: str
    raw: str
    cleaned: str
    rule: str
    source: str


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one consistency check on the report's figures."""

    name: str
    passed: bool
    expected: object
    observed: object
    detail: str


@dataclass
class ParsedKZ:
    """The raw files parsed into numbers (before being laid out as processed tables)."""

    national: dict
    regions: pd.DataFrame  # one row per region: region, <candidate> votes (int), <candidate>_pct (Decimal)
    total: dict  # TOTAL row: {candidate: votes}, {candidate_pct: Decimal}
    register: dict
    special_stations: dict
    dec_vs_pec: pd.DataFrame
    military_pecs: pd.DataFrame
    military_summary: dict
    protocol_review: pd.DataFrame
    observation: pd.DataFrame
    repairs: list[Repair] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_raw_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a raw CSV as text (empty cells stay empty strings), requiring exactly ``columns``."""
    path = Path(path)
    if not path.exists():
        raise RawDataError("raw file not found", file=str(path))
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if list(df.columns) != list(columns):
        raise RawDataError(f"columns {list(df.columns)} differ from the expected {list(columns)}", file=path.name)
    return df


def _where(file: str, df_index: int, key: str, column: str) -> dict:
    # CSV line = header (line 1) + 1-based data row.
    return {"file": file, "row": f"{key!r} (CSV line {df_index + 2})", "column": column}


def normalize_region(printed: str, *, file: str, row: str, column: str) -> str:
    """Map a region as printed in prose (``"Zhambyl region"``) to its annex name (``"Zhambyl"``)."""
    name = re.sub(r"\s+regions?$", "", printed.strip())
    if name not in REGIONS:
        raise RawDataError(f"unknown region (annex regions: {', '.join(REGIONS)})", file=file, row=row, column=column, raw=printed)
    return name


def _keyed_ints(df: pd.DataFrame, file: str, fields: tuple[str, ...], repairs: list[Repair], line_col="line") -> dict:
    """Parse a field/value file into {field: int}; the fields must be exactly ``fields``."""
    found = list(df["field"])
    if sorted(found) != sorted(fields) or len(set(found)) != len(found):
        raise RawDataError(f"fields {found} differ from the expected {list(fields)}", file=file, column="field")
    out = {}
    for i, rec in df.iterrows():
        where = _where(file, i, rec["field"], "value")
        raw = rec["value"]
        if re.fullmatch(r"[A-Za-z-]+", raw.strip() or "0"):
            value = parse_spelled_int(raw, **where)
            repairs.append(Repair(file, rec["field"], "value", raw, str(value), "number_word: number printed as a word in prose", f"seed line {rec[line_col]}"))
        else:
            value = parse_int(raw, **where)
        out[rec["field"]] = value
    return out


def _parse_national(df: pd.DataFrame, file: str) -> dict:
    fields = list(df["field"])
    if fields != list(NATIONAL_FIELDS):
        raise RawDataError(f"fields {fields} differ from the expected {list(NATIONAL_FIELDS)}", file=file, column="field")
    out = {}
    for i, rec in df.iterrows():
        where = _where(file, i, rec["field"], "value")
        if rec["field"] == "turnout":
            # The annex prints turnout with a decimal comma and a percent sign: 89,98%.
            out["turnout_printed_pct"] = parse_percent(rec["value"], decimal=",", require_sign=True, **where)
        else:
            out[rec["field"]] = parse_int(rec["value"], **where)
    return out


def _parse_regional(df: pd.DataFrame, file: str, repairs: list[Repair]) -> tuple[pd.DataFrame, dict]:
    if len(df) == 0 or df["region"].iloc[-1] != "TOTAL":
        raise RawDataError("the last row must be the TOTAL row", file=file, column="region")
    body, total_rec = df.iloc[:-1], df.iloc[-1]
    total_line = total_rec["line"]
    regions = []
    for i, rec in body.iterrows():
        regions.append(normalize_region(rec["region"], **_where(file, i, rec["region"], "region")))
    dupes = sorted({r for r in regions if regions.count(r) > 1})
    if dupes:
        raise RawDataError(f"regions listed twice: {dupes}", file=file, column="region")
    total_idx = len(df) - 1
    total = {}
    for cand in CANDIDATES:
        total[cand] = parse_int(total_rec[f"{cand}_votes"], **_where(file, total_idx, "TOTAL", f"{cand}_votes"))
        total[f"{cand}_pct"] = parse_percent(
            total_rec[f"{cand}_pct"], decimal=".", require_sign=True, **_where(file, total_idx, "TOTAL", f"{cand}_pct")
        )

    out = pd.DataFrame({"region": regions})
    for cand in CANDIDATES:
        col = f"{cand}_votes"
        values: list[int | None] = []
        failures: list[tuple[int, str, ParseError]] = []
        for pos, (i, rec) in enumerate(body.iterrows()):
            try:
                values.append(parse_int(rec[col], **_where(file, i, rec["region"], col)))
            except ParseError as exc:
                values.append(None)
                failures.append((pos, rec["region"], exc))
        if len(failures) > 1:
            raise RawDataError(
                f"{len(failures)} unparseable values in one column: the TOTAL row fixes only their sum, "
                f"so none can be repaired uniquely (first: {failures[0][2]})",
                file=file, column=col, raw=[body[col].iloc[p] for p, _, _ in failures],
            )
        if failures:
            pos, region, exc = failures[0]
            raw = body[col].iloc[pos]
            implied = total[cand] - sum(v for v in values if v is not None)
            # Unique repair only when the TOTAL-implied value is the printed digits with the
            # separators misplaced; any other difference means a digit is wrong and the
            # column total alone cannot say which.
            if implied < 0 or re.sub(r"\D", "", raw) != str(implied):
                raise RawDataError(
                    f"unparseable value; the column TOTAL implies {implied:,}, whose digits differ from "
                    f"the printed ones, so it cannot be repaired",
                    file=exc.file, row=exc.row, column=col, raw=raw,
                )
            values[pos] = implied
            repairs.append(
                Repair(
                    file=file,
                    row=region,
                    column=col,
                    raw=raw,
                    cleaned=str(implied),
                    rule="misplaced_thousands_separator: value = column TOTAL minus the other regions; same digits as printed",
                    source=f"annex TOTAL row (seed line {total_line}); row printed at seed line {body['line'].iloc[pos]}",
                )
            )
        out[cand] = pd.array(values, dtype="int64")
        out[f"{cand}_pct"] = [
            parse_percent(rec[f"{cand}_pct"], decimal=".", **_where(file, i, rec["region"], f"{cand}_pct"))
            for i, rec in body.iterrows()
        ]
    return out, total


def _parse_dec_vs_pec(df: pd.DataFrame, file: str) -> pd.DataFrame:
    rows = []
    for i, rec in df.iterrows():
        key = f"PEC {rec['pec']} / {rec['item']}"
        pec = parse_int(rec["pec"], **_where(file, i, key, "pec"))
        region = normalize_region(rec["region"], **_where(file, i, key, "region"))
        if rec["item"] not in CANDIDATES + BALLOT_ITEMS:
            raise RawDataError(f"unknown item (expected one of {CANDIDATES + BALLOT_ITEMS})", **_where(file, i, key, "item"), raw=rec["item"])
        figures = {}
        for col in ("dec_figure", "pec_figure"):
            figures[col] = None if is_missing(rec[col]) else parse_int(rec[col], **_where(file, i, key, col))
        diff_printed = None
        if not is_missing(rec["dec_minus_pec_printed"]):
            m = re.fullmatch(r"(\S+) (less|more)", rec["dec_minus_pec_printed"].strip())
            if not m:
                raise RawDataError("expected '<number> less' or '<number> more'", **_where(file, i, key, "dec_minus_pec_printed"), raw=rec["dec_minus_pec_printed"])
            n = parse_int(m.group(1), **_where(file, i, key, "dec_minus_pec_printed"))
            diff_printed = -n if m.group(2) == "less" else n
        diff = None
        if figures["dec_figure"] is not None and figures["pec_figure"] is not None:
            diff = figures["dec_figure"] - figures["pec_figure"]
            if diff_printed is not None and diff_printed != diff:
                raise RawDataError(f"printed difference {diff_printed} contradicts the figures ({diff})", **_where(file, i, key, "dec_minus_pec_printed"), raw=rec["dec_minus_pec_printed"])
        elif diff_printed is not None:
            diff = diff_printed
        rows.append({"pec": pec, "dec": rec["dec"].strip(), "region": region, "item": rec["item"], **figures, "dec_minus_pec": diff})
    out = pd.DataFrame(rows, columns=["pec", "dec", "region", "item", "dec_figure", "pec_figure", "dec_minus_pec"])
    dup = out.duplicated(["pec", "region", "item"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise RawDataError("duplicate PEC/item row", **_where(file, i, f"PEC {out['pec'][i]} / {out['item'][i]}", "item"))
    return out


def _parse_military_pecs(df: pd.DataFrame, file: str) -> pd.DataFrame:
    rows = []
    for i, rec in df.iterrows():
        key = f"{rec['region']} PEC {rec['pec']}"
        rows.append({
            "region": normalize_region(rec["region"], **_where(file, i, key, "region")),
            "pec": parse_int(rec["pec"], **_where(file, i, key, "pec")),
        })
    out = pd.DataFrame(rows, columns=["region", "pec"])
    dup = out.duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise RawDataError("military PEC listed twice", **_where(file, i, f"{out['region'][i]} PEC {out['pec'][i]}", "pec"))
    return out


def _parse_protocol_review(df: pd.DataFrame, file: str) -> pd.DataFrame:
    rows = []
    for i, rec in df.iterrows():
        key = f"{rec['level']}/{rec['formula_id']}"
        if rec["level"] not in ("PEC", "DEC"):
            raise RawDataError("level must be PEC or DEC", **_where(file, i, key, "level"), raw=rec["level"])
        rows.append({
            "level": rec["level"],
            "formula_id": rec["formula_id"],
            "formula": rec["formula"],
            "n_reviewed": parse_int(rec["n_reviewed"], **_where(file, i, key, "n_reviewed")),
            "n_failed": None if is_missing(rec["n_failed"]) else parse_int(rec["n_failed"], **_where(file, i, key, "n_failed")),
        })
    return pd.DataFrame(rows, columns=["level", "formula_id", "formula", "n_reviewed", "n_failed"])


def _parse_observation(df: pd.DataFrame, file: str, repairs: list[Repair]) -> pd.DataFrame:
    rows = []
    for i, rec in df.iterrows():
        key = "/".join(p for p in (rec["section"], rec["stage"], rec["measure"], rec["region"]) if p)
        region = "" if is_missing(rec["region"]) else normalize_region(rec["region"], **_where(file, i, key, "region"))
        raw = rec["value"]
        if is_missing(raw):
            if rec["unit"] != "region named":
                raise ParseError("empty value where a number is required", **_where(file, i, key, "value"), raw=raw)
            value = None
        elif rec["unit"] == "per cent":
            value = float(parse_decimal(raw, **_where(file, i, key, "value")))
        elif re.fullmatch(r"[A-Za-z-]+", raw.strip()):
            value = float(parse_spelled_int(raw, **_where(file, i, key, "value")))
            repairs.append(Repair(file, key, "value", raw, str(int(value)), "number_word: number printed as a word in prose", f"seed line {rec['line']}"))
        else:
            value = float(parse_int(raw, **_where(file, i, key, "value")))
        out_of = None if is_missing(rec["out_of"]) else parse_int(rec["out_of"], **_where(file, i, key, "out_of"))
        if rec["qualifier"] not in ("", "over"):
            raise RawDataError("qualifier must be empty or 'over'", **_where(file, i, key, "qualifier"), raw=rec["qualifier"])
        rows.append({
            "section": rec["section"], "stage": rec["stage"], "measure": rec["measure"], "region": region,
            "value": value, "unit": rec["unit"], "qualifier": rec["qualifier"], "out_of": out_of,
        })
    return pd.DataFrame(rows, columns=["section", "stage", "measure", "region", "value", "unit", "qualifier", "out_of"])


def parse_raw(raw_dir: Path | None = None) -> ParsedKZ:
    """Read and parse every raw file; repairs are collected in ``ParsedKZ.repairs``."""
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW / ELECTION
    frames = {k: read_raw_csv(raw_dir / f, RAW_COLUMNS[k]) for k, f in RAW_FILES.items()}
    repairs: list[Repair] = []
    regions, total = _parse_regional(frames["regional"], RAW_FILES["regional"], repairs)
    return ParsedKZ(
        national=_parse_national(frames["national"], RAW_FILES["national"]),
        regions=regions,
        total=total,
        register=_keyed_ints(frames["register"], RAW_FILES["register"], REGISTER_FIELDS, repairs),
        special_stations=_keyed_ints(frames["special_stations"], RAW_FILES["special_stations"], SPECIAL_FIELDS, repairs),
        dec_vs_pec=_parse_dec_vs_pec(frames["dec_vs_pec"], RAW_FILES["dec_vs_pec"]),
        military_pecs=_parse_military_pecs(frames["military_pecs"], RAW_FILES["military_pecs"]),
        military_summary=_keyed_ints(frames["military_summary"], RAW_FILES["military_summary"], MILITARY_FIELDS, repairs),
        protocol_review=_parse_protocol_review(frames["protocol_review"], RAW_FILES["protocol_review"]),
        observation=_parse_observation(frames["observation"], RAW_FILES["observation"], repairs),
        repairs=repairs,
    )


# --------------------------------------------------------------------------- derived numbers


def percent(numerator: int, denominator: int) -> Decimal:
    """Exact percentage as a Decimal (28 significant digits)."""
    return Decimal(numerator) * 100 / Decimal(denominator)


def round_half_up(x: Decimal) -> Decimal:
    return x.quantize(PERCENT_DECIMALS, rounding=ROUND_HALF_UP)


def truncate(x: Decimal) -> Decimal:
    return x.quantize(PERCENT_DECIMALS, rounding=ROUND_DOWN)


def turnout_recomputed_pct(national: dict) -> Decimal:
    return percent(national["participated"], national["registered"])


def invalid_implied(national: dict) -> int:
    """Participants who cast no valid vote: participated - valid (invalid and unreturned ballots)."""
    return national["participated"] - national["valid"]


def votes_long(regions: pd.DataFrame) -> pd.DataFrame:
    """Long region/candidate/votes table, sorted by region then candidate."""
    long = regions.melt(id_vars="region", value_vars=list(CANDIDATES), var_name="candidate", value_name="votes")
    long["votes"] = long["votes"].astype("int64")
    return long.sort_values(["region", "candidate"], kind="mergesort").reset_index(drop=True)


def vote_share_by_region(votes: pd.DataFrame) -> pd.DataFrame:
    """Each candidate's share of the region's valid votes (percent), from the long votes table.

    Regional invalid ballots are not published, so the denominator is the sum of the
    candidates' votes in the region (valid votes), not valid + invalid.
    """
    valid = votes.groupby("region", sort=True)["votes"].transform("sum")
    out = votes.assign(valid_votes=valid, share_pct=100 * votes["votes"] / valid)
    return out[["region", "candidate", "votes", "valid_votes", "share_pct"]].reset_index(drop=True)


def leader_share_by_region(votes: pd.DataFrame, leader: str = LEADER) -> pd.DataFrame:
    """Leader's share of valid votes by region, sorted by share (descending), region (ascending)."""
    share = vote_share_by_region(votes)
    out = share[share["candidate"] == leader].rename(columns={"votes": "leader_votes", "share_pct": "leader_share_pct"})
    out = out[["region", "leader_votes", "valid_votes", "leader_share_pct"]]
    return out.sort_values(["leader_share_pct", "region"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def national_votes(votes: pd.DataFrame, valid: int) -> pd.DataFrame:
    """Each candidate's national votes (sum over regions) and share of the national valid votes."""
    out = votes.groupby("candidate", sort=True)["votes"].sum().reset_index()
    out["share_pct"] = 100 * out["votes"] / valid
    return out.sort_values(["votes", "candidate"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- checks


def check_region_count(parsed: ParsedKZ) -> CheckResult:
    """The annex lists the 16 territorial units of section V (14 regions + Astana and Almaty cities)."""
    n = len(parsed.regions)
    missing = sorted(set(REGIONS) - set(parsed.regions["region"]))
    return CheckResult(
        "region_count", n == N_REGIONS_SECTION_V, N_REGIONS_SECTION_V, n,
        "16 regional units (section V, seed line 160)" + (f"; missing: {', '.join(missing)}" if missing else ""),
    )


def check_candidate_totals(parsed: ParsedKZ) -> CheckResult:
    """Each candidate's votes summed over the regions equal the TOTAL row."""
    sums = {c: int(parsed.regions[c].sum()) for c in CANDIDATES}
    totals = {c: parsed.total[c] for c in CANDIDATES}
    bad = [f"{c}: regions sum to {sums[c]:,}, TOTAL row {totals[c]:,}" for c in CANDIDATES if sums[c] != totals[c]]
    repaired = sorted({r.column.removesuffix("_votes") for r in parsed.repairs if r.file == RAW_FILES["regional"]})
    note = f" (column(s) {', '.join(repaired)} had a value repaired from this total, so agree by construction)" if repaired else ""
    return CheckResult(
        "candidate_columns_sum_to_total", not bad, totals, sums,
        ("; ".join(bad) if bad else "all four candidate columns sum to the TOTAL row") + note,
    )


def check_regional_sum_equals_valid(parsed: ParsedKZ) -> CheckResult:
    """All regional candidate votes together equal the annex's total valid votes."""
    observed = int(parsed.regions[list(CANDIDATES)].to_numpy().sum())
    expected = parsed.national["valid"]
    return CheckResult(
        "regional_sum_equals_valid_votes", observed == expected, expected, observed,
        f"sum over 16 regions x 4 candidates = {observed:,}; annex valid votes {expected:,}; difference {observed - expected:,}",
    )


def check_total_row_equals_valid(parsed: ParsedKZ) -> CheckResult:
    """The TOTAL row's four candidate totals add up to the annex's total valid votes."""
    observed = sum(parsed.total[c] for c in CANDIDATES)
    expected = parsed.national["valid"]
    return CheckResult(
        "total_row_equals_valid_votes", observed == expected, expected, observed,
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
            rows.append({
                "region": region, "candidate": cand, "votes": int(rec[cand]), "printed_pct": printed,
                "recomputed_pct": exact, "rounded": round_half_up(exact), "truncated": truncate(exact),
            })
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
            f"{r.region}/{r.candidate} printed {r.printed_pct} recomputed {r.recomputed_pct:.4f}" for r in bad.itertuples()
        )
    return CheckResult("printed_percentages_recomputed", n_round == n, n, n_round, detail)


def check_turnout(parsed: ParsedKZ) -> CheckResult:
    """Printed turnout (89,98%) vs participated / registered: equal after truncation to 0.01."""
    exact = turnout_recomputed_pct(parsed.national)
    printed = parsed.national["turnout_printed_pct"]
    rounded, truncated = round_half_up(exact), truncate(exact)
    rule = "truncated" if printed == truncated else ("rounded" if printed == rounded else "neither")
    return CheckResult(
        "turnout_recomputed", printed == truncated, float(printed), float(exact),
        f"participated / registered = {exact:.4f} %; rounded {rounded}, truncated {truncated}; printed {printed} "
        f"matches: {rule}" + (" (the annex truncates, unlike its percentage table, which rounds)" if rule == "truncated" else ""),
    )


def check_register_annex_vs_section_vi(parsed: ParsedKZ) -> CheckResult:
    """Registered voters in the annex vs the section VI figure at the close of polls."""
    annex = parsed.national["registered"]
    section_vi = parsed.register["registered_close_of_polls"]
    return CheckResult(
        "register_annex_vs_section_vi", annex == section_vi, annex, section_vi,
        f"annex {annex:,} vs section VI (close of polls) {section_vi:,}: difference {annex - section_vi:,}",
    )


def check_invalid_implied(parsed: ParsedKZ) -> CheckResult:
    """Participated - valid must be a count between 0 and the number who participated."""
    inv = invalid_implied(parsed.national)
    ok = 0 <= inv <= parsed.national["participated"]
    return CheckResult(
        "invalid_implied_non_negative", ok, "0 <= participated - valid <= participated", inv,
        f"participated {parsed.national['participated']:,} - valid {parsed.national['valid']:,} = {inv:,} "
        f"({float(percent(inv, parsed.national['participated'])):.3f} % of participants)",
    )


def check_mobile_within_participated(parsed: ParsedKZ) -> CheckResult:
    """Votes cast by mobile box cannot exceed the number who participated."""
    mobile, part = parsed.national["mobile_votes"], parsed.national["participated"]
    return CheckResult(
        "mobile_votes_within_participated", 0 <= mobile <= part, f"<= {part}", mobile,
        f"mobile votes {mobile:,} = {float(percent(mobile, part)):.2f} % of participants",
    )


def check_military_pecs(parsed: ParsedKZ) -> CheckResult:
    """Footnote 100 lists as many military PECs as section XIV says were obtained (11), within
    the 146 military-unit stations of footnote 31, and the 100 % / >99 % counts do not exceed it."""
    s = parsed.military_summary
    listed = len(parsed.military_pecs)
    n_mil = parsed.special_stations["special_military"]
    ok = listed == s["n_protocols_obtained"] and s["n_turnout_100"] <= listed and s["n_max_candidate_share_gt_99"] <= listed <= n_mil
    return CheckResult(
        "military_pecs_listed", ok, s["n_protocols_obtained"], listed,
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
        "protocol_review_counts", bad.empty, "n_failed <= n_reviewed", int(len(known) - len(bad)),
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
        [{"name": r.name, "passed": r.passed, "expected": str(r.expected), "observed": str(r.observed), "detail": r.detail} for r in results],
        columns=["name", "passed", "expected", "observed", "detail"],
    )


# --------------------------------------------------------------------------- processed tables and schemas


def _str_col(**kw):
    return pa.Column(str, **kw)


def _int_col(nullable=False, **kw):
    return pa.Column("Int64", nullable=nullable, checks=[pa.Check.ge(0)] + kw.pop("checks", []), **kw)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "votes_by_region": pa.DataFrameSchema(
        {
            "region": _str_col(checks=pa.Check.isin(REGIONS)),
            "candidate": _str_col(checks=pa.Check.isin(CANDIDATES)),
            "votes": _int_col(),
        },
        unique=["region", "candidate"], strict=True, ordered=True, name="votes_by_region",
    ),
    "national_summary": pa.DataFrameSchema(
        {
            "registered": _int_col(), "participated": _int_col(), "valid": _int_col(), "mobile_votes": _int_col(),
            "invalid_implied": _int_col(),
            "turnout_printed_pct": pa.Column(float, pa.Check.in_range(0, 100)),
            "turnout_recomputed_pct": pa.Column(float, pa.Check.in_range(0, 100)),
            "registered_section_vi_2011_01_01": _int_col(),
            "registered_section_vi_start_of_voting": _int_col(),
            "registered_section_vi_close_of_polls": _int_col(),
            "special_polling_stations": _int_col(), "special_polling_stations_medical": _int_col(),
            "special_polling_stations_military": _int_col(), "special_polling_stations_abroad": _int_col(),
            "leader": _str_col(checks=pa.Check.isin(CANDIDATES)),
            "leader_votes": _int_col(),
            "leader_share_valid_pct": pa.Column(float, pa.Check.in_range(0, 100)),
            "leader_share_participated_pct": pa.Column(float, pa.Check.in_range(0, 100)),
        },
        checks=pa.Check(lambda df: len(df) == 1, name="exactly_one_row"), strict=True, ordered=True, name="national_summary",
    ),
    "protocol_comparison": pa.DataFrameSchema(
        {
            "pec": _int_col(), "dec": _str_col(), "region": _str_col(checks=pa.Check.isin(REGIONS)),
            "item": _str_col(checks=pa.Check.isin(CANDIDATES + BALLOT_ITEMS)),
            "dec_figure": _int_col(nullable=True), "pec_figure": _int_col(nullable=True),
            "dec_minus_pec": pa.Column("Int64", nullable=True),
        },
        unique=["region", "pec", "item"], strict=True, ordered=True, name="protocol_comparison",
    ),
    "military_pecs": pa.DataFrameSchema(
        {
            "region": _str_col(checks=pa.Check.isin(REGIONS)), "pec": _int_col(),
            "turnout_100": pa.Column("boolean", nullable=True),
            "max_candidate_share_gt_99": pa.Column("boolean", nullable=True),
        },
        unique=["region", "pec"], strict=True, ordered=True, name="military_pecs",
    ),
    "military_summary": pa.DataFrameSchema(
        {
            "n_protocols_obtained": _int_col(), "n_turnout_100": _int_col(),
            "n_max_candidate_share_gt_99": _int_col(), "n_military_polling_stations": _int_col(),
        },
        checks=pa.Check(lambda df: len(df) == 1, name="exactly_one_row"), strict=True, ordered=True, name="military_summary",
    ),
    "protocol_review": pa.DataFrameSchema(
        {
            "level": _str_col(checks=pa.Check.isin(["PEC", "DEC"])), "formula_id": _str_col(), "formula": _str_col(),
            "n_reviewed": _int_col(), "n_failed": _int_col(nullable=True),
        },
        unique=["level", "formula_id"], strict=True, ordered=True, name="protocol_review",
    ),
    "election_day_observation": pa.DataFrameSchema(
        {
            "section": _str_col(), "stage": _str_col(), "measure": _str_col(),
            "region": _str_col(checks=pa.Check.isin(("",) + REGIONS)),
            "value": pa.Column("Float64", pa.Check.ge(0), nullable=True), "unit": _str_col(),
            "qualifier": _str_col(checks=pa.Check.isin(["", "over"])), "out_of": _int_col(nullable=True),
        },
        unique=["section", "stage", "measure", "region"], strict=True, ordered=True, name="election_day_observation",
    ),
    "cleaning_log": pa.DataFrameSchema(
        {c: _str_col() for c in ("file", "row", "column", "raw", "cleaned", "rule", "source")},
        unique=["file", "row", "column"], strict=True, ordered=True, name="cleaning_log",
    ),
    "checks": pa.DataFrameSchema(
        {"name": _str_col(), "passed": pa.Column(bool), "expected": _str_col(), "observed": _str_col(), "detail": _str_col()},
        unique=["name"], strict=True, ordered=True, name="checks",
    ),
}
TABLES = tuple(SCHEMAS)


class SchemaValidationError(ValueError):
    """A processed table failed its pandera schema; the message names table, row and column."""


def validate(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate ``df`` against the schema of table ``name`` (all failures reported at once)."""
    try:
        return SCHEMAS[name].validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        lines = []
        for rec in exc.failure_cases.itertuples(index=False):
            idx = rec.index
            row = f"row {int(idx)} (CSV line {int(idx) + 2})" if isinstance(idx, Integral) else "table-level check"
            lines.append(f"table {name}: {row}, column {rec.column}: check {rec.check} failed (value {str(rec.failure_case)!r})")
        raise SchemaValidationError("\n".join(sorted(set(lines)))) from None


def _int64(values) -> pd.array:
    return pd.array(values, dtype="Int64")


def processed_tables(parsed: ParsedKZ, checks: list[CheckResult] | None = None) -> dict[str, pd.DataFrame]:
    """Lay out the parsed raw data as the processed tables (sorted rows, fixed columns), validated."""
    nat = parsed.national
    votes = votes_long(parsed.regions)
    leader_votes = int(votes.loc[votes["candidate"] == LEADER, "votes"].sum())
    tables: dict[str, pd.DataFrame] = {}
    tables["votes_by_region"] = votes.assign(votes=_int64(votes["votes"]))
    tables["national_summary"] = pd.DataFrame({
        "registered": _int64([nat["registered"]]),
        "participated": _int64([nat["participated"]]),
        "valid": _int64([nat["valid"]]),
        "mobile_votes": _int64([nat["mobile_votes"]]),
        "invalid_implied": _int64([invalid_implied(nat)]),
        "turnout_printed_pct": [float(nat["turnout_printed_pct"])],
        "turnout_recomputed_pct": [float(turnout_recomputed_pct(nat))],
        "registered_section_vi_2011_01_01": _int64([parsed.register["registered_2011_01_01"]]),
        "registered_section_vi_start_of_voting": _int64([parsed.register["registered_start_of_voting"]]),
        "registered_section_vi_close_of_polls": _int64([parsed.register["registered_close_of_polls"]]),
        "special_polling_stations": _int64([parsed.special_stations["special_total"]]),
        "special_polling_stations_medical": _int64([parsed.special_stations["special_medical"]]),
        "special_polling_stations_military": _int64([parsed.special_stations["special_military"]]),
        "special_polling_stations_abroad": _int64([parsed.special_stations["special_abroad"]]),
        "leader": [LEADER],
        "leader_votes": _int64([leader_votes]),
        "leader_share_valid_pct": [float(percent(leader_votes, nat["valid"]))],
        "leader_share_participated_pct": [float(percent(leader_votes, nat["participated"]))],
    })
    pc = parsed.dec_vs_pec.sort_values(["region", "pec", "item"], kind="mergesort").reset_index(drop=True)
    tables["protocol_comparison"] = pc.assign(
        pec=_int64(pc["pec"]), dec_figure=_int64(pc["dec_figure"]), pec_figure=_int64(pc["pec_figure"]),
        dec_minus_pec=_int64(pc["dec_minus_pec"]),
    )
    mp = parsed.military_pecs.sort_values(["region", "pec"], kind="mergesort").reset_index(drop=True)
    # Section XIV gives only counts (9 of 11 at 100 %, 5 with > 99 %), not which PECs: unknown per PEC.
    tables["military_pecs"] = mp.assign(
        pec=_int64(mp["pec"]),
        turnout_100=pd.array([pd.NA] * len(mp), dtype="boolean"),
        max_candidate_share_gt_99=pd.array([pd.NA] * len(mp), dtype="boolean"),
    )
    ms = parsed.military_summary
    tables["military_summary"] = pd.DataFrame({
        "n_protocols_obtained": _int64([ms["n_protocols_obtained"]]),
        "n_turnout_100": _int64([ms["n_turnout_100"]]),
        "n_max_candidate_share_gt_99": _int64([ms["n_max_candidate_share_gt_99"]]),
        "n_military_polling_stations": _int64([parsed.special_stations["special_military"]]),
    })
    pr = parsed.protocol_review.sort_values(["level", "formula_id"], kind="mergesort").reset_index(drop=True)
    tables["protocol_review"] = pr.assign(n_reviewed=_int64(pr["n_reviewed"]), n_failed=_int64(pr["n_failed"]))
    ob = parsed.observation.sort_values(["section", "stage", "measure", "region"], kind="mergesort").reset_index(drop=True)
    tables["election_day_observation"] = ob.assign(value=pd.array(ob["value"], dtype="Float64"), out_of=_int64(ob["out_of"]))
    log = pd.DataFrame([r.__dict__ for r in parsed.repairs], columns=["file", "row", "column", "raw", "cleaned", "rule", "source"])
    tables["cleaning_log"] = log.sort_values(["file", "row", "column"], kind="mergesort").reset_index(drop=True)
    tables["checks"] = checks_table(checks if checks is not None else run_checks(parsed))
    return {name: validate(name, df) for name, df in tables.items()}


def build_processed(raw_dir: Path | None = None, out_dir: Path | None = None) -> dict[str, Path]:
    """Parse, clean and check the raw transcription; write every processed table as CSV.

    Output is deterministic (sorted rows, fixed columns, ``\\n`` line ends): two runs give
    byte-identical files. Returns ``{table: path}``.
    """
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW / ELECTION
    out_dir = Path(out_dir) if out_dir is not None else paths.DATA_PROCESSED / ELECTION
    parsed = parse_raw(raw_dir)
    tables = processed_tables(parsed)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, df in tables.items():
        path = out_dir / f"{name}.csv"
        text = df.to_csv(index=False, lineterminator="\n", na_rep="")
        # Write only on change, so make sees an untouched file when nothing changed.
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="")
        written[name] = path
    return written


_DTYPES = {
    "votes_by_region": {"votes": "Int64"},
    "national_summary": {**{c: "Int64" for c in (
        "registered", "participated", "valid", "mobile_votes", "invalid_implied", "registered_section_vi_2011_01_01",
        "registered_section_vi_start_of_voting", "registered_section_vi_close_of_polls", "special_polling_stations",
        "special_polling_stations_medical", "special_polling_stations_military", "special_polling_stations_abroad",
        "leader_votes")}, **{c: "float64" for c in (
        "turnout_printed_pct", "turnout_recomputed_pct", "leader_share_valid_pct", "leader_share_participated_pct")}},
    "protocol_comparison": {c: "Int64" for c in ("pec", "dec_figure", "pec_figure", "dec_minus_pec")},
    "military_pecs": {"pec": "Int64", "turnout_100": "boolean", "max_candidate_share_gt_99": "boolean"},
    "military_summary": {c: "Int64" for c in ("n_protocols_obtained", "n_turnout_100", "n_max_candidate_share_gt_99", "n_military_polling_stations")},
    "protocol_review": {"n_reviewed": "Int64", "n_failed": "Int64"},
    "election_day_observation": {"value": "Float64", "out_of": "Int64"},
    "cleaning_log": {},
    "checks": {"passed": "bool"},
}


def load_processed(name: str, processed_dir: Path | None = None) -> pd.DataFrame:
    """Read one processed table back with its dtypes (nullable Int64 / boolean; text stays text)."""
    if name not in SCHEMAS:
        raise KeyError(f"unknown kz2011 table {name!r}; known: {', '.join(TABLES)}")
    processed_dir = Path(processed_dir) if processed_dir is not None else paths.DATA_PROCESSED / ELECTION
    path = processed_dir / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run analysis.data.kz2011.build_processed() (make data) first")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for col, dtype in _DTYPES[name].items():
        values = df[col].replace("", None)
        if dtype == "boolean":
            df[col] = pd.array(values.map({"True": True, "False": False, None: pd.NA}), dtype="boolean")
        elif dtype == "bool":
            df[col] = values.map({"True": True, "False": False}).astype(bool)
        elif dtype == "Int64":
            df[col] = pd.array(pd.to_numeric(values), dtype="Int64")
        else:
            df[col] = pd.to_numeric(values).astype(dtype)
    return validate(name, df)
