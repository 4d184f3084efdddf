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

Modules: :mod:`~analysis.data.kz2011.source` (what the report holds: candidates, regions,
raw files), :mod:`~analysis.data.kz2011.raw` (reading and parsing, repairs),
:mod:`~analysis.data.kz2011.derived` (percentages, long votes, shares),
:mod:`~analysis.data.kz2011.checks` (consistency checks), :mod:`~analysis.data.kz2011.tables`
(processed tables, their schemas, ``build_processed`` / ``load_processed``). Everything public
is importable from here (``from analysis.data import kz2011; kz2011.load_processed(...)``).
"""

from __future__ import annotations

from analysis.data.kz2011.checks import (
    CHECKS,
    CheckResult,
    check_candidate_totals,
    check_invalid_implied,
    check_military_pecs,
    check_mobile_within_participated,
    check_printed_percentages,
    check_protocol_review,
    check_region_count,
    check_regional_sum_equals_valid,
    check_register_annex_vs_section_vi,
    check_total_row_equals_valid,
    check_turnout,
    checks_table,
    percentage_table,
    run_checks,
)
from analysis.data.kz2011.derived import (
    invalid_implied,
    leader_share_by_region,
    national_votes,
    percent,
    round_half_up,
    truncate,
    turnout_recomputed_pct,
    vote_share_by_region,
    votes_long,
)
from analysis.data.kz2011.raw import ParsedKZ, RawDataError, Repair, normalize_region, parse_raw, read_raw_csv
from analysis.data.kz2011.source import (
    BALLOT_ITEMS,
    CANDIDATES,
    ELECTION,
    LEADER,
    MILITARY_FIELDS,
    N_REGIONS_SECTION_V,
    NATIONAL_FIELDS,
    PERCENT_DECIMALS,
    RAW_COLUMNS,
    RAW_FILES,
    REGIONS,
    REGISTER_FIELDS,
    SOURCE,
    SPECIAL_FIELDS,
)
from analysis.data.kz2011.tables import SCHEMAS, TABLES, build_processed, load_processed, processed_tables, validate
from analysis.data.schema import TableValidationError

__all__ = [
    "BALLOT_ITEMS",
    "CANDIDATES",
    "CHECKS",
    "ELECTION",
    "LEADER",
    "MILITARY_FIELDS",
    "N_REGIONS_SECTION_V",
    "NATIONAL_FIELDS",
    "PERCENT_DECIMALS",
    "RAW_COLUMNS",
    "RAW_FILES",
    "REGIONS",
    "REGISTER_FIELDS",
    "SCHEMAS",
    "SOURCE",
    "SPECIAL_FIELDS",
    "TABLES",
    "CheckResult",
    "ParsedKZ",
    "RawDataError",
    "Repair",
    "TableValidationError",
    "build_processed",
    "check_candidate_totals",
    "check_invalid_implied",
    "check_military_pecs",
    "check_mobile_within_participated",
    "check_printed_percentages",
    "check_protocol_review",
    "check_region_count",
    "check_regional_sum_equals_valid",
    "check_register_annex_vs_section_vi",
    "check_total_row_equals_valid",
    "check_turnout",
    "checks_table",
    "invalid_implied",
    "leader_share_by_region",
    "load_processed",
    "national_votes",
    "normalize_region",
    "parse_raw",
    "percent",
    "percentage_table",
    "processed_tables",
    "read_raw_csv",
    "round_half_up",
    "run_checks",
    "truncate",
    "turnout_recomputed_pct",
    "validate",
    "vote_share_by_region",
    "votes_long",
]
