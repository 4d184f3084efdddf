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

# Bernstein: P(|X - mu| >= t) <= 2 exp(-t^2 / (2 var + 2t/3)); with t = E/3 + sqrt(E^2/9 + 2 E var)
# the bound is 2 exp(-E). E = 37 leaves at most 2e-16 of each station's mass outside the window
# (below double-precision rounding of q itself; summed over 100,000 stations, < 2e-11 on the mean).
_TAIL_EXPONENT = 37.0


def _bernstein_margin(var, exponent: float = _TAIL_EXPONENT):
    return exponent / 3.0 + np.sqrt(exponent**2 / 9.0 + 2.0 * exponent * var)


def _product_tree_pmf(q: np.ndarray) -> np.ndarray:
    """pmf of a sum of independent Bernoulli(q_i), by pairwise convolution in a product tree.

    Each node holds the pmf of a partial sum on a window ``offset .. offset + width - 1``.
    After each merge the window is cut to the node's Bernstein interval mean +/- t
    (``_bernstein_margin``): the mass dropped is at most 2 exp(-37) per node, so the whole
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
        margin = _bernstein_margin(variances)
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
class PoissonBinomialNull:
    """Exact null of a count of integer stations (sum of independent Bernoulli(q_i))."""

    observed: int
    mean: float
    variance: float
    sd: float
    excess: float
    pvalue: float
    method: str = "exact Poisson-binomial: exponentially tilted FFT convolution"

    @property
    def statistic(self) -> int:
        return self.observed


def poisson_binomial_test(observed: int, q) -> PoissonBinomialNull:
    """One-sided exact test that a count of indicators is no larger than a Poisson-binomial.

    Source: the per-station integer probabilities of Kobak, Shpilkin & Pshenichnikov (2016,
    AoAS 10(1)) make the count Poisson-binomial (Hong 2013, Comput. Stat. Data Anal. 59).
    Null hypothesis: the ``observed`` count is a sum of independent Bernoulli(q_i); the
    p-value is P(S >= observed) (:func:`poisson_binomial_sf`). Mean sum(q), variance
    sum(q (1 - q)).
    """
    q = np.asarray(q, dtype=float)
    mean = float(q.sum())
    var = float(np.sum(q * (1 - q)))
    return PoissonBinomialNull(
        observed=int(observed),
        mean=mean,
        variance=var,
        sd=float(np.sqrt(var)),
        excess=float(observed - mean),
        pvalue=poisson_binomial_sf(int(observed), q),
    )
