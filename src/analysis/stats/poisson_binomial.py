"""The Poisson-binomial distribution: exact upper tail of a sum of independent Bernoulli(q_i).

One implementation serves every test that counts stations with a per-station null probability
(integer-percentage stations, 100 %-turnout stations, percentage-grid counts). The pmf is built
by pairwise FFT convolution in a product tree, with exponential tilting for relative accuracy
in the far upper tail. A second, independent implementation (Chen & Liu 1997 recursion) lives in
``tests/`` as a check.

References
----------
Hong, Y. (2013). On computing the distribution function for the Poisson binomial
distribution. Computational Statistics & Data Analysis 59, 41-51.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from analysis.core.results import FlatResult
from analysis.stats.montecarlo import ALTERNATIVES

# Bernstein: P(|X - mu| >= t) <= 2 exp(-t^2 / (2 var + 2t/3)); with t = E/3 + sqrt(E^2/9 + 2 E var)
# the bound is 2 exp(-E). E = 37 leaves at most 2e-16 of each station's mass outside the window
# (below double-precision rounding of q itself; summed over 100,000 stations, < 2e-11 on the mean).
_TAIL_EXPONENT = 37.0


def bernstein_margin(var, exponent: float = _TAIL_EXPONENT):
    """Half-width t of a window mean +/- t that holds all but 2 exp(-exponent) of a sum's mass.

    Bernstein's inequality for a sum of independent variables bounded by 1 with variance
    ``var``: P(|X - mu| >= t) <= 2 exp(-t^2 / (2 var + 2t/3)); solving for the bound
    2 exp(-exponent) gives t = exponent/3 + sqrt(exponent^2/9 + 2 exponent var).

    Parameters
    ----------
    var : float or array_like
        Variance of the sum (e.g. n p (1 - p) of a binomial).
    exponent : float, optional
        The bound is 2 exp(-exponent); default 37 (below double-precision rounding).

    Returns
    -------
    float or numpy.ndarray
        The half-width t, of the shape of ``var``.

    References
    ----------
    Bernstein's inequality: Boucheron, Lugosi & Massart (2013), *Concentration
    Inequalities*, Oxford University Press, section 2.8 (eq. 2.10).

    Examples
    --------
    >>> round(float(bernstein_margin(0.0)), 3)  # a sum with no variance: exponent * 2/3
    24.667
    >>> round(float(bernstein_margin(25.0, exponent=3.0)), 3)
    13.288
    """
    return exponent / 3.0 + np.sqrt(exponent**2 / 9.0 + 2.0 * exponent * var)


def _product_tree_pmf(q: np.ndarray) -> np.ndarray:
    """pmf of a sum of independent Bernoulli(q_i), by pairwise convolution in a product tree.

    Each node holds the pmf of a partial sum on a window ``offset .. offset + width - 1``.
    After each merge the window is cut to the node's Bernstein interval mean +/- t
    (:func:`bernstein_margin`): the mass dropped is at most 2 exp(-37) per node, so the whole
    tree loses at most 4 N exp(-37) (< 1e-10 for N = 100,000), in the far tails of partial
    sums. Without the cut the upper levels would convolve arrays of length N where only a
    few hundred entries are non-negligible. Returns the pmf on 0..N (zeros outside the window).
    """
    q = np.asarray(q, dtype=float)
    if q.size == 0:
        return np.ones(1)
    polys = np.stack([1.0 - q, q], axis=1)  # rows: coefficient arrays of (1 - q + q z)
    offsets = np.zeros(q.size, dtype=np.int64)
    means, variances = q.copy(), q * (1 - q)
    while polys.shape[0] > 1:
        rows, length = polys.shape
        if rows % 2:
            pad = np.zeros((1, length))
            pad[0, 0] = 1.0
            polys = np.vstack([polys, pad])
            offsets, means, variances = (np.append(x, 0) for x in (offsets, means, variances))
            rows += 1
        out_len = 2 * length - 1
        if length <= 16:
            left, right = polys[0::2], polys[1::2]
            res = np.zeros((rows // 2, out_len))
            for i in range(length):
                res[:, i : i + length] += left[:, i : i + 1] * right
        else:
            nfft = 1 << int(np.ceil(np.log2(out_len)))
            f = np.fft.rfft(polys, nfft, axis=1)
            res = np.fft.irfft(f[0::2] * f[1::2], nfft, axis=1)[:, :out_len]
        np.clip(res, 0.0, None, out=res)
        offsets = offsets[0::2] + offsets[1::2]
        means = means[0::2] + means[1::2]
        variances = variances[0::2] + variances[1::2]
        margin = bernstein_margin(variances)
        lo = np.maximum(offsets, np.floor(means - margin).astype(np.int64))
        hi = np.minimum(offsets + out_len - 1, np.ceil(means + margin).astype(np.int64))
        width = int((hi - lo).max()) + 1
        if width < out_len:
            cols = (lo - offsets)[:, None] + np.arange(width)[None, :]
            res = np.take_along_axis(np.pad(res, ((0, 0), (0, width))), cols, axis=1)
            offsets = lo
        polys = res
    pmf = np.zeros(q.size + 1)
    top = polys[0]
    stop = min(q.size + 1, int(offsets[0]) + top.size)
    pmf[offsets[0] : stop] = top[: stop - offsets[0]]
    return pmf / pmf.sum()


def poisson_binomial_sf(k_obs: int, q) -> float:
    """Exact P(S >= k_obs) for S a sum of independent Bernoulli(q_i).

    Computed by exponential tilting: the q_i are tilted by theta so that the tilted mean is
    ``k_obs``, the tilted pmf is obtained by FFT convolution (accurate near its centre) and
    untilted term by term, P(S = k) = P_theta(S = k) exp(log M(theta) - theta k), where
    M(theta) = prod(1 - q + q e^theta). This keeps relative accuracy in the far upper tail,
    where a plain FFT convolution would return rounding noise (about 1e-16).

    Parameters
    ----------
    k_obs : int
        Threshold of the upper tail.
    q : array_like of float
        Success probabilities q_i in [0, 1].

    Returns
    -------
    float
        P(S >= k_obs).

    References
    ----------
    Hong (2013), Computational Statistics & Data Analysis 59, 41-51 (the distribution
    function of the Poisson binomial); exponential tilting (the Esscher transform): Esscher
    (1932), Skandinavisk Aktuarietidskrift 15, 175-195.

    Examples
    --------
    >>> poisson_binomial_sf(2, [0.5, 0.5])  # both succeed
    0.25
    >>> round(poisson_binomial_sf(1, [0.1, 0.2, 0.3]), 3)  # 1 - 0.9 * 0.8 * 0.7
    0.496
    >>> f"{poisson_binomial_sf(60, [0.01] * 400):.2e}"  # = scipy.stats.binom.sf(59, 400, 0.01)
    '5.24e-50'
    """
    q = np.asarray(q, dtype=float)
    k_obs = int(k_obs)
    if k_obs <= 0:
        return 1.0
    q = q[q > 0]
    if k_obs > q.size:
        return 0.0
    n_sure = int(np.sum(q >= 1.0))
    if k_obs <= n_sure:
        return 1.0
    if k_obs == q.size:
        return float(np.exp(np.sum(np.log(q))))
    mean = q.sum()
    theta = 0.0
    if k_obs > mean:

        def tilted_mean(t):
            e = np.exp(t)
            return np.sum(q * e / (1 - q + q * e)) - k_obs

        hi = 1.0
        while tilted_mean(hi) < 0:
            hi *= 2.0
        theta = optimize.brentq(tilted_mean, 0.0, hi, xtol=1e-12)
    e = np.exp(theta)
    q_t = q * e / (1 - q + q * e)
    log_m = np.sum(np.log1p(q * (e - 1)))
    pmf_t = _product_tree_pmf(q_t)
    ks = np.arange(k_obs, pmf_t.size)
    terms = pmf_t[k_obs:] * np.exp(log_m - theta * ks)
    return float(min(1.0, terms.sum()))


@dataclass(frozen=True)
class PoissonBinomialResult(FlatResult):
    """Exact test of a count against a Poisson-binomial null (sum of independent Bernoulli(q_i)).

    Attributes
    ----------
    statistic : int
        The observed count.
    pvalue : float
        Exact p-value in the direction ``alternative``.
    mean, variance, sd : float
        Null mean sum(q), variance sum(q (1 - q)) and its square root.
    excess : float
        Observed count minus the null mean.
    alternative : str
        'greater', 'less' or 'two-sided'.
    method : str
        How the tail was computed.

    Examples
    --------
    >>> r = poisson_binomial_test(3, [0.5, 0.5, 0.5, 0.5])
    >>> r.observed, r.as_dict("exact_")["exact_mean"], r.as_dict()["alternative"]
    (3, 2.0, 'greater')
    """

    statistic: int
    pvalue: float
    mean: float
    variance: float
    sd: float
    excess: float
    alternative: str = "greater"
    method: str = "exact Poisson-binomial: exponentially tilted FFT convolution"

    @property
    def observed(self) -> int:
        """The observed count (same as ``statistic``)."""
        return self.statistic


def poisson_binomial_test(observed: int, q, *, alternative: str = "greater") -> PoissonBinomialResult:
    """Exact test that a count of indicators is a sum of independent Bernoulli(q_i).

    Null hypothesis: the ``observed`` count is S = sum of independent Bernoulli(q_i), i.e.
    Poisson-binomial. The p-value is P(S >= observed) for ``alternative="greater"`` (an
    excess, e.g. of integer-percentage stations: Kobak et al.'s direction), P(S <= observed)
    for ``"less"`` (computed as the upper tail of the count of failures, so it keeps relative
    accuracy too), and twice the smaller of the two, at most 1, for ``"two-sided"``.

    Parameters
    ----------
    observed : int
        The observed count.
    q : array_like of float
        Per-indicator null probabilities in [0, 1].
    alternative : {'greater', 'less', 'two-sided'}, optional
        Direction of the departure that counts as evidence; default 'greater'.

    Returns
    -------
    PoissonBinomialResult
        ``statistic`` (the count), ``pvalue``, null ``mean``, ``variance``, ``sd`` and
        ``excess`` = observed - mean.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3 (per-station integer probabilities); Hong (2013), Computational Statistics &
    Data Analysis 59, 41-51 (the Poisson-binomial distribution).

    Examples
    --------
    >>> r = poisson_binomial_test(3, [0.5, 0.5, 0.5, 0.5])
    >>> r.statistic, round(r.pvalue, 12), r.mean, r.excess  # P(S >= 3) = 5 / 16
    (3, 0.3125, 2.0, 1.0)
    >>> poisson_binomial_test(0, [0.5, 0.5, 0.5, 0.5], alternative="less").pvalue
    0.0625
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative={alternative!r}: expected one of {ALTERNATIVES}")
    q = np.asarray(q, dtype=float)
    mean = float(q.sum())
    var = float(np.sum(q * (1 - q)))
    upper = poisson_binomial_sf(int(observed), q) if alternative != "less" else float("nan")
    if alternative == "greater":
        pvalue = upper
    else:
        lower = poisson_binomial_sf(q.size - int(observed), 1.0 - q)  # P(S <= k) = P(failures >= n - k)
        pvalue = lower if alternative == "less" else float(min(1.0, 2 * min(upper, lower)))
    return PoissonBinomialResult(
        statistic=int(observed),
        pvalue=pvalue,
        mean=mean,
        variance=var,
        sd=float(np.sqrt(var)),
        excess=float(observed - mean),
        alternative=alternative,
    )
