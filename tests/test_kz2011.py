"""Kazakhstan 2011: processed tables reproduce the annex; every check fires on corrupted copies."""

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from analysis.core import paths
from analysis.data import kz2011
from analysis.data.parsing import ParseError

RAW = paths.DATA_RAW / "kz2011"
REGIONAL = kz2011.RAW_FILES["regional"]


@pytest.fixture
def raw_copy(tmp_path) -> Path:
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    return dst


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("processed")
    kz2011.build_processed(RAW, out)
    return out


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def edit_cell(raw_dir, file, key, column, value):
    """Set one cell; the row is found by its first column(s) (``key``: a value or a tuple)."""
    key = key if isinstance(key, tuple) else (key,)
    rows = _rows(raw_dir / file)
    header = rows[0]
    hits = [r for r in rows[1:] if tuple(r[: len(key)]) == key]
    assert len(hits) == 1, (file, key)
    hits[0][header.index(column)] = value
    _write(raw_dir / file, rows)


def drop_row(raw_dir, file, key, second=None):
    rows = _rows(raw_dir / file)
    keep = [rows[0]] + [r for r in rows[1:] if not (r[0] == key and (second is None or r[1] == second))]
    assert len(keep) == len(rows) - 1
    _write(raw_dir / file, keep)


def checks_of(raw_dir) -> dict:
    return {r.name: r for r in kz2011.run_checks(kz2011.parse_raw(raw_dir))}


# --------------------------------------------------------------------------- the real transcription


def test_processed_tables_reproduce_the_annex(built):
    votes = kz2011.load_processed("votes_by_region", built)
    assert len(votes) == 64
    national = votes.groupby("candidate")["votes"].sum().to_dict()
    assert national == {"Nazarbayev": 7_850_958, "Kasymov": 159_036, "Akhmetbekov": 111_924, "Yeleusizov": 94_452}
    assert votes["votes"].sum() == 8_216_370
    sk = votes[(votes["region"] == "South Kazakhstan") & (votes["candidate"] == "Akhmetbekov")]["votes"]
    assert list(sk) == [16_970]
    summary = kz2011.load_processed("national_summary", built).iloc[0]
    assert summary["valid"] == 8_216_370
    assert summary["registered"] == 9_200_298
    assert summary["participated"] == 8_279_227
    assert summary["mobile_votes"] == 211_142
    assert summary["invalid_implied"] == 8_279_227 - 8_216_370
    assert summary["registered_section_vi_close_of_polls"] == 9_200_208
    assert summary["turnout_printed_pct"] == pytest.approx(89.98)
    assert summary["turnout_recomputed_pct"] == pytest.approx(100 * 8_279_227 / 9_200_298, abs=1e-12)
    assert summary["leader_share_valid_pct"] == pytest.approx(100 * 7_850_958 / 8_216_370)


def test_cleaning_log_records_the_south_kazakhstan_repair(built):
    log = kz2011.load_processed("cleaning_log", built)
    hit = log[(log["file"] == REGIONAL) & (log["row"] == "South Kazakhstan") & (log["column"] == "Akhmetbekov_votes")]
    assert len(hit) == 1
    rec = hit.iloc[0]
    assert rec["raw"] == "1,6970" and rec["cleaned"] == "16970"
    assert "TOTAL" in rec["source"] and "677" in rec["source"]
    # The only repair of the annex tables is this one.
    assert (log["file"] == REGIONAL).sum() == 1


def test_protocol_comparison_keeps_missing_values_missing(built):
    pc = kz2011.load_processed("protocol_comparison", built)
    assert len(pc) == 24 and set(pc["pec"]) == {410, 262, 80, 166}
    row = pc[(pc["pec"] == 262) & (pc["item"] == "Nazarbayev")].iloc[0]
    assert (row["dec_figure"], row["pec_figure"], row["dec_minus_pec"]) == (1729, 1659, 70)
    inv410 = pc[(pc["pec"] == 410) & (pc["item"] == "invalid")].iloc[0]
    assert pd.isna(inv410["dec_figure"]) and pd.isna(inv410["pec_figure"]) and inv410["dec_minus_pec"] == -40
    assert pc[(pc["pec"] == 410) & (pc["item"] == "Kasymov")]["dec_figure"].isna().all()
    cancelled = pc[(pc["pec"] == 166) & (pc["item"] == "cancelled")].iloc[0]
    assert (cancelled["dec_figure"], cancelled["pec_figure"]) == (107, 75)
    assert pc["dec_figure"].isna().sum() == 9  # never filled with zeros


