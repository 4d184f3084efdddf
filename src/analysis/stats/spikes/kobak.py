"""Kobak et al.'s integer-percentage test: station sample, observed counts, Monte Carlo and exact nulls.

Under the null the number of integer stations is a sum of independent Bernoulli(q_i)
indicators, q_i from :func:`~analysis.stats.spikes.integer.integer_probability`, i.e.
Poisson-binomial; its tail comes from :mod:`analysis.stats.poisson_binomial`. "Exact" below
means exact up to the stated truncations there (far below the Monte Carlo error of any
simulation and below the rounding of the reported numbers).

References
----------
Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73. Section 3 defines
the sample (ballots received > 0, at least 100 registered voters, turnout and leader share at
most 99 %), the "integer" values (a percentage within 0.05 points of an integer) and the
binomial Monte Carlo null (each station's count redrawn from a binomial with the station's
own size and observed rate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.core.results import FlatResult
from analysis.stats.montecarlo import binomial_redraws, mc_pvalue
from analysis.stats.poisson_binomial import PoissonBinomialResult, poisson_binomial_test
from analysis.stats.spikes.integer import integer_probability, is_integer_percentage
from analysis.stats.spikes.nulls import simulate_integer_counts_binomial, simulate_integer_counts_indicator
from analysis.stats.spikes.sample import QUANTITIES, IntegerSample, integer_probabilities, observed_integer_flags

KOBAK_SOURCE = "Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73, section 3"


@dataclass(frozen=True)
class IntegerCountResult(FlatResult):
    """Observed count of integer-percentage stations against its Monte Carlo null.

    Attributes
    ----------
    statistic : int
        Observed number of integer stations (also ``observed``).
    pvalue : float
        Monte Carlo p-value in the direction ``alternative``.
    quantity : str
        What is integer: 'leader', 'turnout', 'either' or 'count'.
    null_mean, null_sd, null_q999 : float
        Mean, sd and 99.9th percentile of the null draws.
    excess : float
        Observed minus null mean.
    alternative : str
        'greater' (an excess, the default), 'less' or 'two-sided'.

    Examples
    --------
    >>> r = IntegerCountResult(statistic=12, pvalue=0.01, quantity="leader", null_mean=5.0,
    ...                        null_sd=2.0, excess=7.0, null_q999=11.0)
    >>> r.observed, r.as_dict("integer_")["integer_excess"]
    (12, 7.0)
    """

    statistic: int
    pvalue: float
    quantity: str
    null_mean: float
    null_sd: float
    excess: float
    null_q999: float
    alternative: str = "greater"

    @property
    def observed(self) -> int:
        """The observed count (same as ``statistic``)."""
        return self.statistic


@dataclass(frozen=True)
class IntegerSpikeResult(FlatResult):
    """Kobak et al. integer-percentage test: observed counts, Monte Carlo and exact nulls.

    ``statistic`` and ``pvalue`` are those of the Monte Carlo test of 'either' (an integer
    leader share or turnout); ``monte_carlo`` and ``exact`` hold every quantity.

    Attributes
    ----------
    statistic : int
        Stations with an integer leader share or turnout.
    pvalue : float
        Its Monte Carlo p-value.
    n_included, filter_applied
        The sample (:class:`IntegerSample`).
    tol : float
        Integer tolerance in percentage points.
    n_sims : int
        Monte Carlo draws.
    method : str
        'indicator' or 'binomial' (how the null was drawn).
    monte_carlo : dict
        Quantity -> :class:`IntegerCountResult`.
    exact : dict
        Quantity -> :class:`~analysis.stats.poisson_binomial.PoissonBinomialResult` (empty
        when not computed).
    null_draws : dict
        Quantity -> int array of the ``n_sims`` null counts.
    source : str
        The paper.

    Examples
    --------
    >>> from analysis.stats.spikes import kobak_sample
    >>> r = integer_percentage_test(kobak_sample([300], [600], [0], [600], [1000], [1000]), n_sims=9, seed=0)
    >>> r.statistic == r.monte_carlo["either"].statistic, sorted(r.exact)
    (True, ['either', 'leader', 'turnout'])
    """

    statistic: int
    pvalue: float
    n_included: int
    filter_applied: str
    tol: float
    n_sims: int
    method: str
    monte_carlo: dict
    exact: dict
    null_draws: dict = field(repr=False)
    source: str = KOBAK_SOURCE


def _mc_summary(quantity: str, observed: int, draws: np.ndarray, alternative: str) -> IntegerCountResult:
    draws = np.asarray(draws)
    return IntegerCountResult(
        statistic=int(observed),
        pvalue=mc_pvalue(observed, draws, alternative),
        quantity=quantity,
        null_mean=float(draws.mean()),
        null_sd=float(draws.std(ddof=1)) if draws.size > 1 else float("nan"),
        excess=float(observed - draws.mean()),
        null_q999=float(np.percentile(draws, 99.9)),
        alternative=alternative,
    )


def integer_percentage_test(
    sample: IntegerSample,
    *,
    n_sims: int = 1000,
    seed=None,
    tol: float = 0.05,
    method: str = "indicator",
    exact: bool = True,
    alternative: str = "greater",
) -> IntegerSpikeResult:
    """Integer-percentage spike test of Kobak, Shpilkin & Pshenichnikov (2016, section 3).

    Statistic: the number of included stations whose leader share (100 leader /
    (valid + invalid)), turnout (100 ballots issued / registered), or either, lies within
    ``tol`` percentage points of an integer.

    Null hypothesis: each station's leader votes are Binomial(valid + invalid, observed
    leader share) and its ballots issued Binomial(registered, observed turnout), all
    independent; integer percentages then arise only from the numerics of small
    denominators. Monte Carlo p-value (1 + #{null >= observed}) / (n_sims + 1), one-sided
    by default (spikes are an excess). ``method="indicator"`` draws the integer indicators
    with their exact probabilities (same distribution, fast); ``method="binomial"`` redraws
    the counts. With ``exact=True`` the exact Poisson-binomial null
    (:func:`~analysis.stats.poisson_binomial.poisson_binomial_test`) is also returned;
    "either" uses q = 1 - (1 - q_leader)(1 - q_turnout), the two draws being independent.

    Parameters
    ----------
    sample : IntegerSample
        From :func:`kobak_sample` or :func:`sample_from_tables`.
    n_sims : int, optional
        Monte Carlo draws (default 1000).
    seed : int, numpy.random.Generator or None, optional
        Seed of ``numpy.random.default_rng``.
    tol : float, optional
        Integer tolerance in percentage points (default 0.05).
    method : {'indicator', 'binomial'}, optional
        How the Monte Carlo null is drawn.
    exact : bool, optional
        Also compute the exact Poisson-binomial null (default True).
    alternative : {'greater', 'less', 'two-sided'}, optional
        'greater' (default) tests for an excess of integer stations, 'less' for a deficit.

    Returns
    -------
    IntegerSpikeResult

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> from analysis.stats.spikes import kobak_sample
    >>> s = kobak_sample([300, 251, 333], [600, 500, 700], [0, 0, 0], [600, 500, 700],
    ...                  [1000, 800, 1200], [1000, 800, 1200])
    >>> r = integer_percentage_test(s, n_sims=99, seed=1)
    >>> r.statistic, r.monte_carlo["leader"].observed, round(r.exact["either"].mean, 2)
    (1, 1, 0.76)
    >>> round(r.pvalue, 2), round(r.exact["either"].pvalue, 2)
    (0.66, 0.59)
    """
    rng = np.random.default_rng(seed)
    flags = observed_integer_flags(sample, tol)
    observed = {name: int(flags[name].sum()) for name in QUANTITIES}
    q = integer_probabilities(sample, tol) if (exact or method == "indicator") else None
    if method == "indicator":
        draws = simulate_integer_counts_indicator(q["leader"], q["turnout"], n_sims, rng)
    elif method == "binomial":
        draws = simulate_integer_counts_binomial(sample, n_sims, rng, tol=tol)
    else:
        raise ValueError(f"method={method!r}: expected 'indicator' or 'binomial'")
    mc = {name: _mc_summary(name, observed[name], draws[name], alternative) for name in QUANTITIES}
    exact_res = (
        {name: poisson_binomial_test(observed[name], q[name], alternative=alternative) for name in QUANTITIES}
        if exact
        else {}
    )
    return IntegerSpikeResult(
        statistic=mc["either"].statistic,
        pvalue=mc["either"].pvalue,
        n_included=sample.n_included,
        filter_applied=sample.filter_applied,
        tol=tol,
        n_sims=n_sims,
        method=method,
        monte_carlo=mc,
        exact=exact_res,
        null_draws=draws,
    )


def integer_count_test(
    counts, sizes, *, n_sims: int = 1000, seed=None, tol: float = 0.05, scale: int = 100, alternative: str = "greater"
) -> tuple[IntegerCountResult, PoissonBinomialResult, np.ndarray]:
    """Integer-percentage count of one quantity (e.g. regional leader shares), both nulls.

    Statistic: number of units whose ``scale`` count / size is within ``tol`` of an integer
    (``scale=100``: whole percentages; ``scale=10000``: two-decimal percentages).
    Null hypothesis: counts ~ Binomial(size, observed rate), independent.

    Parameters
    ----------
    counts, sizes : array_like of int
        Counts and their sizes, ``0 <= counts <= sizes``, ``sizes > 0``.
    n_sims : int, optional
        Binomial redraws of the Monte Carlo null (default 1000).
    seed : int, numpy.random.Generator or None, optional
        Seed of ``numpy.random.default_rng``.
    tol : float, optional
        Integer tolerance in units of 1 / ``scale`` (default 0.05).
    scale : int, optional
        100 (whole percentages, default) or 10000 (two-decimal percentages).
    alternative : {'greater', 'less', 'two-sided'}, optional
        'greater' (default) tests for an excess of integer units.

    Returns
    -------
    mc : IntegerCountResult
        Against ``n_sims`` binomial redraws (quantity 'count').
    exact : PoissonBinomialResult
        Against the exact Poisson-binomial null.
    draws : numpy.ndarray of int
        The Monte Carlo null counts.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> mc, exact, draws = integer_count_test([50, 333], [100, 1000], n_sims=99, seed=0)
    >>> mc.statistic, draws.size, round(exact.mean, 3), round(exact.pvalue, 3)
    (1, 99, 1.1, 1.0)
    """
    c = np.asarray(counts, dtype=np.int64)
    n = np.asarray(sizes, dtype=np.int64)
    if c.shape != n.shape or np.any(n <= 0) or np.any((c < 0) | (c > n)):
        raise ValueError("integer_count_test: need 0 <= counts <= sizes and sizes > 0, same length")
    rng = np.random.default_rng(seed)
    observed = int(is_integer_percentage(c, n, tol, scale=scale).sum())
    draws = np.empty(n_sims, dtype=np.int64)
    done = 0
    for x in binomial_redraws(c, n, n_sims, rng):
        m = x.shape[0]
        draws[done : done + m] = is_integer_percentage(x, n, tol, scale=scale).sum(axis=1)
        done += m
    q = integer_probability(n, c / n, tol, scale=scale)
    return (
        _mc_summary("count", observed, draws, alternative),
        poisson_binomial_test(observed, q, alternative=alternative),
        draws,
    )
