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
the pmf over those ``k``; :func:`integer_probability` sums it over the ``k`` within
``t = 37/3 + sqrt(37^2/9 + 74 var)`` of the mean, where Bernstein's inequality bounds the
neglected mass by ``2 exp(-37) < 2e-16`` per station (double-precision rounding of q itself),
enumerating only the integer-landing ``k`` as a ragged array, once per distinct (n, p), with
the pmf from a log-gamma table. Under the null the number of integer stations is a sum of
independent Bernoulli(q_i) indicators, i.e. Poisson-binomial; its upper tail is computed by
exponential tilting and a product-tree convolution whose nodes are cut to their own Bernstein
windows (:func:`_product_tree_pmf`; at most 4 N exp(-37) of mass dropped in all). "Exact"
below means exact up to these stated truncations, which are far below the Monte Carlo error
of any simulation and below the rounding of the reported numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from analysis.stats import measures
from analysis.stats.poisson_binomial import _bernstein_margin, poisson_binomial_sf, poisson_binomial_test

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


def _ragged_arange(starts, counts):
    """Concatenation of arange(s, s + c) for each (s, c), and the row each element came from."""
    counts = np.asarray(counts, dtype=np.int64)
    rows = np.repeat(np.arange(counts.size), counts)
    first = np.cumsum(counts) - counts
    return np.repeat(np.asarray(starts, dtype=np.int64) - first, counts) + np.arange(rows.size), rows


def integer_probability(n, p, tol: float = 0.05, max_elements: int = 32_768, scale: int = 100) -> np.ndarray:
    """P(scale X / n is within ``tol`` of an integer) for X ~ Binomial(n, p), per station.

    Exact finite sum of binomial pmf terms (Kobak et al. 2016's null, computed analytically
    instead of by simulation): for each station only the counts ``k`` that land on an integer
    (for each integer ``j``, ``ceil(n (j - tol) / scale) <= k <= floor(n (j + tol) / scale)``)
    and lie within the Bernstein window ``mu +/- t`` are enumerated, as a ragged array (no
    padding), and their pmf exp(log C(n, k) + k log p + (n - k) log(1 - p)) (log-factorials from
    a table) is summed per station. Truncation error at most ``2 exp(-37)`` per station.
    ``max_elements`` bounds the (station, k) terms held at once.
    """
    n = np.asarray(n, dtype=np.int64)
    p = np.asarray(p, dtype=float)
    if n.shape != p.shape:
        raise ValueError("integer_probability: n and p must have the same shape")
    if np.any(n <= 0):
        raise ValueError("integer_probability: every n must be positive")
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("integer_probability: every p must lie in [0, 1]")
    # stations sharing (n, p) share q: compute each distinct pair once
    n_flat, p_flat = n.ravel(), p.ravel()
    order = np.lexsort((p_flat, n_flat))
    n_sorted, p_sorted = n_flat[order], p_flat[order]
    first = np.ones(n_sorted.size, dtype=bool)
    first[1:] = (n_sorted[1:] != n_sorted[:-1]) | (p_sorted[1:] != p_sorted[:-1])
    q_distinct = _integer_probability_distinct(n_sorted[first], p_sorted[first], tol, max_elements, scale)
    q = np.empty(n_flat.size)
    q[order] = q_distinct[np.cumsum(first) - 1]
    return q.reshape(n.shape)