def test_military_and_protocol_review_tables(built):
    mil = kz2011.load_processed("military_pecs", built)
    assert len(mil) == 11
    assert mil.groupby("region").size().to_dict() == {"Almaty": 1, "Almaty city": 2, "Mangistau": 7, "Zhambyl": 1}
    assert mil["turnout_100"].isna().all()  # the report gives counts, not which PECs
    summary = kz2011.load_processed("military_summary", built).iloc[0]
    assert (summary["n_protocols_obtained"], summary["n_turnout_100"], summary["n_max_candidate_share_gt_99"]) == (
        11,
        9,
        5,
    )
    review = kz2011.load_processed("protocol_review", built).set_index("formula_id")
    assert review.loc["received_eq_issued_plus_cancelled", "n_failed"] == 10
    assert review.loc["issued_eq_sum_by_commissioner", "n_failed"] == 31
    assert review.loc["by_commissioner_filled_in", "n_failed"] == 72
    assert review.loc["received_ballots_eq_valid_plus_invalid", "n_failed"] == 17
    assert review.loc["dec_protocols_reviewed", "n_reviewed"] == 34 and pd.isna(
        review.loc["dec_protocols_reviewed", "n_failed"]
    )
    obs = kz2011.load_processed("election_day_observation", built)
    bad = obs[(obs["stage"] == "counting") & (obs["measure"] == "assessed_bad_or_very_bad")].iloc[0]
    assert (bad["value"], bad["out_of"]) == (24, 151)
    almaty = obs[(obs["measure"] == "assessed_negatively") & (obs["region"] == "Almaty") & (obs["stage"] == "voting")]
    assert list(almaty["value"]) == [32]


def test_build_twice_is_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    wa, wb = kz2011.build_processed(RAW, a), kz2011.build_processed(RAW, b)
    assert sorted(wa) == sorted(wb) == sorted(kz2011.TABLES)
    for name in wa:
        assert wa[name].read_bytes() == wb[name].read_bytes(), name
        assert b"\r\n" not in wa[name].read_bytes()
    kz2011.build_processed(RAW, a)  # rebuilding in place changes nothing
    for name in wa:
        assert wa[name].read_bytes() == wb[name].read_bytes(), name


def test_checks_on_the_real_data():
    results = checks_of(RAW)
    assert sorted(results) == sorted(
        [
            "region_count",
            "candidate_columns_sum_to_total",
            "regional_sum_equals_valid_votes",
            "total_row_equals_valid_votes",
            "printed_percentages_recomputed",
            "turnout_recomputed",
            "register_annex_vs_section_vi",
            "invalid_implied_non_negative",
            "mobile_votes_within_participated",
            "military_pecs_listed",
            "protocol_review_counts",
        ]
    )
    failed = sorted(n for n, r in results.items() if not r.passed)
    # The one real inconsistency in the report: annex register vs section VI.
    assert failed == ["register_annex_vs_section_vi"]
    reg = results["register_annex_vs_section_vi"]
    assert (reg.expected, reg.observed) == (9_200_298, 9_200_208)
    turnout = results["turnout_recomputed"]
    assert turnout.expected == pytest.approx(89.98) and turnout.observed == pytest.approx(89.9887, abs=5e-5)
    assert "truncated" in turnout.detail
    pct = results["printed_percentages_recomputed"]
    assert (pct.expected, pct.observed) == (68, 68)
    assert results["invalid_implied_non_negative"].observed == 62_857


def test_percentage_rounding_rule_is_half_up_not_truncation():
    table = kz2011.percentage_table(kz2011.parse_raw(RAW))
    assert table["matches_rounded"].all()
    # Yeleusizov nationally: 94,452 / 8,216,370 = 1.1496 % -> printed 1.15 (rounded), not 1.14.
    row = table[(table["region"] == "TOTAL") & (table["candidate"] == "Yeleusizov")].iloc[0]
    assert row["printed_pct"] == Decimal("1.15") and not row["matches_truncated"]


def test_leader_share_by_region_hand_computed():
    votes = kz2011.votes_long(kz2011.parse_raw(RAW).regions)
    share = kz2011.leader_share_by_region(votes)
    sk = share.set_index("region").loc["South Kazakhstan"]
    assert sk["valid_votes"] == 16_970 + 9_807 + 19_946 + 1_055_240
    assert sk["leader_share_pct"] == pytest.approx(100 * 1_055_240 / (16_970 + 9_807 + 19_946 + 1_055_240))
    assert len(share) == 16 and share["leader_share_pct"].is_monotonic_decreasing
    nat = kz2011.national_votes(votes, 8_216_370).set_index("candidate")
    assert nat.loc["Nazarbayev", "share_pct"] == pytest.approx(95.5526345576)


# --------------------------------------------------------------------------- each check fires on a corrupted copy


def test_changed_cell_fires_column_and_valid_checks(raw_copy):
    edit_cell(raw_copy, REGIONAL, "Akmola", "Kasymov_votes", "8,311")
    r = checks_of(raw_copy)
    assert not r["candidate_columns_sum_to_total"].passed
    assert "Kasymov" in r["candidate_columns_sum_to_total"].detail
    assert not r["regional_sum_equals_valid_votes"].passed
    assert r["total_row_equals_valid_votes"].passed


