"""Finite-mixture fraud model: Klimek et al. (2012) as a likelihood (Mebane 2016), fitted by maximum likelihood.

Model (:mod:`.model`): honest stations have turnout ``t0 ~ N(τ, σ_τ)`` and leader share
``v0 ~ N(ν, σ_ν)``, correlated (ρ), truncated to [0, 1]², their means moved by the median of
the station's unit (district) and their variances widened by its count noise; with probability
``fi`` a station commits incremental fraud of intensity ``x ~ |N(0, θ)|``, with probability
``fe`` extreme fraud with ``x ~ 1 − |N(0, 0.075)|`` (Mebane's fixed width): a fraction ``x`` of
the non-voters is counted for the leader and a fraction ``x**α`` of the opposition's votes is moved to the leader (Klimek et al.'s SI).

Fit (:mod:`.fit`): direct maximisation of the likelihood (L-BFGS-B; the log-likelihood and its
gradient, analytic in all but α and θ, in :mod:`.likelihood`), the integral over the fraud
intensity by fixed Gauss–Legendre quadrature over the honest turnout; Wald intervals from the
observed information (finite-difference Hessian). Posterior (:mod:`.posterior`): per-station
probabilities of incremental and extreme fraud and expected manufactured and stolen votes, the
election's sums with delta-method intervals. Options of the fit: a fitted count overdispersion
``c`` (count variance ``c`` × binomial; one, or one per station group) and a minimum fraud intensity (:mod:`.optimize`). Diagnostics (:mod:`.diagnostics`): the honest
model's misfit and where the incremental component's stations lie in it. docs/fraud_mixture.md describes the method.
"""

from analysis.stats.mixture.diagnostics import HonestMisfitResult, honest_misfit
from analysis.stats.mixture.fit import BOUNDS, FraudMixtureResult, fit_fraud_mixture
from analysis.stats.mixture.model import MixtureParameters, SimulatedStations, clip_rates, simulate
from analysis.stats.mixture.posterior import (
    FraudVotesResult,
    StationPosterior,
    expected_fraud_votes,
    fitted_fingerprint,
    station_posterior,
)

__all__ = [
    "BOUNDS",
    "FraudMixtureResult",
    "FraudVotesResult",
    "HonestMisfitResult",
    "MixtureParameters",
    "SimulatedStations",
    "StationPosterior",
    "clip_rates",
    "expected_fraud_votes",
    "fit_fraud_mixture",
    "fitted_fingerprint",
    "honest_misfit",
    "simulate",
    "station_posterior",
]
