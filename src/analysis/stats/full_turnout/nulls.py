"""Per-station null probabilities of full (or near-full) turnout: binomial, beta-binomial, empirical."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

RHO_FLOOR = 1e-9


@dataclass(frozen=True)
class BetaBinomialFit:
    """Method-of-moments beta-binomial fit: mean ``mu``, intra-station correlation ``rho``.

    Attributes
    ----------
    mu, rho : float
        Mean rate and overdispersion (``rho`` = 0 means binomial).
    a, b : float
        Beta parameters: a = mu (1 - rho) / rho, b = (1 - mu)(1 - rho) / rho.
    n_stations : int
        Stations fitted.
    """

    mu: float
    rho: float
    a: float
    b: float
    n_stations: int


def fit_beta_binomial(x, n) -> BetaBinomialFit:
    """Kleinman's moment estimator of (mu, rho) from counts x_i out of n_i.

    mu = Σ x / Σ n (pooled). Var(x_i) = n_i mu (1 - mu) [1 + (n_i - 1) rho], so rho is the
    ratio Σ[(x_i - n_i mu)² - n_i mu (1 - mu)] / Σ[n_i (n_i - 1) mu (1 - mu)], floored at
    1e-9 (binomial) and capped below 1.

    Parameters
    ----------
    x, n : array_like
        Counts and their totals, 0 <= x_i <= n_i.

    Returns
    -------
    BetaBinomialFit
        The fitted mean and overdispersion.

    References
    ----------
    Kleinman, J. C. (1973). Proportions with extraneous variance: single and independent
    samples. *JASA* 68(341), 46-54, eqs. 2.1-2.3.

    Examples
    --------
    >>> fit = fit_beta_binomial([2, 8, 5], [10, 10, 10])
    >>> fit.mu, round(fit.rho, 4)
    (0.5, 0.1556)
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    if (x < 0).any() or (x > n).any():
        raise ValueError("fit_beta_binomial: counts must satisfy 0 <= x <= n")
    mu = x.sum() / n.sum()
    q = mu * (1 - mu)
    if q <= 0:
        raise ValueError(f"fit_beta_binomial: pooled rate {mu} leaves no variation to fit")
    num = ((x - n * mu) ** 2 - n * q).sum()
    den = (n * (n - 1) * q).sum()
    rho = float(np.clip(num / den if den > 0 else 0.0, RHO_FLOOR, 1 - 1e-6))
    return BetaBinomialFit(
        mu=float(mu), rho=rho, a=mu * (1 - rho) / rho, b=(1 - mu) * (1 - rho) / rho, n_stations=int(x.size)
    )


def prob_at_least(n, k, *, rate=None, fit: BetaBinomialFit | None = None) -> np.ndarray:
    """P(X_i >= k_i) under Binomial(n_i, rate) or the beta-binomial ``fit``.

    Parameters
    ----------
    n, k : array_like
        Registered voters and the smallest ballot count that counts (k_i = n_i: 100 %).
    rate : float or array_like, optional
        The binomial rate (used when ``fit`` is None).
    fit : BetaBinomialFit, optional
        The beta-binomial null.

    Returns
    -------
    numpy.ndarray
        One probability per station. For k_i = n_i the closed forms rate**n_i and
        B(a + n_i, b) / B(a, b); otherwise the binomial / beta-binomial survival function.

    References
    ----------
    Kleinman (1973), *JASA* 68(341), 46-54 (the beta-binomial model of overdispersed rates).

    Examples
    --------
    >>> prob_at_least([2, 3], [2, 2], rate=0.5)
    array([0.25, 0.5 ])
    """
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    full = k >= n
    out = np.empty_like(n)
    if fit is None:
        r = np.broadcast_to(np.asarray(rate, dtype=float), n.shape)
        out[full] = r[full] ** n[full]
        out[~full] = stats.binom.sf(k[~full] - 1, n[~full], r[~full])
    else:
        out[full] = np.exp(special.betaln(fit.a + n[full], fit.b) - special.betaln(fit.a, fit.b))
        if (~full).any():
            out[~full] = _betabinom_upper_tail(n[~full], k[~full], fit.a, fit.b)
    return out


def _betabinom_upper_tail(n: np.ndarray, k: np.ndarray, a: float, b: float) -> np.ndarray:
    """Sum of beta-binomial pmf over j = k..n, one flat vector for all stations.

    scipy.stats.betabinom.sf is exact but slow (~0.1 ms per station); the tails needed
    here (turnout >= 99 %) hold only n - k + 1 terms each, so summing the pmf
    C(n, j) B(j + a, n - j + b) / B(a, b) is both exact and fast.
    """
    n_terms = (n - k + 1).astype(np.int64)
    owner = np.repeat(np.arange(n.size), n_terms)
    starts = np.cumsum(n_terms) - n_terms
    j = k[owner] + (np.arange(owner.size) - starts[owner])
    nn = n[owner]
    log_pmf = (
        special.gammaln(nn + 1)
        - special.gammaln(j + 1)
        - special.gammaln(nn - j + 1)
        + special.betaln(j + a, nn - j + b)
        - special.betaln(a, b)
    )
    return np.bincount(owner, weights=np.exp(log_pmf), minlength=n.size)


