"""Type-I error and power of every forensic test on synthetic elections.

Every statistics module registers its tests with ``@analysis.core.registry.calibration_test(name)``
on ``fn(stations, votes, leader, rng) -> p-value`` (docs/ARCHITECTURE.md, "Calibration
registry"); :func:`registered_tests` imports every module of :mod:`analysis.stats` (a module
that fails to import is an error) and returns them. Here each test is run on many elections
drawn from a scenario (:mod:`analysis.synthetic.simulate`):

* type-I error: the rejection rate at level ``alpha`` on clean elections, with an exact
  Clopper–Pearson interval (``scipy.stats.binomtest(...).proportion_ci(method="exact")``).
  A test whose rate lies outside ``[3.5 %, 6.5 %]`` (for α = 5 %) is flagged.
* power: the rejection rate over a grid of magnitudes of one fraud type, and the smallest
  magnitude of the grid at which the rate reaches 80 %.

Reproducibility: the seed of election ``i`` is child ``i`` of ``SeedSequence(seed)``; inside
it, the simulation and each test get their own streams (a test's stream is keyed by the CRC32
of its name), so adding a test or changing ``n_jobs`` changes no other number.
"""

from analysis.synthetic.calibration.rates import (
    CALIBRATED_BAND,
    RejectionRateResult,
    magnitude_for_power,
    rejection_rate,
    summary_table,
    type1_table,
    with_interval,
)
from analysis.synthetic.calibration.runs import election_seeds, power_curve, registered_tests, simulate_pvalues

__all__ = [
    "CALIBRATED_BAND",
    "RejectionRateResult",
    "election_seeds",
    "magnitude_for_power",
    "power_curve",
    "registered_tests",
    "rejection_rate",
    "simulate_pvalues",
    "summary_table",
    "type1_table",
    "with_interval",
]
