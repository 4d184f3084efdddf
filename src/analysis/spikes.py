"""Integer-percentage spikes (Kobak, Shpilkin & Pshenichnikov 2016) and the resampled
kernel-density spike estimate (Rozenas 2017).

References
----------
Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73. Section 3 defines
the sample (ballots received > 0, at least 100 registered voters, turnout and leader share at
most 99 %), the "integer" values (a percentage within 0.05 points of an integer) and the
binomial Monte Carlo null (each station's count redrawn from a binomial with the station's
own size and observed rate).

Rozenas, A. (2017). Detecting election fraud from irregularities in vote-share
distributions. *Political Analysis* 25(1), 41-56. Section 4: the resampled kernel-density
(RKD) method.

Numerics
--------
Whether a count ``k`` out of ``n`` is an integer percentage is decided in exact integer
arithmetic: ``100 k / n`` lies within ``tol`` of the integer ``j`` iff
``|100 k - j n| <= tol n``; with ``tol = a / b`` as a fraction this is
``b * dist <= a * n`` where ``dist = min(100k mod n, n - 100k mod n)``. (A floating-point
``abs(p - round(p)) <= 0.05`` flips some exact boundary cases such as 1.05 %, so observed
and null would not use quite the same set.)

The probability that ``Binomial(n, p)`` lands on an integer percentage is the finite sum of
the pmf over those ``k``; :func:`integer_probability` evaluates it over the integers ``j``
within ``t = 15 + sqrt(225 + 90 var)`` of the mean, where Bernstein's inequality bounds the
neglected mass by ``2 exp(-45) < 1e-19``, with the pmf from a log-gamma table. Under the null the number of
integer stations is a sum of independent Bernoulli(q_i) indicators, i.e. Poisson-binomial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import optimize, special

KOBAK_SOURCE = (
    "Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73, section 3"
)
ROZENAS_SOURCE = "Rozenas (2017), Political Analysis 25(1), 41-56, section 4 (resampled kernel density)"

QUANTITIES = ("leader", "turnout", "either")
ROZENAS_REFERENCE_RU2011_PCT = 0.97  # Rozenas (2017): F for United Russia 2011, 95,045 stations


# --------------------------------------------------------------------------- integer sets


def _tolerance_fraction(tol: float) -> Fraction:
    if not 0 <= tol < 0.5:
        raise ValueError(f"tol={tol!r}: the integer tolerance must lie in [0, 0.5) percentage points")
    return Fraction(tol).limit_denominator(10**6)


def is_integer_percentage(k, n, tol: float = 0.05, scale: int = 100) -> np.ndarray:
    """True where ``scale k / n`` is within ``tol`` of an integer (exact integer arithmetic).

    ``scale=100``: whole percentages (Kobak et al.); ``scale=10000``: two-decimal percentages
    (then ``tol`` is in hundredths of a point). ``k`` and ``n`` are integer arrays
    (broadcast); ``n`` must be positive.
    """
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    if np.any(n <= 0):
        raise ValueError("is_integer_percentage: every denominator n must be positive")
    frac = _tolerance_fraction(tol)
    rem = np.mod(scale * k, n)
    dist = np.minimum(rem, n - rem)
    return frac.denominator * dist <= frac.numerator * n


def _lgamma_table(n_max: int) -> np.ndarray:
    return special.gammaln(np.arange(n_max + 2, dtype=float) + 1.0)  # lg[m] = log(m!)


def integer_probability(n, p, tol: float = 0.05, max_elements: int = 100_000, scale: int = 100) -> np.ndarray:
    """P(scale X / n is within ``tol`` of an integer) for X ~ Binomial(n, p), per station.

    Exact finite sum of binomial pmf terms (Kobak et al. 2016's null, computed analytically
    instead of by simulation). Stations are processed in chunks sorted by ``n`` so that the
    padded (station, integer, k) arrays stay below ``max_elements``.
    """
    n = np.asarray(n, dtype=np.int64)
    p = np.asarray(p, dtype=float)
    if n.shape != p.shape:
        raise ValueError("integer_probability: n and p must have the same shape")
    if np.any(n <= 0):
        raise ValueError("integer_probability: every n must be positive")
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("integer_probability: every p must lie in [0, 1]")
    out = np.empty(n.shape, dtype=float)
    if n.size == 0:
        return out
    frac = _tolerance_fraction(tol)
    a, b = frac.numerator, frac.denominator
    # degenerate rates land on 0 % or 100 %, both integers
    degenerate = (p == 0) | (p == 1)
    out[degenerate] = 1.0
    idx = np.flatnonzero(~degenerate)
    if idx.size == 0:
        return out
    lg = _lgamma_table(int(n.max()))
    order = idx[np.argsort(n[idx], kind="stable")]
    nn_all, pp_all = n[order], p[order]
    mu = nn_all * pp_all
    # Bernstein: P(|X - mu| >= t) <= 2 exp(-t^2 / (2 var + 2t/3)); t solves exponent = 45
    margin = 15.0 + np.sqrt(225.0 + 90.0 * mu * (1 - pp_all))
    klo = np.maximum(0, np.floor(mu - margin)).astype(np.int64)
    khi = np.minimum(nn_all, np.ceil(mu + margin)).astype(np.int64)
    jlo = (scale * klo) // nn_all
    jhi = -((-scale * khi) // nn_all)
    n_j = (jhi - jlo + 1).astype(np.int64)
    # k per integer j: at most floor(2 tol n / 100) + 1
    n_k = (2 * a * nn_all) // (scale * b) + 1
    start = 0
    total = order.size
    while start < total:
        # grow the chunk while the padded size stays within budget (rows sorted by n)
        rows = max(1, int(max_elements // int(n_j[start] * n_k[start])))
        stop = min(total, start + rows)
        jm = int(n_j[start:stop].max())
        km = int(n_k[start:stop].max())
        while stop - start > 1 and (stop - start) * jm * km > max_elements:
            stop = start + max(1, (stop - start) // 2)
            jm = int(n_j[start:stop].max())
            km = int(n_k[start:stop].max())
        nn = nn_all[start:stop, None, None]
        pp = pp_all[start:stop, None, None]
        j = jlo[start:stop, None, None] + np.arange(jm)[None, :, None]
        k_first = -((-nn * (b * j - a)) // (scale * b))
        k_last = (nn * (b * j + a)) // (scale * b)
        k = k_first + np.arange(km)[None, None, :]
        valid = (j <= jhi[start:stop, None, None]) & (k <= k_last) & (k >= 0) & (k <= nn)
        kc = np.where(valid, k, 0)
        # log pmf = [lg(n) + n log(1-p)] + k log(p/(1-p)) - lg(k) - lg(n-k)
        row_const = lg[nn] + nn * np.log1p(-pp)
        log_odds = np.log(pp) - np.log1p(-pp)
        logpmf = row_const + kc * log_odds - lg[kc] - lg[nn - kc]
        pmf = np.where(valid, np.exp(logpmf), 0.0)
        out[order[start:stop]] = pmf.sum(axis=(1, 2))
        start = stop
    return np.minimum(out, 1.0)


# --------------------------------------------------------------------------- Poisson-binomial


def _product_tree_pmf(q: np.ndarray) -> np.ndarray:
    """pmf of a sum of independent Bernoulli(q_i), by pairwise FFT convolution (O(N log^2 N))."""
    q = np.asarray(q, dtype=float)
    if q.size == 0:
        return np.ones(1)
    polys = np.stack([1.0 - q, q], axis=1)  # rows: coefficient arrays of (1 - q + q z)
    while polys.shape[0] > 1:
        rows, length = polys.shape
        if rows % 2:
            pad = np.zeros((1, length))
            pad[0, 0] = 1.0
            polys = np.vstack([polys, pad])
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
        polys = res
    pmf = polys[0, : q.size + 1]
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


# --------------------------------------------------------------------------- Kobak et al.


@dataclass(frozen=True)
class IntegerSample:
    """Stations entering the integer-percentage test, with their counts and sizes."""

    leader: np.ndarray  # leader votes
    counted: np.ndarray  # valid + invalid ballots (leader-share denominator)
    turnout_count: np.ndarray  # ballots issued (turnout numerator)
    registered: np.ndarray
    included: np.ndarray  # boolean mask over the input rows
    filter_applied: str

    @property
    def n_included(self) -> int:
        return int(self.leader.size)


def kobak_sample(
    leader_votes,
    valid,
    invalid,
    ballots_issued,
    registered,
    ballots_received,
    min_registered: int = 100,
    max_share: float = 0.99,
) -> IntegerSample:
    """Select stations as Kobak et al. (2016, section 3) do.

    Kept: ballots received > 0, registered >= ``min_registered``, turnout
    (ballots issued / registered) <= ``max_share`` and leader share
    (leader / (valid + invalid)) <= ``max_share``. Rows with a missing value in any of these
    columns cannot be judged and are excluded (and counted in ``filter_applied``).
    """
    arrays = [np.asarray(pd.array(x, dtype="Float64").to_numpy(dtype=float, na_value=np.nan))
              for x in (leader_votes, valid, invalid, ballots_issued, registered, ballots_received)]
    lv, val, inv, iss, reg, rec = arrays
    n_rows = lv.size
    if any(x.size != n_rows for x in arrays):
        raise ValueError("kobak_sample: all columns must have the same length")
    counted = val + inv
    missing = np.zeros(n_rows, bool)
    for x in arrays:
        missing |= np.isnan(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        turnout = iss / reg
        share = lv / counted
    keep = ~missing & (rec > 0) & (reg >= min_registered) & (counted > 0)
    keep &= (turnout <= max_share) & (share <= max_share)
    desc = (
        f"ballots_received > 0, registered >= {min_registered}, valid + invalid > 0, "
        f"turnout (ballots_issued / registered) <= {max_share}, leader share "
        f"(leader / (valid + invalid)) <= {max_share}; {int(keep.sum())} of {n_rows} rows kept"
        f" ({int(missing.sum())} with a missing value)"
    )
    as_int = lambda x: x[keep].astype(np.int64)  # noqa: E731
    return IntegerSample(as_int(lv), as_int(counted), as_int(iss), as_int(reg), keep, desc)


def sample_from_tables(stations: pd.DataFrame, leader_votes, **kwargs) -> IntegerSample:
    """:func:`kobak_sample` on the canonical station table and the aligned leader votes."""
    return kobak_sample(
        leader_votes,
        stations["valid"],
        stations["invalid"],
        stations["ballots_issued"],
        stations["registered"],
        stations["ballots_received"],
        **kwargs,
    )


@dataclass(frozen=True)
class IntegerCount:
    """Observed count of integer-percentage stations against its null distribution."""

    quantity: str
    observed: int
    null_mean: float
    null_sd: float
    excess: float
    null_q999: float
    pvalue: float

    @property
    def statistic(self) -> int:
        return self.observed


@dataclass(frozen=True)
class IntegerSpikeResult:
    """Kobak et al. integer-percentage test: observed counts, Monte Carlo and exact nulls."""

    n_included: int
    filter_applied: str
    tol: float
    n_sims: int
    method: str
    monte_carlo: dict  # quantity -> IntegerCount
    exact: dict  # quantity -> PoissonBinomialNull
    null_draws: dict = field(repr=False)  # quantity -> int array (n_sims,)
    source: str = KOBAK_SOURCE

    @property
    def statistic(self) -> int:
        return self.monte_carlo["either"].observed

    @property
    def pvalue(self) -> float:
        return self.monte_carlo["either"].pvalue


def observed_integer_flags(sample: IntegerSample, tol: float = 0.05) -> dict:
    flag_l = is_integer_percentage(sample.leader, sample.counted, tol)
    flag_t = is_integer_percentage(sample.turnout_count, sample.registered, tol)
    return {"leader": flag_l, "turnout": flag_t, "either": flag_l | flag_t}


def integer_probabilities(sample: IntegerSample, tol: float = 0.05) -> dict:
    """Per-station null probabilities q of an integer leader share, turnout, either."""
    q_l = integer_probability(sample.counted, sample.leader / sample.counted, tol)
    q_t = integer_probability(sample.registered, sample.turnout_count / sample.registered, tol)
    return {"leader": q_l, "turnout": q_t, "either": 1.0 - (1.0 - q_l) * (1.0 - q_t)}


def simulate_integer_counts_indicator(q_leader, q_turnout, n_sims: int, rng, chunk: int = 64) -> dict:
    """Null counts drawn through the integer indicators themselves.

    Under the null each station's integer-ness is Bernoulli(q) with q the exact binomial
    probability (:func:`integer_probability`), independently for leader share and turnout,
    so drawing the indicators is the same distribution as drawing the binomial counts and
    testing them, at a fraction of the cost. One 64-bit random word per station and draw:
    one 32-bit half decides the leader share, the other the turnout (threshold
    floor(q 2^32); error at most 2^-32 per probability). Memory: about 11 bytes per station
    and draw in a chunk (``chunk`` draws at a time).
    """
    q_leader = np.asarray(q_leader, dtype=float)
    q_turnout = np.asarray(q_turnout, dtype=float)
    n_st = q_leader.size
    thresholds = np.empty(2 * n_st, dtype=np.uint32)  # interleaved: leader, turnout per station
    thresholds[0::2] = np.minimum(np.floor(q_leader * 2.0**32), 2.0**32 - 1)
    thresholds[1::2] = np.minimum(np.floor(q_turnout * 2.0**32), 2.0**32 - 1)
    # a station's (leader, turnout) pair of booleans read as one uint16
    leader_only = np.array([1, 0], dtype=np.uint8).view(np.uint16)[0]
    both = np.array([1, 1], dtype=np.uint8).view(np.uint16)[0]
    counts = {name: np.empty(n_sims, dtype=np.int64) for name in QUANTITIES}
    bitgen = rng.bit_generator
    done = 0
    while done < n_sims:
        m = min(chunk, n_sims - done)
        words = bitgen.random_raw(m * n_st).view(np.uint32).reshape(m, 2 * n_st)
        pairs = (words < thresholds).view(np.uint16)  # (m, n_st)
        del words
        for row in range(m):
            either = np.count_nonzero(pairs[row])
            n_leader_only = np.count_nonzero(pairs[row] == leader_only)
            n_both = np.count_nonzero(pairs[row] == both)
            counts["either"][done + row] = either
            counts["leader"][done + row] = n_leader_only + n_both
            counts["turnout"][done + row] = either - n_leader_only
        done += m
    return counts


def simulate_integer_counts_binomial(sample: IntegerSample, n_sims: int, rng, tol: float = 0.05,
                                     chunk: int = 16) -> dict:
    """Null counts by literally redrawing every station (Kobak et al.'s Monte Carlo).

    Leader votes ~ Binomial(valid + invalid, observed share) and ballots issued ~
    Binomial(registered, observed turnout), independently; then count integer stations.
    Chunked over draws; slower than the indicator method but independent of
    :func:`integer_probability`, so tests use it to check that function.
    """
    p_l = sample.leader / sample.counted
    p_t = sample.turnout_count / sample.registered
    counts = {name: np.empty(n_sims, dtype=np.int64) for name in QUANTITIES}
    done = 0
    while done < n_sims:
        m = min(chunk, n_sims - done)
        x_l = rng.binomial(sample.counted, p_l, size=(m, p_l.size))
        x_t = rng.binomial(sample.registered, p_t, size=(m, p_t.size))
        int_l = is_integer_percentage(x_l, sample.counted, tol)
        int_t = is_integer_percentage(x_t, sample.registered, tol)
        counts["leader"][done : done + m] = int_l.sum(axis=1)
        counts["turnout"][done : done + m] = int_t.sum(axis=1)
        counts["either"][done : done + m] = (int_l | int_t).sum(axis=1)
        done += m
    return counts


def _mc_summary(quantity: str, observed: int, draws: np.ndarray) -> IntegerCount:
    draws = np.asarray(draws)
    return IntegerCount(
        quantity=quantity,
        observed=int(observed),
        null_mean=float(draws.mean()),
        null_sd=float(draws.std(ddof=1)) if draws.size > 1 else float("nan"),
        excess=float(observed - draws.mean()),
        null_q999=float(np.percentile(draws, 99.9)),
        pvalue=float((1 + np.sum(draws >= observed)) / (draws.size + 1)),
    )


def integer_percentage_test(
    sample: IntegerSample,
    n_sims: int = 1000,
    seed=None,
    tol: float = 0.05,
    method: str = "indicator",
    exact: bool = True,
) -> IntegerSpikeResult:
    """Integer-percentage spike test of Kobak, Shpilkin & Pshenichnikov (2016, section 3).

    Statistic: the number of included stations whose leader share (100 leader /
    (valid + invalid)), turnout (100 ballots issued / registered), or either, lies within
    ``tol`` percentage points of an integer.

    Null hypothesis: each station's leader votes are Binomial(valid + invalid, observed
    leader share) and its ballots issued Binomial(registered, observed turnout), all
    independent; integer percentages then arise only from the numerics of small
    denominators. Monte Carlo p-value (1 + #{null >= observed}) / (n_sims + 1), one-sided
    (spikes are an excess). ``method="indicator"`` draws the integer indicators with their
    exact probabilities (same distribution, fast); ``method="binomial"`` redraws the counts.
    With ``exact=True`` the exact Poisson-binomial null (:func:`poisson_binomial_test`) is
    also returned; "either" uses q = 1 - (1 - q_leader)(1 - q_turnout), the two draws being
    independent.
    """
    rng = np.random.default_rng(seed)
    flags = observed_integer_flags(sample, tol)
    observed = {name: int(flags[name].sum()) for name in QUANTITIES}
    q = integer_probabilities(sample, tol) if (exact or method == "indicator") else None
    if method == "indicator":
        draws = simulate_integer_counts_indicator(q["leader"], q["turnout"], n_sims, rng)
    elif method == "binomial":
        draws = simulate_integer_counts_binomial(sample, n_sims, rng, tol)
    else:
        raise ValueError(f"method={method!r}: expected 'indicator' or 'binomial'")
    mc = {name: _mc_summary(name, observed[name], draws[name]) for name in QUANTITIES}
    exact_res = {name: poisson_binomial_test(observed[name], q[name]) for name in QUANTITIES} if exact else {}
    return IntegerSpikeResult(
        n_included=sample.n_included,
        filter_applied=sample.filter_applied,
        tol=tol,
        n_sims=n_sims,
        method=method,
        monte_carlo=mc,
        exact=exact_res,
        null_draws=draws,
    )


def integer_count_test(counts, sizes, n_sims: int = 1000, seed=None, tol: float = 0.05, scale: int = 100):
    """Integer-percentage count of one quantity (e.g. regional leader shares), both nulls.

    Statistic: number of units whose ``scale`` count / size is within ``tol`` of an integer
    (``scale=100``: whole percentages; ``scale=10000``: two-decimal percentages).
    Null hypothesis: counts ~ Binomial(size, observed rate), independent (Kobak et
    al. 2016, section 3). Returns (IntegerCount from ``n_sims`` binomial redraws,
    PoissonBinomialNull exact, the null draws).
    """
    c = np.asarray(counts, dtype=np.int64)
    n = np.asarray(sizes, dtype=np.int64)
    if c.shape != n.shape or np.any(n <= 0) or np.any((c < 0) | (c > n)):
        raise ValueError("integer_count_test: need 0 <= counts <= sizes and sizes > 0, same length")
    rng = np.random.default_rng(seed)
    observed = int(is_integer_percentage(c, n, tol, scale).sum())
    draws = np.empty(n_sims, dtype=np.int64)
    done = 0
    chunk = max(1, 2_000_000 // max(1, c.size))
    while done < n_sims:
        m = min(chunk, n_sims - done)
        draws[done : done + m] = is_integer_percentage(rng.binomial(n, c / n, size=(m, c.size)), n, tol, scale).sum(axis=1)
        done += m
    q = integer_probability(n, c / n, tol, scale=scale)
    return _mc_summary("count", observed, draws), poisson_binomial_test(observed, q), draws


def percentage_histogram(values_pct, bin_width: float = 0.1, lo: float = 0.0, hi: float = 100.0):
    """Counts of percentages in bins of ``bin_width`` points centred on multiples of it.

    Returns (bin centres, counts). With width 0.1, the bin centred on an integer j holds
    exactly the values within 0.05 of j, so integer spikes show as isolated tall bins.
    """
    values = np.asarray(values_pct, dtype=float)
    values = values[np.isfinite(values)]
    n_bins = int(round((hi - lo) / bin_width)) + 1
    edges = lo - bin_width / 2 + bin_width * np.arange(n_bins + 1)
    counts, _ = np.histogram(values, bins=edges)
    return lo + bin_width * np.arange(n_bins), counts


# --------------------------------------------------------------------------- Rozenas


@dataclass(frozen=True)
class RozenasResult:
    """Resampled kernel-density spike estimate."""

    statistic: float  # share of stations in spikes, in percent
    spike_share_pct: float
    n_stations: int
    excess_stations: float
    bandwidth: float
    n_resamples: int
    resolution: int
    focal_shares: np.ndarray = field(repr=False)  # focal vote shares (k / resolution)
    observed_counts: np.ndarray = field(repr=False)  # stations near each focal share
    resampled_max: np.ndarray = field(repr=False)  # max over resamples at each focal share
    resampled_mean: np.ndarray = field(repr=False)
    net_excess_over_mean_pct: float = float("nan")  # sum(observed - resampled mean) / N, percent
    source: str = ROZENAS_SOURCE


def rozenas_spikes(
    votes,
    ballots,
    n_resamples: int = 200,
    bandwidth: float | None = None,
    resolution: int = 100,
    tol: float = 0.05,
    seed=None,
    chunk: int = 8,
) -> RozenasResult:
    """Share of stations in vote-share spikes beyond a resampled smooth null (after Rozenas 2017).

    Rozenas' resampled kernel density (RKD) method, section 4: the smooth null keeps each
    station's size but replaces its vote share by a draw from a Gaussian kernel around it
    (bandwidth ``bandwidth``; default Silverman's rule on the shares), reflected into
    [0, 1], and redraws its votes as Binomial(ballots, smoothed share). Numeric coarseness
    of small stations (1/2, 2/3 ...) survives resampling; fraud spikes do not. At each
    focal share k / ``resolution`` the observed number of stations within ``tol``
    percentage points is compared with the maximum over ``n_resamples`` resamples; the
    estimate is sum over focal shares of max(0, observed - resampled maximum) / N, in
    percent.

    Null hypothesis: vote shares come from a smooth density plus binomial noise; then the
    estimate is near 0 (it exceeds 0 only when a focal count beats every resample).

    Also returned: the net excess over the resampled *mean*, sum(observed - mean) / N, which
    does not shrink as ``n_resamples`` grows.

    Differences from the published method and package: the focal set is the grid
    k / ``resolution`` only (Rozenas also models other coarse fractions such as 2/3), and
    the exceedance is measured against the resampled maximum rather than through his
    estimator, so values differ from his F (0.97 % for United Russia 2011 on 95,045
    stations, ``ROZENAS_REFERENCE_RU2011_PCT``); the excess beyond the maximum is a lower
    bound, the net excess over the mean is the closer analogue.
    """
    v = np.asarray(votes, dtype=np.int64)
    n = np.asarray(ballots, dtype=np.int64)
    if v.shape != n.shape:
        raise ValueError("rozenas_spikes: votes and ballots must have the same shape")
    if np.any(n <= 0) or np.any(v < 0) or np.any(v > n):
        raise ValueError("rozenas_spikes: need 0 <= votes <= ballots and ballots > 0 at every station")
    rng = np.random.default_rng(seed)
    share = v / n
    if bandwidth is None:
        iqr = np.subtract(*np.percentile(share, [75, 25]))
        spread = min(share.std(ddof=1), iqr / 1.349)
        bandwidth = 0.9 * spread * share.size ** (-0.2)
    bandwidth = float(bandwidth)
    pct_scale = 100 // resolution if 100 % resolution == 0 else None

    def focal_counts(counts_2d, sizes):
        # which focal share k/resolution each value lies within tol points of (-1: none)
        if pct_scale is not None:
            # focal share k/resolution in percent = k * pct_scale; integer-percentage test
            near = is_integer_percentage(counts_2d, sizes, tol)
            pct = np.rint(100 * counts_2d / sizes).astype(np.int64)
            near &= (pct % pct_scale) == 0
            k = pct // pct_scale
        else:
            x = resolution * counts_2d / sizes
            k = np.rint(x).astype(np.int64)
            near = np.abs(x - k) * 100 / resolution <= tol
        rows = counts_2d.shape[0]
        flat = np.where(near, k + (resolution + 1) * np.arange(rows)[:, None], -1).ravel()
        flat = flat[flat >= 0]
        return np.bincount(flat, minlength=rows * (resolution + 1)).reshape(rows, resolution + 1)

    observed = focal_counts(v[None, :], n)[0]
    sim_max = np.zeros(resolution + 1, dtype=np.int64)
    sim_sum = np.zeros(resolution + 1, dtype=float)
    done = 0
    while done < n_resamples:
        m = min(chunk, n_resamples - done)
        smooth = share + bandwidth * rng.standard_normal((m, share.size))
        smooth = np.abs(smooth)  # reflect at 0
        smooth = 1.0 - np.abs(1.0 - smooth)  # reflect at 1
        smooth = np.clip(smooth, 0.0, 1.0)
        draws = rng.binomial(n, smooth)
        fc = focal_counts(draws, n)
        sim_max = np.maximum(sim_max, fc.max(axis=0))
        sim_sum += fc.sum(axis=0)
        done += m
    excess = np.maximum(observed - sim_max, 0)
    share_pct = 100.0 * excess.sum() / v.size
    sim_mean = sim_sum / n_resamples
    return RozenasResult(
        statistic=float(share_pct),
        spike_share_pct=float(share_pct),
        n_stations=int(v.size),
        excess_stations=float(excess.sum()),
        bandwidth=bandwidth,
        n_resamples=int(n_resamples),
        resolution=int(resolution),
        focal_shares=np.arange(resolution + 1) / resolution,
        observed_counts=observed,
        resampled_max=sim_max,
        resampled_mean=sim_mean,
        net_excess_over_mean_pct=float(100.0 * np.sum(observed - sim_mean) / v.size),
    )


# --------------------------------------------------------------------------- registry


def _cal_integer(quantity: str):
    def fn(stations: pd.DataFrame, votes: pd.DataFrame, leader: str, rng) -> float:
        from .digits import aligned_leader_votes  # noqa: PLC0415

        sample = sample_from_tables(stations, aligned_leader_votes(stations, votes, leader))
        if sample.n_included == 0:
            return float("nan")
        flags = observed_integer_flags(sample)
        q = integer_probabilities(sample)
        return poisson_binomial_sf(int(flags[quantity].sum()), q[quantity])

    fn.__doc__ = f"Exact Poisson-binomial p-value of the integer-percentage count ({quantity})."
    return fn


def calibration_tests() -> dict:
    """Spike tests for ``analysis.calibration``: {name: fn(stations, votes, leader, rng) -> p-value}.

    ``integer_either``, ``integer_leader``, ``integer_turnout``: Kobak et al.'s count of
    integer-percentage stations against its exact Poisson-binomial null (no simulation, so
    ``rng`` is unused). The Rozenas estimate is not a p-value and is not registered.
    """
    return {f"integer_{name}": _cal_integer(name) for name in QUANTITIES}