def test_bad_total_fires(raw_copy):
    edit_cell(raw_copy, REGIONAL, "TOTAL", "Nazarbayev_votes", "7,850,959")
    r = checks_of(raw_copy)
    assert not r["candidate_columns_sum_to_total"].passed
    assert not r["total_row_equals_valid_votes"].passed
    assert r["regional_sum_equals_valid_votes"].passed


def test_bad_valid_total_fires(raw_copy):
    edit_cell(raw_copy, kz2011.RAW_FILES["national"], "valid", "value", "8,216,380")
    r = checks_of(raw_copy)
    assert not r["regional_sum_equals_valid_votes"].passed
    assert not r["total_row_equals_valid_votes"].passed


def test_missing_row_fires(raw_copy):
    drop_row(raw_copy, REGIONAL, "South Kazakhstan")
    r = checks_of(raw_copy)
    assert not r["region_count"].passed and "South Kazakhstan" in r["region_count"].detail
    assert not r["candidate_columns_sum_to_total"].passed
    assert not r["regional_sum_equals_valid_votes"].passed


def test_missing_row_makes_the_repair_impossible(raw_copy):
    # Without Akmola the column total no longer implies the digits of "1,6970": refuse, don't guess.
    drop_row(raw_copy, REGIONAL, "Akmola")
    with pytest.raises(ParseError) as info:
        kz2011.parse_raw(raw_copy)
    msg = str(info.value)
    assert REGIONAL in msg and "South Kazakhstan" in msg and "Akhmetbekov_votes" in msg and "1,6970" in msg


def test_second_malformed_value_in_a_column_is_an_error(raw_copy):
    edit_cell(raw_copy, REGIONAL, "Akmola", "Akhmetbekov_votes", "5,4300")
    with pytest.raises(ParseError, match="uniquely"):
        kz2011.parse_raw(raw_copy)


def test_malformed_value_whose_digits_disagree_with_the_total_is_an_error(raw_copy):
    edit_cell(raw_copy, REGIONAL, "South Kazakhstan", "Akhmetbekov_votes", "1,6971")
    with pytest.raises(ParseError, match="cannot be repaired"):
        kz2011.parse_raw(raw_copy)


def test_malformed_percentage_is_an_error_naming_the_cell(raw_copy):
    edit_cell(raw_copy, REGIONAL, "Pavlodar", "Kasymov_pct", "0,07")
    with pytest.raises(ParseError) as info:
        kz2011.parse_raw(raw_copy)
    assert (info.value.file, info.value.column, info.value.raw) == (REGIONAL, "Kasymov_pct", "0,07")
    assert "Pavlodar" in info.value.row


def test_changed_percentage_fires(raw_copy):
    edit_cell(raw_copy, REGIONAL, "Akmola", "Akhmetbekov_pct", "0.06")
    r = checks_of(raw_copy)["printed_percentages_recomputed"]
    assert not r.passed and r.observed == 67 and "Akmola/Akhmetbekov" in r.detail


def test_turnout_check_fires_on_rounded_turnout(raw_copy):
    edit_cell(raw_copy, kz2011.RAW_FILES["national"], "turnout", "value", "89,99%")
    r = checks_of(raw_copy)["turnout_recomputed"]
    assert not r.passed and "matches: rounded" in r.detail


def test_register_check_passes_when_figures_agree(raw_copy):
    edit_cell(raw_copy, kz2011.RAW_FILES["register"], "registered_close_of_polls", "value", "9,200,298")
    assert checks_of(raw_copy)["register_annex_vs_section_vi"].passed


def test_invalid_implied_fires_when_valid_exceeds_participated(raw_copy):
    edit_cell(raw_copy, kz2011.RAW_FILES["national"], "participated", "value", "8,216,369")
    r = checks_of(raw_copy)["invalid_implied_non_negative"]
    assert not r.passed and r.observed == -1


def test_mobile_votes_check_fires(raw_copy):
    edit_cell(raw_copy, kz2011.RAW_FILES["national"], "mobile_votes", "value", "9,000,000")
    assert not checks_of(raw_copy)["mobile_votes_within_participated"].passed


def test_military_check_fires_on_missing_pec(raw_copy):
    drop_row(raw_copy, kz2011.RAW_FILES["military_pecs"], "Mangistau", "56")
    r = checks_of(raw_copy)["military_pecs_listed"]
    assert not r.passed and (r.expected, r.observed) == (11, 10)


def test_protocol_review_check_fires(raw_copy):
    edit_cell(
        raw_copy, kz2011.RAW_FILES["protocol_review"], ("PEC", "issued_eq_sum_by_commissioner"), "n_failed", "334"
    )
    assert not checks_of(raw_copy)["protocol_review_counts"].passed


