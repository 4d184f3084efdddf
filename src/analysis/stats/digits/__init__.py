"""Last-digit and second-digit tests of vote counts, each with a textbook and a size-aware null,
and the percentage-grid check of regional counts.

Modules: :mod:`~analysis.stats.digits.benford` (digit extraction, Benford's second-digit law),
:mod:`~analysis.stats.digits.lastdigit` (:class:`DigitTestResult`, the last-digit chi-square and the
shared mean-test machinery), :mod:`~analysis.stats.digits.eft` (Mebane's LastC, C05s, P05s, _2BL),
:mod:`~analysis.stats.digits.pairs` (Beber & Scacco's last-two-digit pair tests),
:mod:`~analysis.stats.digits.battery` (all tests on shared redraws, a display table),
:mod:`~analysis.stats.digits.grid` (percentage grid) and
:mod:`~analysis.stats.digits.calibration` (tests registered for calibration). Everything
public is re-exported here: ``from analysis.stats import digits; digits.all_digit_tests``.

Size-aware null
---------------
The textbook nulls hold only for large counts: a count of 23 out of 40 ballots cannot have a
uniform last digit, and binomial counts of stations of similar size do not follow Benford's
second-digit law. Every test therefore also reports a Monte Carlo p-value under the null
that each count is Binomial(station size, station's observed rate), drawn afresh
``n_sims`` times (:func:`analysis.stats.montecarlo.binomial_redraws`) and pushed through the
same statistic, filter included.

Limitation: the redraw is centred on the observed count, so where a station's binomial sd
is small (a few votes) the redrawn last digit partly inherits the observed one; the
size-aware null is then conservative against fabricated last digits in such counts (its
chi-square is centred above 9 on ru2011, for instance). Tests in ``tests/test_digits.py``
check that its p-values are close to uniform on simulated clean elections.

References
----------
Beber, B. & Scacco, A. (2012). What the numbers say: a digit-based test for election fraud.
*Political Analysis* 20(2), 211-234. Last digits of counts are uniform (section 3; counts
too small to have a uniform last digit are excluded); the last two digits are a repeated
pair (11, 22 ...) with probability 0.10 and an adjacent pair (12, 21 ..., no wrap-around
from 9 to 0, so 18 of the 100 pairs) with probability 0.18.

Mebane, W. R. Jr. (2006). Election forensics: vote counts and Benford's law. Political
Methodology Summer Meeting; and Hicken, A. & Mebane, W. R. Jr. (2017). A guide to election
forensics. USAID DRG Center (the Election Forensics Toolkit, EFT). EFT statistics: ``_2BL``
(mean second digit, Benford's second-digit law gives 4.187), ``LastC`` (mean last digit,
4.5), ``C05s`` (share of counts whose last digit is 0 or 5, 0.2) and ``P05s`` (share of the
leader's rounded integer percentages whose last digit is 0 or 5, 0.2).
"""

from analysis.stats.digits.battery import all_digit_tests, results_table
from analysis.stats.digits.benford import (
    BENFORD_SECOND,
    BENFORD_SECOND_MEAN,
    BENFORD_SECOND_VAR,
    benford_second_digit_probabilities,
    integer_percentage,
    last_digit,
    second_digit,
)
from analysis.stats.digits.calibration import (
    calibration_c05s,
    calibration_last_digit_chi2,
    calibration_last_digit_sizeaware,
    calibration_lastc,
    calibration_lastc_sizeaware,
    calibration_twobl,
    calibration_twobl_sizeaware,
)
from analysis.stats.digits.eft import c05s, lastc, p05s, twobl
from analysis.stats.digits.grid import (
    PercentageGridResult,
    on_percentage_grid,
    percentage_grid_probability,
    percentage_grid_test,
)
from analysis.stats.digits.lastdigit import BEBER_SCACCO, MEBANE_EFT, DigitTestResult, last_digit_chi2
from analysis.stats.digits.pairs import adjacent_digits, repeated_digits

__all__ = [
    "BEBER_SCACCO",
    "BENFORD_SECOND",
    "BENFORD_SECOND_MEAN",
    "BENFORD_SECOND_VAR",
    "DigitTestResult",
    "MEBANE_EFT",
    "PercentageGridResult",
    "adjacent_digits",
    "all_digit_tests",
    "benford_second_digit_probabilities",
    "c05s",
    "calibration_c05s",
    "calibration_last_digit_chi2",
    "calibration_last_digit_sizeaware",
    "calibration_lastc",
    "calibration_lastc_sizeaware",
    "calibration_twobl",
    "calibration_twobl_sizeaware",
    "integer_percentage",
    "last_digit",
    "last_digit_chi2",
    "lastc",
    "on_percentage_grid",
    "p05s",
    "percentage_grid_probability",
    "percentage_grid_test",
    "repeated_digits",
    "results_table",
    "second_digit",
    "twobl",
]
