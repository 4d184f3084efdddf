"""Profile-likelihood upper bounds of fi and fe where the mixture fit reports no fraud.

When the likelihood-ratio test does not reject ``fi = fe = 0`` the fit reports the no-fraud model,
an estimate on the boundary of the parameter space. The Wald interval of the unrestricted fit is
then no guide: with fi and fe near 0, α and θ are barely identified, the observed information is
near-singular, and fi's upper limit was often the whole range 1 (12 of 16 clean synthetic elections
of notebook 11 at 1,000 stations, 0.34–0.94 on the others). The upper limit here inverts the likelihood ratio instead:

    fi_high = sup { f : 2 (ℓ_max − ℓ_p(f)) <= χ²₁(2c − 1) },

ℓ_p(f) the log-likelihood maximised over everything but fi = f, c the confidence level. At the
boundary the statistic's null distribution is ½χ²₀ + ½χ²₁ (Self & Liang 1987, case 5; Chernoff
1954), so a one-sided level-c bound takes the χ²₁ quantile at 2c − 1 (2.71 for c = 0.95). The
interval reported is ``[0, fi_high]``: it holds the reported 0 even where 0 itself lies outside
the set (the selection test has 4 degrees of freedom, this one 1, so 2.71 < LR < 9.49 keeps the
no-fraud model but puts fi = 0 outside; the hull is then conservative). The search walks up
from 0 in doubling steps, each profile fit warm-started from the last, until the deficit leaves
the set after having been in it, then solves for the root (Brent). With ``min_intensity = 0``
incremental fraud of vanishing intensity is the honest model itself, ℓ_p is flat in fi and the
bound is the whole range: fi is then not identified, which the bound says (where the walk never enters the set, NaN: the fit keeps its Wald bound). Where no station lies
near 100 % turnout and 100 % leader share, the extreme component's density vanishes at every
station and ℓ_p(f) = ℓ_max + n log(1 − f), so fe_high = 1 − exp(−q / 2n) (a check in the tests).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from analysis.stats.mixture.likelihood import _SHAPE, Likelihood
from analysis.stats.mixture.optimize import IntensityFloor, _minimise


def _loglik(lik: Likelihood, vec: np.ndarray) -> float:
    return float(np.log(lik.mix(lik.components(vec[_SHAPE]), vec[0], vec[1])).sum())


def profile_upper_bound(
    lik: Likelihood,
    vec: np.ndarray,
    loglik_max: float,
    index: int,
    box,
    *,
    critical: float,
    floor: IntensityFloor | None = None,
    maxiter: int = 200,
    first_step: float = 0.002,
    tolerance: float = 0.01,
) -> float:
    """One-sided profile-likelihood upper bound of fi (``index`` 0) or fe (1).

    Parameters
    ----------
    lik : Likelihood
        The fitted stations' likelihood.
    vec : numpy.ndarray
        The estimate on the boundary (the natural parameter vector: the no-fraud model, fi = fe =
        0, with the fit's α and θ), where the search starts.
    loglik_max : float
        The maximised log-likelihood ℓ_max (the larger of the unrestricted and the no-fraud fit's).
    index : {0, 1}
        0 for fi, 1 for fe.
    box : sequence of (low, high)
        The fit's parameter box; the profiled parameter is pinned within it.
    critical : float
        q: the largest log-likelihood-ratio deficit 2 (ℓ_max − ℓ_p) inside the set (χ²₁(2c − 1)
        for a one-sided level-c bound).
    floor : IntensityFloor, optional
        The fit's minimum fraud intensity (None: none).
    maxiter : int
        L-BFGS-B iterations of each profile fit.
    first_step, tolerance : float
        First step above the estimate, and the root search's relative resolution.

    Returns
    -------
    float
        The largest value whose likelihood-ratio deficit is within ``critical`` (at most the
        box's top); NaN where no value from the estimate up is inside (ℓ_max from a fit the
        profile fits do not reach, e.g. the "no fraud" ridge of ``min_intensity = 0``).

    References
    ----------
    Self, S. G. & Liang, K.-Y. (1987). Asymptotic properties of maximum likelihood estimators
    and likelihood ratio tests under nonstandard conditions. *JASA* 82(398), 605-610; Chernoff,
    H. (1954). On the distribution of the likelihood ratio. *Ann. Math. Statist.* 25(3), 573-578;
    Feldman, G. J. & Cousins, R. D. (1998). Unified approach to the classical statistical
    analysis of small signals. *Phys. Rev. D* 57(7), 3873-3889.

    Examples
    --------
    >>> from scipy import stats
    >>> from analysis.stats.mixture import fit_fraud_mixture
    >>> from analysis.stats.mixture.model import MixtureParameters, simulate
    >>> sim = simulate(MixtureParameters(0.0, 0.0, 2.0, 0.6, 0.45, 0.05, 0.06, 0.1), 800, seed=1)
    >>> res = fit_fraud_mixture(sim.turnout, sim.leader_share, min_intensity=1.0)  # no fraud selected
    >>> q = stats.chi2.ppf(0.90, df=1)  # one-sided 95 %
    >>> bool(np.isclose(res.fe_high, 1 - np.exp(-q / (2 * 800)), rtol=0.01)), 0 < res.fi_high < 0.1
    (True, True)
    """
    floor = floor or IntensityFloor()
    other = 1 - index
    ceiling = float(box[index][1])
    state = {"start": np.asarray(vec, dtype=float).copy()}

    known: dict[float, float] = {}

    def deficit(value: float) -> float:
        # A value seen before keeps its first (bracketing) answer: a profile fit from another warm
        # start can stop elsewhere, and Brent's method must see the signs the walk saw.
        if value in known:
            return known[value]
        pinned = list(box)
        pinned[index] = (value, value)
        start = state["start"].copy()
        start[index] = value
        start[other] = min(start[other], 1.0 - value)
        res = _minimise(lik, start, maxiter, pinned, floor)
        x = np.asarray(res.x, dtype=float)
        state["start"] = x
        known[value] = 2.0 * (loglik_max - _loglik(lik, x)) - critical
        return known[value]

    estimate = float(vec[index])
    low, step = estimate, first_step
    previous = deficit(low)
    inside = previous <= 0
    while True:
        high = min(low + step, ceiling)
        current = deficit(high)
        if current <= 0:
            inside = True
        elif inside:  # left the set between low (inside) and high
            return float(optimize.brentq(deficit, low, high, xtol=1e-6, rtol=tolerance))
        elif current >= previous:  # moving away without entering: the set holds no value above
            return np.nan
        if high >= ceiling:
            return float(ceiling) if inside else np.nan
        low, step, previous = high, 2 * step, current
