"""Processed tables of Kazakhstan 2011: layout, pandera schemas, writing and reading back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from analysis.core import paths
from analysis.data.kz2011.checks import CheckResult, checks_table, run_checks
from analysis.data.kz2011.derived import invalid_implied, percent, turnout_recomputed_pct, votes_long
from analysis.data.kz2011.raw import ParsedKZ, parse_raw
from analysis.data.kz2011.source import BALLOT_ITEMS, CANDIDATES, ELECTION, LEADER, REGIONS
from analysis.data.schema import count_column, text_column, validate_table

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "votes_by_region": pa.DataFrameSchema(
        {
            "region": text_column(checks=pa.Check.isin(REGIONS)),
            "candidate": text_column(checks=pa.Check.isin(CANDIDATES)),
            "votes": count_column(nullable=False),
        },
        unique=["region", "candidate"],
        strict=True,
        ordered=True,
        name="votes_by_region",
    ),
    "national_summary": pa.DataFrameSchema(
        {
            **{
                c: count_column(nullable=False)
                for c in ("registered", "participated", "valid", "mobile_votes", "invalid_implied")
            },
            "turnout_printed_pct": pa.Column(float, pa.Check.in_range(0, 100)),
            "turnout_recomputed_pct": pa.Column(float, pa.Check.in_range(0, 100)),
            **{
                c: count_column(nullable=False)
                for c in (
                    "registered_section_vi_2011_01_01",
                    "registered_section_vi_start_of_voting",
                    "registered_section_vi_close_of_polls",
                    "special_polling_stations",
                    "special_polling_stations_medical",
                    "special_polling_stations_military",
                    "special_polling_stations_abroad",
                )
            },
            "leader": text_column(checks=pa.Check.isin(CANDIDATES)),
            "leader_votes": count_column(nullable=False),
            "leader_share_valid_pct": pa.Column(float, pa.Check.in_range(0, 100)),
            "leader_share_participated_pct": pa.Column(float, pa.Check.in_range(0, 100)),
        },
        checks=pa.Check(lambda df: len(df) == 1, name="exactly_one_row"),
        strict=True,
        ordered=True,
        name="national_summary",
    ),
    "protocol_comparison": pa.DataFrameSchema(
        {
            "pec": count_column(nullable=False),
            "dec": text_column(),
            "region": text_column(checks=pa.Check.isin(REGIONS)),
            "item": text_column(checks=pa.Check.isin(CANDIDATES + BALLOT_ITEMS)),
            "dec_figure": count_column(),
            "pec_figure": count_column(),
            "dec_minus_pec": pa.Column("Int64", nullable=True),
        },
        unique=["region", "pec", "item"],
        strict=True,
        ordered=True,
        name="protocol_comparison",
    ),
    "military_pecs": pa.DataFrameSchema(
        {
            "region": text_column(checks=pa.Check.isin(REGIONS)),
            "pec": count_column(nullable=False),
            "turnout_100": pa.Column("boolean", nullable=True),
            "max_candidate_share_gt_99": pa.Column("boolean", nullable=True),
        },
        unique=["region", "pec"],
        strict=True,
        ordered=True,
        name="military_pecs",
    ),
    "military_summary": pa.DataFrameSchema(
        {
            c: count_column(nullable=False)
            for c in (
                "n_protocols_obtained",
                "n_turnout_100",
                "n_max_candidate_share_gt_99",
                "n_military_polling_stations",
            )
        },
        checks=pa.Check(lambda df: len(df) == 1, name="exactly_one_row"),
        strict=True,
        ordered=True,
        name="military_summary",
    ),
    "protocol_review": pa.DataFrameSchema(
        {
            "level": text_column(checks=pa.Check.isin(["PEC", "DEC"])),
            "formula_id": text_column(),
            "formula": text_column(),
            "n_reviewed": count_column(nullable=False),
            "n_failed": count_column(),
        },
        unique=["level", "formula_id"],
        strict=True,
        ordered=True,
        name="protocol_review",
    ),
    "election_day_observation": pa.DataFrameSchema(
        {
            "section": text_column(),
            "stage": text_column(),
            "measure": text_column(),
            "region": text_column(checks=pa.Check.isin(("",) + REGIONS)),
            "value": pa.Column("Float64", pa.Check.ge(0), nullable=True),
            "unit": text_column(),
            "qualifier": text_column(checks=pa.Check.isin(["", "over"])),
            "out_of": count_column(),
        },
        unique=["section", "stage", "measure", "region"],
        strict=True,
        ordered=True,
        name="election_day_observation",
    ),
    "cleaning_log": pa.DataFrameSchema(
        {c: text_column() for c in ("file", "row", "column", "raw", "cleaned", "rule", "source")},
        unique=["file", "row", "column"],
        strict=True,
        ordered=True,
        name="cleaning_log",
    ),
    "checks": pa.DataFrameSchema(
        {
            "name": text_column(),
            "passed": pa.Column(bool),
            "expected": text_column(),
            "observed": text_column(),
            "detail": text_column(),
        },
        unique=["name"],
        strict=True,
        ordered=True,
        name="checks",
    ),
}
TABLES = tuple(SCHEMAS)


def validate(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate ``df`` against the schema of table ``name`` (:class:`~analysis.data.schema.TableValidationError`)."""
    # Rows are named by their CSV line too: the tables are written as CSV with one header line.
    return validate_table(SCHEMAS[name], df, line_offset=2)


