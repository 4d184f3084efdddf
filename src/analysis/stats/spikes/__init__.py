"""Integer-percentage spikes (Kobak, Shpilkin & Pshenichnikov 2016) and the resampled
kernel-density spike estimate (Rozenas 2017).

Modules: :mod:`~analysis.stats.spikes.integer` (integer percentages in exact arithmetic and
the exact probability that a binomial count lands on one), :mod:`~analysis.stats.spikes.sample`
(Kobak et al.'s station sample, flags and null probabilities),
:mod:`~analysis.stats.spikes.nulls` (Monte Carlo nulls of the counts),
:mod:`~analysis.stats.spikes.kobak` (the tests), :mod:`~analysis.stats.spikes.betabinomial`
(beta-binomial mixtures), :mod:`~analysis.stats.spikes.rozenas` (the RKD estimate),
:mod:`~analysis.stats.spikes.rkd` (its densities and posterior-predictive resampling) and
:mod:`~analysis.stats.spikes.calibration` (tests registered for calibration). Everything
public is re-exported here: ``from analysis.stats import spikes; spikes.integer_percentage_test``.

References
----------
Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73, section 3.

Rozenas, A. (2017). Detecting election fraud from irregularities in vote-share
distributions. *Political Analysis* 25(1), 41-56, section 4.
"""

from analysis.stats.spikes.betabinomial import (
    BetaBinomialMixture,
    fit_beta_binomial_mixture,
    select_beta_binomial_mixture,
)
from analysis.stats.spikes.calibration import (
    calibration_integer_either,
    calibration_integer_leader,
    calibration_integer_turnout,
)
from analysis.stats.spikes.integer import integer_probability, is_integer_percentage, percentage_histogram
from analysis.stats.spikes.kobak import (
    KOBAK_SOURCE,
    IntegerCountResult,
    IntegerSpikeResult,
    integer_count_test,
    integer_percentage_test,
)
from analysis.stats.spikes.nulls import simulate_integer_counts_binomial, simulate_integer_counts_indicator
from analysis.stats.spikes.rozenas import (
    ROZENAS_REFERENCE_RU2011_PCT,
    ROZENAS_SOURCE,
    RozenasResult,
    rozenas_spikes,
)
from analysis.stats.spikes.sample import (
    QUANTITIES,
    IntegerSample,
    integer_probabilities,
    kobak_sample,
    observed_integer_flags,
    sample_from_tables,
)

__all__ = [
    "BetaBinomialMixture",
    "IntegerCountResult",
    "IntegerSample",
    "IntegerSpikeResult",
    "KOBAK_SOURCE",
    "QUANTITIES",
    "ROZENAS_REFERENCE_RU2011_PCT",
    "ROZENAS_SOURCE",
    "RozenasResult",
    "calibration_integer_either",
    "calibration_integer_leader",
    "calibration_integer_turnout",
    "fit_beta_binomial_mixture",
    "integer_count_test",
    "integer_percentage_test",
    "integer_probabilities",
    "integer_probability",
    "is_integer_percentage",
    "kobak_sample",
    "observed_integer_flags",
    "percentage_histogram",
    "rozenas_spikes",
    "sample_from_tables",
    "select_beta_binomial_mixture",
    "simulate_integer_counts_binomial",
    "simulate_integer_counts_indicator",
]
