"""Mixtures of beta-binomial distributions, fitted by EM: the smooth null of Rozenas's RKD method.

References
----------
Rozenas, A. (2017). Detecting election fraud from irregularities in vote-share
distributions. *Political Analysis* 25(1), 41-56, section 4 (turnout and votes modelled as
beta-binomial mixtures; his R package ``spikes``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import special, stats


@dataclass(frozen=True)
class BetaBinomialMixture:
    """Mixture of beta-binomials for counts k out of n: P(k) = sum_l w_l BetaBin(k; n, alpha_l, beta_l).

    A model (fitted by :func:`fit_beta_binomial_mixture`), not a test result.

    Attributes
    ----------
    weights, alpha, beta : numpy.ndarray
        Component weights and Beta(alpha_l, beta_l) parameters of the latent rate.
    loglik : float
        Log-likelihood of the data it was fitted to (-inf before fitting).
    n_iter : int
        EM iterations done.

    References
    ----------
    Rozenas (2017), Political Analysis 25(1), 41-56, section 4.

    Examples
    --------
    >>> import numpy as np
    >>> mix = BetaBinomialMixture(np.array([1.0]), np.array([2.0]), np.array([2.0]), -np.inf, 0)
    >>> mix.n_components, mix.density([0.5]).round(3).tolist()
    (1, [1.5])
    >>> mix.responsibilities([3], [10]).tolist()
    [[1.0]]
    """

    weights: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    loglik: float
    n_iter: int

    @property
    def n_components(self) -> int:
        """Number of components."""
        return int(self.weights.size)

    def density(self, x) -> np.ndarray:
        """Mixture of Beta(alpha_l, beta_l) densities: the latent rate's density at ``x``."""
        x = np.asarray(x, dtype=float)[:, None]
        return np.exp(stats.beta.logpdf(x, self.alpha, self.beta)) @ self.weights

    def log_joint(self, k, n) -> np.ndarray:
        """log(w_l) + log BetaBin(k; n, alpha_l, beta_l) without the log C(n, k) term (stations x components)."""
        k = np.asarray(k, dtype=float)[:, None]
        n = np.asarray(n, dtype=float)[:, None]
        return (
            np.log(self.weights)
            + special.betaln(k + self.alpha, n - k + self.beta)
            - special.betaln(self.alpha, self.beta)
        )

    def responsibilities(self, k, n) -> np.ndarray:
        """Posterior probability of each component for each count k out of n (stations x components)."""
        lj = self.log_joint(k, n)
        lj -= lj.max(axis=1, keepdims=True)
        r = np.exp(lj)
        return r / r.sum(axis=1, keepdims=True)

    def draw(self, rng: np.random.Generator, n) -> np.ndarray:
        """One count out of each n from the mixture itself (its prior, not a posterior): a component
        with probability w_l, a rate from Beta(alpha_l, beta_l), k ~ Binomial(n, rate)."""
        n = np.asarray(n, dtype=np.int64)
        comp = np.minimum(
            np.searchsorted(np.cumsum(self.weights), rng.random(n.shape), side="right"), self.weights.size - 1
        )
        return rng.binomial(n, rng.beta(self.alpha[comp], self.beta[comp]))


_LOG_AB_BOUNDS = (-3.0, 10.0)  # log alpha, log beta: 0.05 .. 22,000 (a concentration cap, not a prior)


def _trigamma(x) -> np.ndarray:
    """psi_1(x) for x > 0: recurrence psi_1(x) = psi_1(x + 1) + 1 / x^2 up to x >= 6, then the
    asymptotic series (Abramowitz & Stegun 6.4.12) to x^-9, relative error below 1e-8; many
    times faster than ``scipy.special.polygamma(1, x)`` (a Hurwitz zeta) on large arrays."""
    x = np.array(x, dtype=float)
    acc = np.zeros_like(x)
    small = x < 6
    while np.any(small):
        acc += np.where(small, 1.0 / (x * x), 0.0)
        x = np.where(small, x + 1.0, x)
        small = x < 6
    r2 = 1.0 / (x * x)
    series = 1.0 / x + r2 / 2 + r2 / x * (1 / 6 - r2 * (1 / 30 - r2 * (1 / 42 - r2 / 30)))
    return acc + series