def _integer_probability_distinct(n, p, tol, max_elements, scale):
    out = np.ones(n.size, dtype=float)  # degenerate rates land on 0 % or 100 %, both integers
    idx = np.flatnonzero((p > 0) & (p < 1))
    if idx.size == 0:
        return out
    frac = _tolerance_fraction(tol)
    a, b = frac.numerator, frac.denominator
    lg = _lgamma_table(int(n.max()))
    nn_all, pp_all = n[idx], p[idx]
    mu = nn_all * pp_all
    margin = _bernstein_margin(mu * (1 - pp_all))
    klo = np.maximum(0, np.floor(mu - margin)).astype(np.int64)
    khi = np.minimum(nn_all, np.ceil(mu + margin)).astype(np.int64)
    # integers j whose window can meet [klo, khi]: j n / scale within tol n / scale of a k there
    jlo = (scale * klo) // nn_all
    jhi = -((-scale * khi) // nn_all)
    n_j = jhi - jlo + 1
    per_station = n_j * ((2 * a * nn_all) // (scale * b) + 1)  # upper bound on terms
    row_const = lg[nn_all] + nn_all * np.log1p(-pp_all)
    log_odds = np.log(pp_all) - np.log1p(-pp_all)
    cum = np.cumsum(per_station)
    edges = np.searchsorted(cum, np.arange(max_elements, cum[-1], max_elements), side="right")
    edges = np.unique(np.concatenate([[0], edges, [idx.size]]))
    for start, stop in zip(edges[:-1], edges[1:]):
        sl = slice(int(start), int(stop))
        j, row = _ragged_arange(jlo[sl], n_j[sl])
        nr = nn_all[sl][row]
        k_first = np.maximum(-((-nr * (b * j - a)) // (scale * b)), klo[sl][row])
        k_last = np.minimum((nr * (b * j + a)) // (scale * b), khi[sl][row])
        k, jrow = _ragged_arange(k_first, np.maximum(k_last - k_first + 1, 0))
        st_row = row[jrow]
        nk = nn_all[sl][st_row]
        # log pmf = [log n! + n log(1 - p)] - log k! - log (n - k)! + k log(p / (1 - p))
        logpmf = row_const[sl][st_row] - lg[k] - lg[nk - k] + k * log_odds[sl][st_row]
        out[idx[sl]] = np.bincount(st_row, weights=np.exp(logpmf), minlength=sl.stop - sl.start)
    return np.minimum(out, 1.0)


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
class BetaBinomialMixture:
    """Mixture of beta-binomials for counts k out of n: P(k) = sum_l w_l BetaBin(k; n, alpha_l, beta_l)."""

    weights: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    loglik: float
    n_iter: int

    @property
    def n_components(self) -> int:
        return int(self.weights.size)

    def density(self, x) -> np.ndarray:
        """Mixture of Beta(alpha_l, beta_l) densities: the latent rate's density at ``x``."""
        x = np.asarray(x, dtype=float)[:, None]
        return np.exp(stats.beta.logpdf(x, self.alpha, self.beta)) @ self.weights

    def log_joint(self, k, n) -> np.ndarray:
        """log(w_l) + log BetaBin(k; n, alpha_l, beta_l) without the log C(n, k) term (stations x components)."""
        k = np.asarray(k, dtype=float)[:, None]
        n = np.asarray(n, dtype=float)[:, None]
        return (np.log(self.weights) + special.betaln(k + self.alpha, n - k + self.beta)
                - special.betaln(self.alpha, self.beta))

    def responsibilities(self, k, n) -> np.ndarray:
        lj = self.log_joint(k, n)
        lj -= lj.max(axis=1, keepdims=True)
        r = np.exp(lj)
        return r / r.sum(axis=1, keepdims=True)


_LOG_AB_BOUNDS = (-3.0, 10.0)  # log alpha, log beta: 0.05 .. 22,000 (a concentration cap, not a prior)


def fit_beta_binomial_mixture(k, n, n_components: int, max_iter: int = 200, rtol: float = 1e-5) -> BetaBinomialMixture:
    """Maximum-likelihood mixture of ``n_components`` beta-binomials by EM (Rozenas 2017, section 4).

    Deterministic start: component l centred on the (l + 1/2) / L quantile of the shares k / n,
    with the method-of-moments concentration of the shares in that slice. M-step: weights in
    closed form, each component's (log alpha, log beta) by L-BFGS-B on its responsibility-
    weighted log-likelihood with the analytic (digamma) gradient. Stops when the log-likelihood
    gains less than ``rtol`` relative, or after ``max_iter`` iterations; ``loglik`` is that of
    the returned parameters (full beta-binomial mixture log-likelihood, binomial coefficients
    included).
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

            res = optimize.minimize(negll, np.log([new_a[comp], new_b[comp]]), jac=True, method="L-BFGS-B",
                                    bounds=[(lo, hi), (lo, hi)])
            new_a[comp], new_b[comp] = np.exp(res.x)
        mix = BetaBinomialMixture(weights, new_a, new_b, -np.inf, it)
    return mix


def select_beta_binomial_mixture(k, n, max_components: int = 5, min_correlation: float = 0.99, **kw):
    """Number of components as in Rozenas' ``spikes`` package: add components (1, 2, ...) until the
    fitted rate densities of L and L - 1 components correlate at ``min_correlation`` or more on a
    grid of [0.01, 0.99], or ``max_components`` is reached; return the last fit."""
    grid = np.linspace(0.01, 0.99, 197)
    fit = fit_beta_binomial_mixture(k, n, 1, **kw)
    for n_comp in range(2, max_components + 1):
        nxt = fit_beta_binomial_mixture(k, n, n_comp, **kw)
        corr = np.corrcoef(fit.density(grid), nxt.density(grid))[0, 1]
        fit = nxt
        if corr >= min_correlation:
            break
    return fit


@dataclass(frozen=True)
class RozenasResult:
    """Resampled kernel-density (RKD) estimate of the share of stations with coarse vote shares."""

    statistic: float  # F: percentage of stations in spikes
    spike_share_pct: float
    n_stations: int
    n_excluded: int
    bandwidth: float
    n_resamples: int
    grid_size: int
    grid: np.ndarray = field(repr=False)  # vote shares at which the densities are evaluated
    observed_density: np.ndarray = field(repr=False)  # Gaussian KDE of the observed shares
    resampled_max: np.ndarray = field(repr=False)  # upper envelope of the resampled KDEs
    observed_share: np.ndarray = field(repr=False)  # share of stations in each grid bin
    resampled_mean_share: np.ndarray = field(repr=False)  # mean over resamples
    spike_bins: np.ndarray = field(repr=False)  # bins where the observed KDE beats every resample
    null_spike_share_pct: np.ndarray = field(repr=False, default=None)  # F of pseudo-data drawn from the null
    spike_share_other_kde_pct: float = float("nan")  # F with the other density computation (exact / binned)
    turnout_model: BetaBinomialMixture = field(repr=False, default=None)
    vote_model: BetaBinomialMixture = field(repr=False, default=None)
    source: str = ROZENAS_SOURCE

    @property
    def excess_stations(self) -> float:
        return self.spike_share_pct / 100 * self.n_stations


def _kde_on_grid(shares_2d: np.ndarray, grid_size: int, bandwidth: float) -> np.ndarray:
    """Gaussian KDE of each row of ``shares_2d`` at grid points g / (grid_size - 1), exactly but
    summing only kernels within 6 bandwidths (neglected weight < phi(6) = 6e-9 per station)."""
    rows, n = shares_2d.shape
    step = 1.0 / (grid_size - 1)
    reach = int(np.ceil(6 * bandwidth / step))
    nearest = np.rint(shares_2d / step).astype(np.int64)
    out = np.zeros(rows * grid_size)
    row_base = (grid_size * np.arange(rows))[:, None]
    for off in range(-reach, reach + 1):
        g = nearest + off
        inside = (g >= 0) & (g < grid_size)
        z = (g * step - shares_2d) / bandwidth
        w = np.where(inside & (np.abs(z) <= 6), np.exp(-0.5 * z * z), 0.0)
        out += np.bincount((np.clip(g, 0, grid_size - 1) + row_base).ravel(), weights=w.ravel(), minlength=rows * grid_size)
    return (out / (n * bandwidth * np.sqrt(2 * np.pi))).reshape(rows, grid_size)


def _kde_on_grid_binned(shares_2d: np.ndarray, grid_size: int, bandwidth: float) -> np.ndarray:
    """Gaussian KDE on the grid computed the way R's ``density(from = 0, to = 1)`` does it, which
    the ``spikes`` package calls: linear binning of the data onto 2^ceil(log2(grid_size)) points
    (at least 512) of [-4 bw, 1 + 4 bw], convolution with the kernel sampled on that lattice,
    then linear interpolation to the grid_size output points. With bw = 1e-4 below the lattice
    step (about 1e-3) this is in effect a histogram with triangular (linear-binning) weights:
    each station counts at the grid points within about two steps of its share."""
    rows, n = shares_2d.shape
    n_lat = max(512, 1 << int(np.ceil(np.log2(grid_size))))
    lo, up = -4 * bandwidth, 1 + 4 * bandwidth
    step = (up - lo) / (n_lat - 1)
    if shares_2d.size and (shares_2d.min() < 0 or shares_2d.max() > 1):
        raise ValueError("vote shares must lie in [0, 1]")
    pos = shares_2d * (1.0 / step) - lo / step  # > 0, and < n_lat - 1 for shares in [0, 1]
    left = pos.astype(np.int64)
    frac = pos - left
    left += (n_lat * np.arange(rows))[:, None]
    size = rows * n_lat + 1
    mass = np.bincount(left.ravel(), weights=(1.0 - frac).ravel(), minlength=size)
    mass[1:] += np.bincount(left.ravel(), weights=frac.ravel(), minlength=size)[:-1]
    mass = mass[:-1]
    mass = mass.reshape(rows, n_lat) / n
    reach = int(np.ceil(6 * bandwidth / step))  # lags beyond 6 bw carry < 2e-8 of the kernel's peak
    lags = np.arange(-reach, reach + 1)
    kernel = np.exp(-0.5 * (lags * step / bandwidth) ** 2) / (bandwidth * np.sqrt(2 * np.pi))
    dens = np.zeros_like(mass)
    for lag, kv in zip(lags, kernel):
        if lag >= 0:
            dens[:, lag:] += kv * mass[:, : n_lat - lag]
        else:
            dens[:, :lag] += kv * mass[:, -lag:]
    lattice = np.linspace(lo, up, n_lat)
    grid = np.linspace(0.0, 1.0, grid_size)
    # linear interpolation, vectorized over rows
    i = np.clip(np.searchsorted(lattice, grid, side="right") - 1, 0, n_lat - 2)
    f = (grid - lattice[i]) / (lattice[i + 1] - lattice[i])
    return dens[:, i] * (1 - f) + dens[:, i + 1] * f


def _bin_shares(shares_2d: np.ndarray, grid_size: int) -> np.ndarray:
    """Share of each row's stations in bins of width 1 / (grid_size - 1) centred on the grid."""
    rows, n = shares_2d.shape
    nearest = np.rint(shares_2d * (grid_size - 1)).astype(np.int64)
    flat = (nearest + (grid_size * np.arange(rows))[:, None]).ravel()
    return np.bincount(flat, minlength=rows * grid_size).reshape(rows, grid_size) / n


def rozenas_spikes(
    votes,
    ballots,
    registered,
    n_resamples: int = 1000,
    bandwidth: float = 1e-4,
    grid_size: int = 1001,
    max_components: int = 5,
    seed=None,
    chunk: int = 16,
    models: tuple | None = None,
    fit_stations: int | None = 10_000,
    kde: str = "binned",
    n_null: int = 20,
) -> RozenasResult:
    """Resampled kernel-density (RKD) estimate of the share of stations with coarse vote shares
    (Rozenas 2017, Political Analysis 25(1), section 4; his R package ``spikes``).

    Data per station: ``registered`` (N), ``ballots`` (t, those who voted), ``votes`` (v, for the
    party studied); vote share v / t. Steps:

    1. Smooth null: turnout t ~ BetaBinomial mixture(N) and votes v ~ BetaBinomial mixture(t),
       each fitted by maximum likelihood with the number of components chosen as in the package
       (:func:`select_beta_binomial_mixture`, at most ``max_components``).
    2. Resampling from that null, conditional on each station: pick a component with its
       posterior probability, draw the turnout rate from its posterior
       Beta(t + alpha, N - t + beta) and t* ~ Binomial(N, rate), then the support rate from
       Beta(v + alpha', t - v + beta') and v* ~ Binomial(t*, rate); share v* / t* (0 if t* = 0).
       Station sizes, hence the arithmetic of small denominators (1/2, 2/3 ...), are kept, so
       coarse shares occur in the resamples as often as numerics alone produce them.
    3. Gaussian kernel density (``bandwidth``, default 1e-4 as in the package) of the observed and
       of each resampled share on ``grid_size`` points of [0, 1]; the envelope is the maximum
       over the ``n_resamples`` resamples.
    4. F = 100 * sum over grid bins (width 1 / (grid_size - 1)) where the observed density
       exceeds the envelope, of max(0, observed share of stations in the bin - mean resampled
       share).

    ``kde="binned"`` computes the densities as R's ``density()`` does (:func:`_kde_on_grid_binned`),
    ``"exact"`` sums the Gaussian kernels (:func:`_kde_on_grid`); with bw = 1e-4, below R's
    lattice step, the two differ (the binned one counts stations within about 0.002 of a point,
    the exact one within about 0.0003), and F with the other one is returned as
    ``spike_share_other_kde_pct`` from the same resamples.

    Null hypothesis: shares come from the smooth beta-binomial model (no fraud); then F is near
    0 but not 0: in each of the ``grid_size`` bins the observed density beats the maximum of R
    resamples with probability about 1 / (R + 1) by chance, and such a bin then adds its
    positive excess. ``null_spike_share_pct`` measures that level directly: F of ``n_null``
    further draws from the null, scored against the same envelope and mean (this calibration
    is not in Rozenas' package; it is what F of clean data of this size looks like). F is an
    estimate, not a p-value; it shrinks as ``n_resamples`` grows (a higher envelope). Randomness only through ``seed``. ``models`` = (turnout mixture, vote mixture)
    skips the fits; otherwise they are fitted on ``fit_stations`` stations drawn at random (all
    when None): the mixtures only set the prior of each station's posterior rate, which the
    station's own counts dominate, and EM on 95,000 stations costs minutes.
    """
    v = np.asarray(votes, dtype=np.int64)
    t = np.asarray(ballots, dtype=np.int64)
    big_n = np.asarray(registered, dtype=np.int64)
    if not (v.shape == t.shape == big_n.shape):
        raise ValueError("rozenas_spikes: votes, ballots and registered must have the same shape")
    keep = (t > 0) & (v >= 0) & (v <= t) & (t <= big_n)
    if not keep.any():
        raise ValueError("rozenas_spikes: no station with 0 < ballots <= registered and 0 <= votes <= ballots")
    n_excluded = int((~keep).sum())
    v, t, big_n = v[keep], t[keep], big_n[keep]
    rng = np.random.default_rng(seed)
    if models is None:
        fit = np.arange(v.size)
        if fit_stations is not None and fit_stations < v.size:
            fit = np.sort(rng.choice(v.size, fit_stations, replace=False))
        models = (select_beta_binomial_mixture(t[fit], big_n[fit], max_components),
                  select_beta_binomial_mixture(v[fit], t[fit], max_components))
    m_t, m_v = models
    resp_t = np.cumsum(m_t.responsibilities(t, big_n), axis=1)
    resp_v = np.cumsum(m_v.responsibilities(v, t), axis=1)
    if kde not in ("binned", "exact"):
        raise ValueError(f"kde={kde!r}: expected 'binned' (as R's density) or 'exact'")
    kde_fn = _kde_on_grid_binned if kde == "binned" else _kde_on_grid
    other_fn = _kde_on_grid if kde == "binned" else _kde_on_grid_binned
    share = v / t
    obs_density = kde_fn(share[None, :], grid_size, bandwidth)[0]
    obs_other = other_fn(share[None, :], grid_size, bandwidth)[0]
    obs_share = _bin_shares(share[None, :], grid_size)[0]

    def draw(m):
        comp_t = np.minimum((rng.random((m, t.size, 1)) > resp_t[None]).sum(axis=2), m_t.n_components - 1)
        t_star = rng.binomial(big_n, rng.beta(t + m_t.alpha[comp_t], big_n - t + m_t.beta[comp_t]))
        comp_v = np.minimum((rng.random((m, v.size, 1)) > resp_v[None]).sum(axis=2), m_v.n_components - 1)
        v_star = rng.binomial(t_star, rng.beta(v + m_v.alpha[comp_v], t - v + m_v.beta[comp_v]))
        return np.divide(v_star, t_star, out=np.zeros(v_star.shape), where=t_star > 0)

    env = np.zeros(grid_size)
    env_other = np.zeros(grid_size)
    mean_share = np.zeros(grid_size)
    done = 0
    while done < n_resamples:
        m = min(chunk, n_resamples - done)
        y = draw(m)
        env = np.maximum(env, kde_fn(y, grid_size, bandwidth).max(axis=0))
        env_other = np.maximum(env_other, other_fn(y, grid_size, bandwidth).max(axis=0))
        mean_share += _bin_shares(y, grid_size).sum(axis=0)
        done += m
    mean_share /= n_resamples
    spike_bins = obs_density > env
    excess = np.maximum(obs_share - mean_share, 0.0)
    f_pct = float(100.0 * excess[spike_bins].sum())
    f_other = float(100.0 * excess[obs_other > env_other].sum())
    # calibration: F of data drawn from the null itself, against the same envelope and mean
    null_f = np.empty(n_null)
    done = 0
    while done < n_null:
        m = min(chunk, n_null - done)
        y = draw(m)
        above = kde_fn(y, grid_size, bandwidth) > env
        null_f[done : done + m] = 100.0 * np.sum(np.maximum(_bin_shares(y, grid_size) - mean_share, 0.0) * above, axis=1)
        done += m
    return RozenasResult(
        statistic=f_pct, spike_share_pct=f_pct, n_stations=int(v.size), n_excluded=n_excluded,
        bandwidth=float(bandwidth), n_resamples=int(n_resamples), grid_size=int(grid_size),
        grid=np.linspace(0.0, 1.0, grid_size), observed_density=obs_density, resampled_max=env,
        observed_share=obs_share, resampled_mean_share=mean_share, spike_bins=spike_bins,
        turnout_model=m_t, vote_model=m_v, null_spike_share_pct=null_f,
        spike_share_other_kde_pct=f_other,
    )


# --------------------------------------------------------------------------- registry


def _cal_integer(quantity: str):
    def fn(stations: pd.DataFrame, votes: pd.DataFrame, leader: str, rng) -> float:

        sample = sample_from_tables(stations, measures.leader_votes(stations, votes, leader))
        if sample.n_included == 0:
            return float("nan")
        flags = observed_integer_flags(sample)
        q = integer_probabilities(sample)
        return poisson_binomial_sf(int(flags[quantity].sum()), q[quantity])

    fn.__doc__ = f"Exact Poisson-binomial p-value of the integer-percentage count ({quantity})."
    return fn


def calibration_tests() -> dict:
    """Spike tests for ``analysis.synthetic.calibration``: {name: fn(stations, votes, leader, rng) -> p-value}.

    ``integer_either``, ``integer_leader``, ``integer_turnout``: Kobak et al.'s count of
    integer-percentage stations against its exact Poisson-binomial null (no simulation, so
    ``rng`` is unused). The Rozenas estimate is not a p-value and is not registered.
    """
    return {f"integer_{name}": _cal_integer(name) for name in QUANTITIES}
