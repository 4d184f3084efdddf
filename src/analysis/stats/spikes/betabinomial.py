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
from scipy import optimize, special, stats


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


_LOG_AB_BOUNDS = (-3.0, 10.0)  # log alpha, log beta: 0.05 .. 22,000 (a concentration cap, not a prior)


def fit_beta_binomial_mixture(
    k, n, n_components: int, *, max_iter: int = 200, rtol: float = 1e-5
) -> BetaBinomialMixture:
    """Maximum-likelihood mixture of ``n_components`` beta-binomials by EM (Rozenas 2017, section 4).

    Deterministic start: component l centred on the (l + 1/2) / L quantile of the shares k / n,
    with the method-of-moments concentration of the shares in that slice. M-step: weights in
    closed form, each component's (log alpha, log beta) by L-BFGS-B on its responsibility-
    weighted log-likelihood with the analytic (digamma) gradient. Stops when the log-likelihood
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
        lj = mix.log_joint(k, n)
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

            def negll(theta, rc=rc):
                a, b = np.exp(theta)
                ll = np.sum(rc * (special.betaln(k + a, n - k + b) - special.betaln(a, b)))
                ab = special.digamma(n + a + b) - special.digamma(a + b)
                ga = np.sum(rc * (special.digamma(k + a) - special.digamma(a) - ab)) * a
                gb = np.sum(rc * (special.digamma(n - k + b) - special.digamma(b) - ab)) * b
                return -ll, -np.array([ga, gb])

            res = optimize.minimize(
                negll, np.log([new_a[comp], new_b[comp]]), jac=True, method="L-BFGS-B", bounds=[(lo, hi), (lo, hi)]
            )
            new_a[comp], new_b[comp] = np.exp(res.x)
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
