"""Fit of the fraud model of Klimek et al. (2012) to an election's fingerprint.

Source: P. Klimek, Y. Yegorov, R. Hanel, S. Thurner (2012), "Statistical detection of
systematic election irregularities", PNAS 109(41):16469-16473, section "Fraud model" and SI.
Honest stations have turnout ``t ~ N(t̄, σ_t)`` and leader share ``v ~ N(v̄, σ_v)`` (truncated to
[0, 1]) plus binomial noise. With probability ``fi`` a station commits incremental fraud of
intensity ``x ~ |N(0, θ)|``, with probability ``fe`` extreme fraud with ``x ~ 1 - |N(0, θ)|``:
a fraction ``x`` of the non-voters is counted for the leader (ballot stuffing) and a fraction
``x**α`` of the other candidates' votes is moved to the leader, so, per registered voter,

    t' = t + x (1 - t),    v' = [t v + x (1 - t) + x**α t (1 - v)] / t'.

Estimation (as Klimek et al., by matching the model's 2D turnout × leader-share histogram — the
election fingerprint — to the observed one, not only the 1D vote-share histogram):

1. The honest parameters come from the left flank of each distribution (fraud only moves
   stations to the right): ``t̄`` is the mode of a kernel density estimate and ``σ_t`` the
   root-mean-square distance from the mode of the stations left of it (half-normal), less the
   binomial variance; the same for ``v``. They are held fixed, as in Klimek et al. (the primary
   fit). Each station keeps its own electorate in the simulation.
2. ``(fi, fe, α)`` minimise the squared Hellinger distance between the observed and the
   simulated fingerprints; the simulation uses common random numbers (one fixed set of draws
   per station, ``replicates`` copies), so the objective is smooth enough for a coarse profile
   over ``fi`` followed by Nelder–Mead.
3. Uncertainty: bootstrap over stations (``scipy.stats.bootstrap``); each resample
   re-estimates the honest peak and refits with the same random numbers and optimizer settings
   as the point fit (see :func:`fit_klimek`). The interval is the refits' percentile interval,
   one-sided ``[0, q]`` when fi or fe is on the boundary 0 and extended to the estimate where
   the refits lie on one side of it (:func:`bootstrap_interval`).

Variants (deviations from the paper; notebook 08 uses the first two, chosen by the synthetic
recovery tests — docs/fraud_estimators.md):

* ``regions`` (``unit`` of :func:`fit_tables`, :func:`honest_unit`): the honest peak of step 1 in
  every administrative unit, each simulated station taking its unit's — a national peak reads the
  differences between regions as fraud (Poland 2020: fi = 0.41 with one peak, 0 with a peak per
  county). Its bias: incremental fraud moves each unit's mode too, so fi is underestimated (as with
  one national peak: the observed mode, not the honest one, is held; docs/fraud_estimators.md).
* ``fit_theta``: θ fitted within :data:`THETA_BOUNDS`, and above :func:`intensity_floor`
  (``min_intensity``: fraud stuffs on average at least one honest sd of turnout, else it mimics
  the honest spread; issue 11) (Klimek et al. fix it); a wide intensity is
  what draws the comet to the (100 %, 100 %) corner. Below 0.1, fi and θ trade off (fraud becomes
  a shift of the honest peak), and α is bounded below by 1 (:data:`ALPHA_BOUNDS`) for the same
  reason: with α < 1 fraud moves the leader's share with almost no turnout change, which is what
  honest share heterogeneity looks like.
* ``joint=True`` fits the honest means and widths together with the fraud parameters
  (incremental fraud shifts the observed peak, but a free honest peak can also absorb incremental
  fraud — fi is weakly identified); ``fit_correlation`` adds an honest turnout–share correlation
  ``ρ`` (0 in Klimek et al.), which any urban/rural difference produces in clean elections too.

The null "no fraud" corresponds to ``fi = fe = 0``; the fit is a descriptive model, not a test.
"""

from analysis.stats.klimek.binning import BINNINGS, linear_binned
from analysis.stats.klimek.fit import (
    DEFAULT_GRID,
    THETA_BOUNDS,
    fit_klimek,
    fit_tables,
)
from analysis.stats.klimek.interval import bootstrap_interval
from analysis.stats.klimek.model import (
    ALPHA_BOUNDS,
    MIN_UNIT_STATIONS,
    HonestParameters,
    hellinger2,
    honest_parameters,
    honest_unit,
    intensity_floor,
    regional_honest,
)
from analysis.stats.klimek.result import KlimekFitResult

__all__ = [
    "ALPHA_BOUNDS",
    "BINNINGS",
    "DEFAULT_GRID",
    "MIN_UNIT_STATIONS",
    "THETA_BOUNDS",
    "HonestParameters",
    "KlimekFitResult",
    "bootstrap_interval",
    "fit_klimek",
    "fit_tables",
    "hellinger2",
    "honest_parameters",
    "honest_unit",
    "intensity_floor",
    "linear_binned",
    "regional_honest",
]
