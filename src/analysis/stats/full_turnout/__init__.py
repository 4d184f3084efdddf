"""Polling stations at 100 % turnout and their size-aware null.

A station of n registered voters reaches exactly 100 % turnout only if every voter turns
out. Under a binomial model with turnout rate r that happens with probability r**n, so
honest 100 % stations are small ones; a large number of large 100 % stations is the
"100 % turnout" anomaly described by Myagkov, Ordeshook & Shakin (2009, ch. 3) and by
Kobak, Shpilkin & Pshenichnikov (2016, section 5) for Russia, and by the OSCE/ODIHR for the
military units of Kazakhstan 2011.

Nulls (``null=`` of :func:`full_turnout_test`):

* ``binomial``: each station's ballot count X_i ~ Binomial(n_i, r_g), r_g the pooled
  turnout of its region g. Station turnouts are far more variable than binomial
  (overdispersed), so this null is extremely anti-conservative; it is reported as a
  reference only.
* ``betabinomial``: X_i ~ BetaBinomial(n_i, a_g, b_g), fitted per region by the method of
  moments (Kleinman 1973, "Proportions with extraneous variance: single and independent
  samples", JASA 68(341):46–54, eqs. 2.1–2.3, with the overdispersion ρ estimated from the
  squared residuals). P(X_i = n_i) = B(a + n_i, b) / B(a, b). The fit uses all stations of
  the region, 100 % ones included, which inflates ρ. Even so the Beta family ties the
  tail at 100 % to the mean and variance, and it underpredicts 100 % stations when honest
  turnouts pile up near 100 % (tests/test_full_turnout.py simulates this; the clean Polish
  control's single ordinary 100 % station gets p ≈ 1e-5).
* ``empirical`` (the default): the turnout rate of a station is drawn from the region's
  observed turnout distribution, the empirical-Bayes plug-in of Robbins (1956, "An
  empirical Bayes approach to statistics", Proc. Third Berkeley Symp. 1:157–163), so
  P(100 %) = E[T^n]; the distribution is binned below 97 % (bins at their upper edge) and
  taken as locally uniform in [97 %, 100 %), and the stations at 100 % are not used. This
  construction is the project's own; its calibration is checked by simulation in the
  tests and by ``analysis.synthetic.calibration``.

Voters added to a station's roll on election day (Polish certificate voters, Russian
absentee-certificate voters; ``added_on_day=``) all voted: the null is stated for the roll
fixed in advance (registered − added), and stations whose roll is more than
``max_added_share`` (default 10 %) added on the day are left out and counted, like abroad
stations (see :func:`full_turnout_test`).

The count of stations at 100 % is then Poisson-binomial (independent, non-identical
Bernoulli(p_i)); :func:`analysis.stats.poisson_binomial.poisson_binomial_sf` gives its tail exactly.

Modules: :mod:`~analysis.stats.full_turnout.nulls` (per-station null probabilities),
:mod:`~analysis.stats.full_turnout.excess` (the test; calibration test
``turnout_100_excess``), :mod:`~analysis.stats.full_turnout.tables` (descriptive tables) and
:mod:`~analysis.stats.full_turnout.rates` (exact rates and Fisher comparisons).
"""

from analysis.stats.full_turnout.excess import (
    MAX_ADDED_SHARE,
    NULL_STATION_TYPES,
    NULLS,
    FullTurnoutResult,
    full_turnout_test,
)
from analysis.stats.full_turnout.nulls import (
    RHO_FLOOR,
    BetaBinomialFit,
    EmpiricalTurnoutNull,
    fit_beta_binomial,
    fit_empirical_null,
    prob_at_least,
    prob_full_empirical,
)
from analysis.stats.full_turnout.rates import RateComparisonResult, RateResult, compare_rates, rate_with_ci
from analysis.stats.full_turnout.tables import (
    count_extreme,
    full_turnout_table,
    max_candidate_share,
    special_station_rates,
)

__all__ = [
    "MAX_ADDED_SHARE",
    "NULLS",
    "NULL_STATION_TYPES",
    "RHO_FLOOR",
    "BetaBinomialFit",
    "EmpiricalTurnoutNull",
    "FullTurnoutResult",
    "RateComparisonResult",
    "RateResult",
    "compare_rates",
    "count_extreme",
    "fit_beta_binomial",
    "fit_empirical_null",
    "full_turnout_table",
    "full_turnout_test",
    "max_candidate_share",
    "prob_at_least",
    "prob_full_empirical",
    "rate_with_ci",
    "special_station_rates",
]
