"""Turnout and leader-share distributions, election fingerprints and their summary statistics.

Definitions follow Kobak, Shpilkin & Pshenichnikov (2016, Annals of Applied Statistics 10(1),
section 2) through :mod:`analysis.stats.measures`: turnout = ballots issued / registered
(official; ``turnout_definition="boxes"`` uses ballots found in the boxes), leader share =
leader votes / (valid + invalid). Values are fractions in the functions and percentage points
in histogram bins and figures.

Every function takes arrays and returns a frozen result; :func:`station_measures` is the one
bridge from the canonical ``stations`` table to those arrays, and it counts every station it
leaves out, by reason, instead of dropping it silently.

Modules: :mod:`~analysis.stats.distributions.stations` (station arrays, high-turnout vote
shares, regional shares), :mod:`~analysis.stats.distributions.station_types` (stations left out
by type: pseudo-stations), :mod:`~analysis.stats.distributions.histograms` (histograms and the
fingerprint), :mod:`~analysis.stats.distributions.shape` (skewness, kurtosis, dip test),
:mod:`~analysis.stats.distributions.correlation` (correlation, Sobyanin–Sukhovolsky) and
:mod:`~analysis.stats.distributions.summary` (notebook 03's key numbers; calibration tests
``dip_turnout``, ``dip_leader``, ``sobyanin_slope``).
"""

from analysis.stats.distributions.correlation import (
    CorrelationResult,
    SlopeResult,
    correlation,
    sobyanin_sukhovolsky,
    weighted_pearson,
)
from analysis.stats.distributions.histograms import Fingerprint, Histogram, fingerprint, histogram
from analysis.stats.distributions.shape import (
    DIP_PVALUE_FLOOR,
    DIPTEST_IMPLEMENTATION,
    DipResult,
    ShapeResult,
    dip_test,
    shape,
)
from analysis.stats.distributions.stations import (
    DEFAULT_THRESHOLDS,
    WEIGHTINGS,
    HighTurnoutVotesResult,
    StationMeasures,
    leader_votes_at_high_turnout,
    regional_leader_share,
    station_measures,
    weights_for,
)
from analysis.stats.distributions.summary import summary_statistics
from analysis.stats.station_types import excluded_by_type, pseudo_count

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DIPTEST_IMPLEMENTATION",
    "DIP_PVALUE_FLOOR",
    "WEIGHTINGS",
    "CorrelationResult",
    "DipResult",
    "Fingerprint",
    "HighTurnoutVotesResult",
    "Histogram",
    "ShapeResult",
    "SlopeResult",
    "StationMeasures",
    "correlation",
    "dip_test",
    "excluded_by_type",
    "fingerprint",
    "histogram",
    "leader_votes_at_high_turnout",
    "pseudo_count",
    "regional_leader_share",
    "shape",
    "sobyanin_sukhovolsky",
    "station_measures",
    "summary_statistics",
    "weighted_pearson",
    "weights_for",
]