def _component_q(k, n, rc, a, b) -> float:
    """The M-step objective of one component: sum_i rc_i log BetaBin(k_i; n_i, a, b) (no C(n, k))."""
    return float(np.sum(rc * (special.betaln(k + a, n - k + b) - special.betaln(a, b))))


def _newton_m_step(k, n, rc, a, b, max_halvings: int = 30, q0: float | None = None) -> tuple[float, float]:
    """One safeguarded Newton step on (log a, log b) that does not lower the component's M-step
    objective: a generalised EM step (Dempster, Laird & Rubin 1977, section 3), which keeps EM's
    monotone likelihood and its fixed points (the maximum-likelihood estimates) while costing one
    gradient, Hessian (digamma, trigamma) and usually one objective evaluation instead of a full
    numerical maximisation per iteration. Where the Hessian is not negative definite the step
    is a gradient step; it is halved until the objective does not fall (else the old values stay).
    ``q0``: the objective at (a, b) when the caller has it (the E-step computed its terms)."""
    lo, hi = _LOG_AB_BOUNDS
    s_ab, d_ab = special.digamma(n + a + b), _trigamma(n + a + b)
    ga = np.sum(rc * (special.digamma(k + a) - s_ab)) + rc.sum() * (special.digamma(a + b) - special.digamma(a))
    gb = np.sum(rc * (special.digamma(n - k + b) - s_ab)) + rc.sum() * (special.digamma(a + b) - special.digamma(b))
    t_ab = rc.sum() * _trigamma(a + b) - np.sum(rc * d_ab)
    haa = np.sum(rc * _trigamma(k + a)) - rc.sum() * _trigamma(a) + t_ab
    hbb = np.sum(rc * _trigamma(n - k + b)) - rc.sum() * _trigamma(b) + t_ab
    grad = np.array([a * ga, b * gb])  # d/d(log a), d/d(log b)
    hess = np.array([[a * a * haa + a * ga, a * b * t_ab], [a * b * t_ab, b * b * hbb + b * gb]])
    if hess[0, 0] < 0 and np.linalg.det(hess) > 0:
        step = -np.linalg.solve(hess, grad)
    else:
        step = grad / max(1.0, float(np.abs(grad).max()))
    theta = np.log([a, b])
    if q0 is None:
        q0 = _component_q(k, n, rc, a, b)
    for _ in range(max_halvings):
        new_theta = np.clip(theta + step, lo, hi)
        na, nb = np.exp(new_theta)
        if _component_q(k, n, rc, na, nb) >= q0:
            return float(na), float(nb)
        step = step / 2
    return float(a), float(b)