def _int64(values) -> pd.array:
    return pd.array(values, dtype="Int64")


def processed_tables(parsed: ParsedKZ, checks: list[CheckResult] | None = None) -> dict[str, pd.DataFrame]:
    """Lay out the parsed raw data as the processed tables (sorted rows, fixed columns), validated."""
    nat = parsed.national
    votes = votes_long(parsed.regions)
    leader_votes = int(votes.loc[votes["candidate"] == LEADER, "votes"].sum())
    tables: dict[str, pd.DataFrame] = {}
    tables["votes_by_region"] = votes.assign(votes=_int64(votes["votes"]))
    tables["national_summary"] = pd.DataFrame(
        {
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
        }
    )
    pc = parsed.dec_vs_pec.sort_values(["region", "pec", "item"], kind="mergesort").reset_index(drop=True)
    tables["protocol_comparison"] = pc.assign(
        pec=_int64(pc["pec"]),
        dec_figure=_int64(pc["dec_figure"]),
        pec_figure=_int64(pc["pec_figure"]),
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
    tables["military_summary"] = pd.DataFrame(
        {
            "n_protocols_obtained": _int64([ms["n_protocols_obtained"]]),
            "n_turnout_100": _int64([ms["n_turnout_100"]]),
            "n_max_candidate_share_gt_99": _int64([ms["n_max_candidate_share_gt_99"]]),
            "n_military_polling_stations": _int64([parsed.special_stations["special_military"]]),
        }
    )
    pr = parsed.protocol_review.sort_values(["level", "formula_id"], kind="mergesort").reset_index(drop=True)
    tables["protocol_review"] = pr.assign(n_reviewed=_int64(pr["n_reviewed"]), n_failed=_int64(pr["n_failed"]))
    ob = parsed.observation.sort_values(["section", "stage", "measure", "region"], kind="mergesort").reset_index(
        drop=True
    )
    tables["election_day_observation"] = ob.assign(
        value=pd.array(ob["value"], dtype="Float64"), out_of=_int64(ob["out_of"])
    )
    log = pd.DataFrame(
        [r.__dict__ for r in parsed.repairs], columns=["file", "row", "column", "raw", "cleaned", "rule", "source"]
    )
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
    "national_summary": {
        **{
            c: "Int64"
            for c in (
                "registered",
                "participated",
                "valid",
                "mobile_votes",
                "invalid_implied",
                "registered_section_vi_2011_01_01",
                "registered_section_vi_start_of_voting",
                "registered_section_vi_close_of_polls",
                "special_polling_stations",
                "special_polling_stations_medical",
                "special_polling_stations_military",
                "special_polling_stations_abroad",
                "leader_votes",
            )
        },
        **{
            c: "float64"
            for c in (
                "turnout_printed_pct",
                "turnout_recomputed_pct",
                "leader_share_valid_pct",
                "leader_share_participated_pct",
            )
        },
    },
    "protocol_comparison": {c: "Int64" for c in ("pec", "dec_figure", "pec_figure", "dec_minus_pec")},
    "military_pecs": {"pec": "Int64", "turnout_100": "boolean", "max_candidate_share_gt_99": "boolean"},
    "military_summary": {
        c: "Int64"
        for c in ("n_protocols_obtained", "n_turnout_100", "n_max_candidate_share_gt_99", "n_military_polling_stations")
    },
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