def test_unknown_region_is_an_error(raw_copy):
    edit_cell(raw_copy, kz2011.RAW_FILES["military_pecs"], "Zhambyl", "region", "Jambyl")
    with pytest.raises(ParseError, match="unknown region"):
        kz2011.parse_raw(raw_copy)


def test_contradictory_printed_difference_is_an_error(raw_copy):
    rows = _rows(raw_copy / kz2011.RAW_FILES["dec_vs_pec"])
    for r in rows:
        if r[0] == "262" and r[3] == "Nazarbayev":
            r[6] = "40 less"
    _write(raw_copy / kz2011.RAW_FILES["dec_vs_pec"], rows)
    with pytest.raises(ParseError, match="contradicts"):
        kz2011.parse_raw(raw_copy)


def test_wrong_columns_are_an_error(raw_copy):
    rows = _rows(raw_copy / REGIONAL)
    rows[0][1] = "Akhmetbekov"
    _write(raw_copy / REGIONAL, rows)
    with pytest.raises(ParseError, match="columns"):
        kz2011.parse_raw(raw_copy)


# --------------------------------------------------------------------------- schemas and loading


def test_schema_failure_names_table_row_and_column(built):
    votes = kz2011.load_processed("votes_by_region", built)
    votes.loc[5, "votes"] = -3
    votes.loc[7, "region"] = "Atlantis"
    with pytest.raises(kz2011.TableValidationError) as info:
        kz2011.validate("votes_by_region", votes)
    msg = str(info.value)
    assert msg.startswith("table votes_by_region: 2 schema failure(s)")
    assert "row 5 (file line 7; region=" in msg and "column 'votes'" in msg and "-3" in msg
    assert "row 7 (file line 9; region='Atlantis'" in msg and "column 'region'" in msg


def test_schema_rejects_duplicate_military_pec(built):
    mil = kz2011.load_processed("military_pecs", built)
    with pytest.raises(kz2011.TableValidationError, match="table military_pecs"):
        kz2011.validate("military_pecs", pd.concat([mil, mil.iloc[:1]], ignore_index=True))


def test_load_processed_dtypes_and_unknown_name(built):
    assert str(kz2011.load_processed("votes_by_region", built)["votes"].dtype) == "Int64"
    assert str(kz2011.load_processed("military_pecs", built)["turnout_100"].dtype) == "boolean"
    assert str(kz2011.load_processed("protocol_comparison", built)["dec_figure"].dtype) == "Int64"
    with pytest.raises(KeyError):
        kz2011.load_processed("nope", built)
    with pytest.raises(FileNotFoundError):
        kz2011.load_processed("votes_by_region", built / "missing")


def test_figures_draw_the_given_tables(built):
    matplotlib.use("Agg")
    from analysis.report.plotting import kz as kzplot

    votes = kz2011.load_processed("votes_by_region", built)
    shares = kz2011.vote_share_by_region(votes)
    fig = kzplot.plot_vote_share_by_region(shares)
    lead_ax, rest_ax = fig.axes[:2]
    assert [t.get_text() for t in lead_ax.get_yticklabels()][-1] == kz2011.leader_share_by_region(votes)["region"].iloc[
        0
    ]
    assert "%" in lead_ax.get_xlabel() and "%" in rest_ax.get_xlabel()
    fig2 = kzplot.plot_national_candidates(kz2011.national_votes(votes, 8_216_370))
    labels = [t.get_text() for t in fig2.axes[0].texts]
    assert any("7,850,958" in t for t in labels)


# --------------------------------------------------------------------------- verbatim transcription

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_78719f45d59fee38.txt"
PRINTED_COLUMNS = (
    "value",
    "dec_figure",
    "pec_figure",
    "dec_minus_pec_printed",
    "pec",
    "n_reviewed",
    "n_failed",
    "out_of",
    "label",
    "as_of",
)


@pytest.mark.skipif(not SEED.exists(), reason=f"report text not found at {SEED}")
def test_raw_values_appear_verbatim_on_their_seed_line():
    """Every printed value in data/raw/kz2011 occurs, as written, on the report line it cites."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    regional = _rows(RAW / REGIONAL)
    for rec in regional[1:]:
        assert lines[int(rec[-1]) - 1].split("\t") == rec[:-1], rec
    n_checked = 0
    for key, file in kz2011.RAW_FILES.items():
        if key == "regional":
            continue
        rows = _rows(RAW / file)
        header = rows[0]
        for rec in rows[1:]:
            text = lines[int(rec[header.index("line")]) - 1]
            for col in PRINTED_COLUMNS:
                if col in header and rec[header.index(col)]:
                    cell = rec[header.index(col)]
                    assert cell in text, (file, rec, col)
                    n_checked += 1
    assert n_checked > 150