def fit_beta_binomial_mixture(
    k, n, n_components: int, *, max_iter: int = 200, rtol: float = 1e-5
) -> BetaBinomialMixture:
    """Maximum-likelihood mixture of ``n_components`` beta-binomials by EM (Rozenas 2017, section 4).

    Deterministic start: component l centred on the (l + 1/2) / L quantile of the shares k / n,
    with the method-of-moments concentration of the shares in that slice. M-step: weights in
    closed form, each component's (log alpha, log beta) by one safeguarded Newton step on its
    responsibility-weighted log-likelihood (analytic digamma gradient and trigamma Hessian): a
    generalised EM, monotone like EM and with the same fixed points. Stops when the log-likelihood
    gains less than ``rtol`` relative, or after ``max_iter`` iterations; ``loglik`` is that of
    the returned parameters (full beta-binomial mixture log-likelihood, binomial coefficients
    included).

    Parameters
    ----------
    k, n : array_like of int
        Counts and sizes, ``0 <= k <= n``, ``n > 0``.
    n_components : int
        Number of mixture components L.
    max_iter : int, optional
        Most EM iterations (default 200).
    rtol : float, optional
        Relative log-likelihood gain below which EM stops (default 1e-5).

    Returns
    -------
    BetaBinomialMixture

    References
    ----------
    Rozenas (2017), Political Analysis 25(1), 41-56, section 4.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> n = rng.integers(200, 1000, 300)
    >>> k = rng.binomial(n, rng.beta(30, 30, 300))
    >>> fit = fit_beta_binomial_mixture(k, n, 1)
    >>> round(float(fit.alpha[0] / (fit.alpha[0] + fit.beta[0])), 1)  # mean rate
    0.5
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if k.shape != n.shape or np.any(n <= 0) or np.any((k < 0) | (k > n)):
        raise ValueError("fit_beta_binomial_mixture: need 0 <= k <= n and n > 0, same length")
    share = k / n
    order = np.argsort(share, kind="stable")
    slices = np.array_split(order, n_components)
    alpha, beta = np.empty(n_components), np.empty(n_components)
    for comp, sl in enumerate(slices):
        m = float(np.clip(share[sl].mean(), 1e-3, 1 - 1e-3))
        v = float(max(share[sl].var(), 1e-5))
        conc = float(np.clip(m * (1 - m) / v - 1, 1.0, 1e4))
        alpha[comp], beta[comp] = m * conc, (1 - m) * conc
    mix = BetaBinomialMixture(np.full(n_components, 1.0 / n_components), alpha, beta, -np.inf, 0)
    log_binom = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    lo, hi = _LOG_AB_BOUNDS
    previous = -np.inf
    for it in range(1, max_iter + 2):
        # mix.log_joint(k, n), keeping its beta-function terms: they give each component's M-step
        # objective at the current values (the same floating-point operations as _component_q)
        bb = special.betaln(k[:, None] + mix.alpha, (n - k)[:, None] + mix.beta)
        lj = np.log(mix.weights) + bb - special.betaln(mix.alpha, mix.beta)
        top = lj.max(axis=1, keepdims=True)
        loglik = float(np.sum(np.log(np.exp(lj - top).sum(axis=1)) + top[:, 0] + log_binom))
        mix = replace(mix, loglik=loglik, n_iter=it - 1)
        if it > max_iter or (np.isfinite(previous) and loglik - previous <= rtol * abs(loglik)):
            break
        previous = loglik
        r = np.exp(lj - top)
        r /= r.sum(axis=1, keepdims=True)
        weights = r.mean(axis=0)
        new_a, new_b = mix.alpha.copy(), mix.beta.copy()
        for comp in range(n_components):
            rc = r[:, comp]
            q0 = float(np.sum(rc * (bb[:, comp] - special.betaln(new_a[comp], new_b[comp]))))
            new_a[comp], new_b[comp] = _newton_m_step(k, n, rc, new_a[comp], new_b[comp], q0=q0)
        mix = BetaBinomialMixture(weights, new_a, new_b, -np.inf, it)
    return mix


def select_beta_binomial_mixture(
    k, n, *, max_components: int = 5, min_correlation: float = 0.99, max_iter: int = 200, rtol: float = 1e-5
) -> BetaBinomialMixture:
    """Beta-binomial mixture with the number of components chosen as in Rozenas' ``spikes`` package.

    Components are added (1, 2, ...) until the fitted rate densities of L and L - 1 components
    correlate at ``min_correlation`` or more on a grid of [0.01, 0.99], or ``max_components``
    is reached; the last fit is returned.

    Parameters
    ----------
    k, n : array_like of int
        Counts and sizes, ``0 <= k <= n``, ``n > 0``.
    max_components : int, optional
        Most components (default 5).
    min_correlation : float, optional
        Correlation of successive fitted densities at which to stop (default 0.99).
    max_iter, rtol
        Passed to :func:`fit_beta_binomial_mixture`.

    Returns
    -------
    BetaBinomialMixture

    References
    ----------
    Rozenas (2017), Political Analysis 25(1), 41-56, section 4.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> n = rng.integers(200, 1000, 100)
    >>> k = rng.binomial(n, rng.beta(30, 30, 100))
    >>> select_beta_binomial_mixture(k, n, max_components=3, max_iter=10).n_components  # 1 and 2 agree
    2
    """
    grid = np.linspace(0.01, 0.99, 197)
    kw = {"max_iter": max_iter, "rtol": rtol}
    fit = fit_beta_binomial_mixture(k, n, 1, **kw)
    for n_comp in range(2, max_components + 1):
        nxt = fit_beta_binomial_mixture(k, n, n_comp, **kw)
        corr = np.corrcoef(fit.density(grid), nxt.density(grid))[0, 1]
        fit = nxt
        if corr >= min_correlation:
            break
    return fit
