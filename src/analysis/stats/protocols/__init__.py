"""Protocol arithmetic: the reconciliation identities a precinct protocol must satisfy, and the
Kazakhstan 2011 comparison of district (DEC) summaries with precinct (PEC) protocols.

Modules: :mod:`~analysis.stats.protocols.identities` (the identities),
:mod:`~analysis.stats.protocols.checks` (:func:`check_protocols`) and
:mod:`~analysis.stats.protocols.dec_pec` (footnote 121 of the OSCE/ODIHR report, the sign
test, the report's reviewed formulas). No printing, plotting or file I/O here;
``analysis.report.plotting.protocols`` draws the results.
"""

from analysis.core.canonical import ISSUED_LINES
from analysis.stats.protocols.checks import ProtocolChecksResult, check_protocols
from analysis.stats.protocols.dec_pec import (
    KZ_REVIEW_IDENTITY,
    NON_CANDIDATE_ITEMS,
    ProtocolComparisonResult,
    SignTestResult,
    compare_dec_pec,
    review_beside_reference,
    review_identity,
    sign_test,
)
from analysis.stats.protocols.identities import (
    IDENTITIES,
    IDENTITY_NAMES,
    Identity,
    candidate_vote_sums,
    identity,
    issued_from_stock,
    issued_to_voters,
)

__all__ = [
    "IDENTITIES",
    "IDENTITY_NAMES",
    "ISSUED_LINES",
    "KZ_REVIEW_IDENTITY",
    "NON_CANDIDATE_ITEMS",
    "Identity",
    "ProtocolChecksResult",
    "ProtocolComparisonResult",
    "SignTestResult",
    "candidate_vote_sums",
    "check_protocols",
    "compare_dec_pec",
    "identity",
    "issued_from_stock",
    "issued_to_voters",
    "review_beside_reference",
    "review_identity",
    "sign_test",
]