@dataclass(frozen=True)
class EmpiricalTurnoutNull:
    """Nonparametric null of one region for P(every voter of a station turns out).

    Attributes
    ----------
    bin_mass : numpy.ndarray
        Fraction of the region's stations whose observed turnout lies in each bin of width
        ``bin_width`` below 1 - ``window``.
    bin_width, window : float
        Bin width, and the band [1 - window, 1) taken as locally uniform.
    density_at_1 : float
        Stations per unit of turnout in [1 - window, 1) among stations with >=
        ``min_registered`` voters, divided by their number (the density just below 100 %).
    min_registered : int
        Smallest station that can land in the band (3 / window voters).
    n_stations : int
        Stations fitted.
    """

    bin_mass: np.ndarray
    bin_width: float
    window: float
    density_at_1: float
    min_registered: int
    n_stations: int


def fit_empirical_null(x, n, *, window: float = 0.03, bin_width: float = 0.005) -> EmpiricalTurnoutNull:
    """Fit the empirical turnout null of one region from ballot counts x_i out of n_i.

    Parameters
    ----------
    x, n : array_like
        Ballots (issued or in the boxes) and registered voters per station.
    window : float
        Width of the band below 100 % taken as locally uniform.
    bin_width : float
        Width of the turnout bins below 1 - ``window``.

    Returns
    -------
    EmpiricalTurnoutNull
        The binned turnout distribution and the density just below 100 %; the stations at
        100 % themselves are not used.

    References
    ----------
    Robbins, H. (1956). An empirical Bayes approach to statistics. *Proc. Third Berkeley
    Symp.* 1, 157-163 (the empirical-Bayes plug-in; the construction is this project's own).

    Examples
    --------
    >>> fit = fit_empirical_null([100, 180, 196, 200], [200, 200, 200, 200], bin_width=0.01)
    >>> fit.min_registered, round(fit.density_at_1, 4)
    (100, 8.3333)
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    if not 0 < window < 1 or not 0 < bin_width <= 1 - window:
        raise ValueError(f"window {window} and bin_width {bin_width} must satisfy 0 < bin_width <= 1 - window < 1")
    t = x / n
    min_reg = int(
        np.ceil(3 / window)
    )  # smaller stations cannot land in the window: their turnout jumps from (n-1)/n to 1
    big = n >= min_reg
    in_window = big & (t >= 1 - window) & (t < 1)
    density = float(in_window.sum() / big.sum() / window) if big.any() else 0.0
    n_bins = int(np.ceil((1 - window) / bin_width))
    below = t < 1 - window
    idx = np.minimum((t[below] / bin_width).astype(np.int64), n_bins - 1)
    mass = np.bincount(idx, minlength=n_bins) / t.size
    return EmpiricalTurnoutNull(mass, float(bin_width), float(window), density, min_reg, int(t.size))


def prob_full_empirical(n, fit: EmpiricalTurnoutNull) -> np.ndarray:
    """P(X_i = n_i) = E[T^n_i] under the empirical null.

    The turnout rates T of the region's stations are drawn from their observed distribution,
    so E[T^n] = ∫ t^n dF(t). Below 1 - window, F is the binned empirical distribution with
    each bin at its upper edge (rounding up: conservative); on [1 - window, 1) the density is
    taken as constant, f(1), giving f(1) (1 - (1 - window)^(n + 1)) / (n + 1). The stations
    at 100 % do not enter, so the null is not inflated by the anomaly it tests.

    Parameters
    ----------
    n : array_like
        Registered voters per station.
    fit : EmpiricalTurnoutNull
        The region's null (:func:`fit_empirical_null`).

    Returns
    -------
    numpy.ndarray
        One probability per station.

    References
    ----------
    Robbins (1956), *Proc. Third Berkeley Symp.* 1, 157-163.

    Examples
    --------
    >>> fit = fit_empirical_null([100, 180, 196, 200], [200, 200, 200, 200], bin_width=0.01)
    >>> round(float(prob_full_empirical([1], fit)[0]), 6)
    0.60125
    """
    n = np.asarray(n, dtype=float)
    upper = (np.arange(fit.bin_mass.size) + 1) * fit.bin_width
    uniq, inv = np.unique(n, return_inverse=True)
    below = np.exp(np.outer(uniq, np.log(upper))) @ fit.bin_mass
    near = fit.density_at_1 * (1 - (1 - fit.window) ** (uniq + 1)) / (uniq + 1)
    return np.clip(below + near, 0.0, 1.0)[inv]
