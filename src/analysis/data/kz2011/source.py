"""What the OSCE/ODIHR report holds for Kazakhstan 2011: candidates, regions, raw files and their columns."""

from __future__ import annotations

from decimal import Decimal

ELECTION = "kz2011"
SOURCE = "OSCE/ODIHR EOM Final Report, Kazakhstan early presidential election 3 April 2011"
# Order of the annex columns.
CANDIDATES = ("Akhmetbekov", "Yeleusizov", "Kasymov", "Nazarbayev")
LEADER = "Nazarbayev"
# Section V: 14 regions plus the cities of Astana and Almaty, each with its own TEC.
REGIONS = (
    "Akmola",
    "Aktobe",
    "Almaty",
    "Atyrau",
    "East Kazakhstan",
    "Zhambyl",
    "West Kazakhstan",
    "Karaganda",
    "Kostanai",
    "Kyzylorda",
    "Mangistau",
    "Pavlodar",
    "North Kazakhstan",
    "South Kazakhstan",
    "Astana city",
    "Almaty city",
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
