"""Percentage grid: do regional counts equal a total times a two-decimal percentage, rounded?

Whether regional counts equal a total times a ``decimals``-decimal percentage, rounded, more
often than multinomial counting allows. An extension of Kobak, Shpilkin & Pshenichnikov's
(2016) integer-percentage idea to two-decimal percentages of regional totals, not a
published test.

References
----------
Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73, section 3 (the idea
and its size-aware binomial null).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from analysis.core.results import FlatResult
from analysis.stats.montecarlo import mc_pvalue
from analysis.stats.poisson_binomial import bernstein_margin, poisson_binomial_sf


def on_percentage_grid(counts, totals, *, decimals: int = 2) -> np.ndarray:
    """True where ``count == round(total * k / 10**(decimals + 2))`` for some integer ``k``.

    That is, the count is what one gets by applying a percentage with ``decimals`` decimals
    (``k`` hundredths of a point for ``decimals=2``) to the total and rounding to a whole vote
    (halves up). Exact integer arithmetic: with ``s = 10**(decimals + 2)``, only
    ``k = floor(s c / T)`` and ``k + 1`` can round to ``c`` when ``T > s``; for ``T <= s`` every
    count is on the grid (the grid is finer than one vote).

    Parameters
    ----------
    counts, totals : array_like of int
        Counts and their totals (broadcast), ``0 <= counts <= totals``, ``totals > 0``.
    decimals : int, optional
        Decimals of the percentage (default 2: hundredths of a point).

    Returns
    -------
    numpy.ndarray of bool

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), AoAS 10(1), section 3 (integer percentages; here
    two-decimal ones).

    Examples
    --------
    >>> on_percentage_grid([431_451, 5_430, 5_431], 448_727).tolist()  # 96.15 %, 1.21 %, neither
    [True, True, False]
    >>> on_percentage_grid([1, 2, 3], 20_000).tolist()  # T = 20,000: the even counts
    [False, True, False]
    """
    c = np.asarray(counts, dtype=np.int64)
    t = np.asarray(totals, dtype=np.int64)
    if np.any(t <= 0) or np.any((c < 0) | (c > t)):
        raise ValueError("on_percentage_grid: need 0 <= counts <= totals and totals > 0")
    s = 10 ** (decimals + 2)
    k0 = (s * c) // t
    hit = np.zeros(np.broadcast(c, t).shape, dtype=bool)
    for k in (k0, k0 + 1):
        hit |= (2 * t * k + s) // (2 * s) == c
    return hit | (t <= s)


def percentage_grid_probability(totals, rates, *, decimals: int = 2) -> np.ndarray:
    """P(X on the grid of :func:`on_percentage_grid`) for X ~ Binomial(total, rate), exactly.

    Sum of the binomial pmf over the distinct grid counts round(T k / s), k = 0..s
    (``scipy.stats.binom.pmf``), restricted to the Bernstein window of the binomial (the mass
    left out is below 2 exp(-37)). For T much larger than s and a binomial spread of several grid
    steps this is close to (number of grid counts) / (T + 1), about s / T.

    Parameters
    ----------
    totals : array_like of int
        Binomial sizes T.
    rates : array_like of float
        Binomial rates, of the shape of ``totals``.
    decimals : int, optional
        As in :func:`on_percentage_grid` (default 2).

    Returns
    -------
    numpy.ndarray of float
        One probability per total (flattened).

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), AoAS 10(1), section 3 (the binomial null).

    Examples
    --------
    >>> percentage_grid_probability([20_000, 500_000], [0.5, 0.3]).round(4).tolist()  # 1/2, about s / T
    [0.5, 0.02]
    """
    t = np.asarray(totals, dtype=np.int64).ravel()
    r = np.asarray(rates, dtype=float).ravel()
    s = 10 ** (decimals + 2)
    k = np.arange(s + 1, dtype=np.int64)
    out = np.ones(t.size)
    # only grid counts within the Bernstein window mu +/- m matter (neglected mass < 2 exp(-37))
    mu, var = t * r, t * r * (1 - r)
    margin = bernstein_margin(var)
    for i in np.flatnonzero(t > s):
        k_lo = max(0, int((mu[i] - margin[i] - 1) * s // t[i]))
        k_hi = min(s, int((mu[i] + margin[i] + 1) * s // t[i]) + 1)
        grid = np.unique((2 * t[i] * k[k_lo : k_hi + 1] + s) // (2 * s))
        out[i] = stats.binom.pmf(grid, t[i], r[i]).sum()
    return np.minimum(out, 1.0)


@dataclass(frozen=True)
class PercentageGridResult(FlatResult):
    """Counts that equal round(total x a ``decimals``-decimal percentage), against honest counting.

    Attributes
    ----------
    statistic : int
        Counts on the grid.
    pvalue : float
        Monte Carlo p-value under the multinomial null (one-sided).
    expected : float
        Null mean: sum of the exact per-count probabilities.
    null_sd : float
        Monte Carlo (multinomial) null sd.
    pvalue_bound : float
        Upper bound from the counts free of the sum constraint (exact Poisson-binomial).
    units_all_on_grid : int
        Units whose every count is on the grid; ``units_all_expected`` its null mean.
    n_counts, n_sims, decimals : int
        Counts tested, Monte Carlo draws, decimals of the grid.
    on_grid, probability, null_statistics : numpy.ndarray
        Units x candidates flags and null probabilities; the null draws of the statistic.

    Examples
    --------
    >>> r = percentage_grid_test([[431_451, 5_430, 11_846]], n_sims=99, seed=0)
    >>> r.as_dict("kz_grid_")["kz_grid_n_counts"], r.statistic
    (3, 3)
    """

    statistic: int  # counts on the grid
    pvalue: float  # Monte Carlo, multinomial null (counts of a unit sum to its total)
    expected: float  # null mean: sum of the exact per-count probabilities
    null_sd: float  # Monte Carlo (multinomial) null sd
    pvalue_bound: float  # upper bound from the counts that are free of the sum constraint
    units_all_on_grid: int  # units (regions) whose every count is on the grid
    units_all_expected: float  # Monte Carlo null mean of that number
    n_counts: int
    n_sims: int
    on_grid: np.ndarray = field(repr=False)  # units x candidates
    probability: np.ndarray = field(repr=False)  # units x candidates, exact per-count null probability
    null_statistics: np.ndarray = field(repr=False)
    decimals: int = 2


def percentage_grid_test(
    counts, *, decimals: int = 2, n_sims: int = 99_999, seed=None, chunk: int = 10_000
) -> PercentageGridResult:
    """Are the candidates' counts of each unit what two-decimal percentages of its total give?

    ``counts``: units x candidates (e.g. 16 regions x 4 candidates); the total T of a unit is
    the sum of its row. Statistic: number of counts c with c == round(T k / 10**(decimals + 2))
    for an integer k (:func:`on_percentage_grid`).

    Null hypothesis (honest counting, size-aware as in Kobak et al. 2016): each unit's counts are
    Multinomial(T, observed shares), independently across units. The sum constraint makes the
    last count of a unit a function of the others (if the other counts are on the grid, the
    last one is too whenever their rounding errors sum to at most half a vote: about 2/3 of
    the time with three others), so the null is simulated: ``n_sims`` multinomial redraws,
    one-sided p-value (1 + #{null >= observed}) / (n_sims + 1), never below 1 / (n_sims + 1).
    Also returned: the exact null mean sum(q) with q = P(Binomial(T, share) on the grid)
    (:func:`percentage_grid_probability`, about s / T per count), and ``pvalue_bound``, which
    resolves far tails: leave out each unit's largest count (the one the constraint ties to
    the rest), so that S <= S_free + units and P(S >= obs) <= P(S_free >= obs - units), the
    latter exact Poisson-binomial treating the free counts as independent (their multinomial
    correlation is of order sqrt(p_i p_j), and grid hits depend on the counts modulo about
    T / s votes). No published source defines this check; it carries Kobak et al.'s
    integer-percentage idea to two-decimal percentages of regional totals. (Multinomial
    redraws: the binomial generator of :mod:`analysis.stats.montecarlo` does not apply.)

    Parameters
    ----------
    counts : array_like of int
        Units x candidates, non-negative, every unit with votes.
    decimals : int, optional
        Decimals of the percentage (default 2).
    n_sims : int, optional
        Multinomial redraws (default 99,999).
    seed : int, numpy.random.Generator or None, optional
        Seed of ``numpy.random.default_rng``.
    chunk : int, optional
        Redraws held at once (default 10,000).

    Returns
    -------
    PercentageGridResult

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3 (the integer-percentage idea and its size-aware null, carried over here).

    Examples
    --------
    >>> r = percentage_grid_test([[431_451, 5_430, 11_846], [200_000, 100_001, 50_000]], n_sims=99, seed=0)
    >>> r.statistic, r.n_counts, r.pvalue_bound <= 1
    (3, 6, True)
    """
    c = np.asarray(counts, dtype=np.int64)
    if c.ndim != 2 or np.any(c < 0):
        raise ValueError("percentage_grid_test: counts must be a units x candidates array of non-negative integers")
    totals = c.sum(axis=1)
    if np.any(totals <= 0):
        raise ValueError(f"percentage_grid_test: units {np.flatnonzero(totals <= 0).tolist()} have no votes")
    rng = np.random.default_rng(seed)
    on = on_percentage_grid(c, totals[:, None], decimals=decimals)
    observed = int(on.sum())
    shares = c / totals[:, None]
    q = percentage_grid_probability(np.broadcast_to(totals[:, None], c.shape), shares, decimals=decimals).reshape(
        c.shape
    )
    null = np.empty(n_sims, dtype=np.int64)
    null_all = np.empty(n_sims, dtype=np.int64)
    done = 0
    while done < n_sims:
        m = min(chunk, n_sims - done)
        x = rng.multinomial(totals, shares, size=(m, totals.size))  # m x units x candidates
        hit = on_percentage_grid(x, totals[None, :, None], decimals=decimals)
        null[done : done + m] = hit.sum(axis=(1, 2))
        null_all[done : done + m] = hit.all(axis=2).sum(axis=1)
        done += m
    free = np.ones(c.shape, dtype=bool)
    free[np.arange(c.shape[0]), np.argmax(c, axis=1)] = False
    bound = poisson_binomial_sf(observed - c.shape[0], q[free]) if c.shape[1] > 1 else float("nan")
    return PercentageGridResult(
        statistic=observed,
        expected=float(q.sum()),
        null_sd=float(null.std(ddof=1)) if n_sims > 1 else float("nan"),
        pvalue=mc_pvalue(observed, null.astype(float), "greater") if n_sims else float("nan"),
        pvalue_bound=bound,
        units_all_on_grid=int(on.all(axis=1).sum()),
        units_all_expected=float(null_all.mean()) if n_sims else float("nan"),
        n_counts=int(c.size),
        n_sims=int(n_sims),
        on_grid=on,
        probability=q,
        null_statistics=null,
        decimals=int(decimals),
    )
