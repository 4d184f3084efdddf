"""Reading and parsing the raw transcription (``data/raw/kz2011/``) into numbers, with the cleaning log.

Printed values are parsed strictly (:mod:`analysis.data.parsing`). A value that does not parse
is repaired only when the table's own totals determine it uniquely, and every repair is a
:class:`Repair` (a row of ``cleaning_log.csv``); anything else is a ``ParseError`` naming file,
row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.data.kz2011.source import (
    BALLOT_ITEMS,
    CANDIDATES,
    ELECTION,
    MILITARY_FIELDS,
    NATIONAL_FIELDS,
    RAW_COLUMNS,
    RAW_FILES,
    REGIONS,
    REGISTER_FIELDS,
    SPECIAL_FIELDS,
)
from analysis.data.parsing import ParseError, is_missing, parse_decimal, parse_int, parse_percent, parse_spelled_int


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
        raise RawDataError(
            f"unknown region (annex regions: {', '.join(REGIONS)})", file=file, row=row, column=column, raw=printed
        )
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
            repairs.append(
                Repair(
                    file,
                    rec["field"],
                    "value",
                    raw,
                    str(value),
                    "number_word: number printed as a word in prose",
                    f"seed line {rec[line_col]}",
                )
            )
        else:
            value = parse_int(raw, **where)
        out[rec["field"]] = value
    return out


def _parse_national(df: pd.DataFrame, file: str) -> dict:
    fields = list(df["field"])
    if fields != list(NATIONAL_FIELDS):
        raise RawDataError(
            f"fields {fields} differ from the expected {list(NATIONAL_FIELDS)}", file=file, column="field"
        )
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
                file=file,
                column=col,
                raw=[body[col].iloc[p] for p, _, _ in failures],
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
                    file=exc.file,
                    row=exc.row,
                    column=col,
                    raw=raw,
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
            raise RawDataError(
                f"unknown item (expected one of {CANDIDATES + BALLOT_ITEMS})",
                **_where(file, i, key, "item"),
                raw=rec["item"],
            )
        figures = {}
        for col in ("dec_figure", "pec_figure"):
            figures[col] = None if is_missing(rec[col]) else parse_int(rec[col], **_where(file, i, key, col))
        diff_printed = None
        if not is_missing(rec["dec_minus_pec_printed"]):
            m = re.fullmatch(r"(\S+) (less|more)", rec["dec_minus_pec_printed"].strip())
            if not m:
                raise RawDataError(
                    "expected '<number> less' or '<number> more'",
                    **_where(file, i, key, "dec_minus_pec_printed"),
                    raw=rec["dec_minus_pec_printed"],
                )
            n = parse_int(m.group(1), **_where(file, i, key, "dec_minus_pec_printed"))
            diff_printed = -n if m.group(2) == "less" else n
        diff = None
        if figures["dec_figure"] is not None and figures["pec_figure"] is not None:
            diff = figures["dec_figure"] - figures["pec_figure"]
            if diff_printed is not None and diff_printed != diff:
                raise RawDataError(
                    f"printed difference {diff_printed} contradicts the figures ({diff})",
                    **_where(file, i, key, "dec_minus_pec_printed"),
                    raw=rec["dec_minus_pec_printed"],
                )
        elif diff_printed is not None:
            diff = diff_printed
        rows.append(
            {
                "pec": pec,
                "dec": rec["dec"].strip(),
                "region": region,
                "item": rec["item"],
                **figures,
                "dec_minus_pec": diff,
            }
        )
    out = pd.DataFrame(rows, columns=["pec", "dec", "region", "item", "dec_figure", "pec_figure", "dec_minus_pec"])
    dup = out.duplicated(["pec", "region", "item"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise RawDataError(
            "duplicate PEC/item row", **_where(file, i, f"PEC {out['pec'][i]} / {out['item'][i]}", "item")
        )
    return out


def _parse_military_pecs(df: pd.DataFrame, file: str) -> pd.DataFrame:
    rows = []
    for i, rec in df.iterrows():
        key = f"{rec['region']} PEC {rec['pec']}"
        rows.append(
            {
                "region": normalize_region(rec["region"], **_where(file, i, key, "region")),
                "pec": parse_int(rec["pec"], **_where(file, i, key, "pec")),
            }
        )
    out = pd.DataFrame(rows, columns=["region", "pec"])
    dup = out.duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise RawDataError(
            "military PEC listed twice", **_where(file, i, f"{out['region'][i]} PEC {out['pec'][i]}", "pec")
        )
    return out


def _parse_protocol_review(df: pd.DataFrame, file: str) -> pd.DataFrame:
    rows = []
    for i, rec in df.iterrows():
        key = f"{rec['level']}/{rec['formula_id']}"
        if rec["level"] not in ("PEC", "DEC"):
            raise RawDataError("level must be PEC or DEC", **_where(file, i, key, "level"), raw=rec["level"])
        rows.append(
            {
                "level": rec["level"],
                "formula_id": rec["formula_id"],
                "formula": rec["formula"],
                "n_reviewed": parse_int(rec["n_reviewed"], **_where(file, i, key, "n_reviewed")),
                "n_failed": None
                if is_missing(rec["n_failed"])
                else parse_int(rec["n_failed"], **_where(file, i, key, "n_failed")),
            }
        )
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
            repairs.append(
                Repair(
                    file,
                    key,
                    "value",
                    raw,
                    str(int(value)),
                    "number_word: number printed as a word in prose",
                    f"seed line {rec['line']}",
                )
            )
        else:
            value = float(parse_int(raw, **_where(file, i, key, "value")))
        out_of = None if is_missing(rec["out_of"]) else parse_int(rec["out_of"], **_where(file, i, key, "out_of"))
        if rec["qualifier"] not in ("", "over"):
            raise RawDataError(
                "qualifier must be empty or 'over'", **_where(file, i, key, "qualifier"), raw=rec["qualifier"]
            )
        rows.append(
            {
                "section": rec["section"],
                "stage": rec["stage"],
                "measure": rec["measure"],
                "region": region,
                "value": value,
                "unit": rec["unit"],
                "qualifier": rec["qualifier"],
                "out_of": out_of,
            }
        )
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
        special_stations=_keyed_ints(
            frames["special_stations"], RAW_FILES["special_stations"], SPECIAL_FIELDS, repairs
        ),
        dec_vs_pec=_parse_dec_vs_pec(frames["dec_vs_pec"], RAW_FILES["dec_vs_pec"]),
        military_pecs=_parse_military_pecs(frames["military_pecs"], RAW_FILES["military_pecs"]),
        military_summary=_keyed_ints(
            frames["military_summary"], RAW_FILES["military_summary"], MILITARY_FIELDS, repairs
        ),
        protocol_review=_parse_protocol_review(frames["protocol_review"], RAW_FILES["protocol_review"]),
        observation=_parse_observation(frames["observation"], RAW_FILES["observation"], repairs),
        repairs=repairs,
    )
