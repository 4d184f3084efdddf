"""Monte Carlo nulls of Kobak et al.'s integer-station counts: through the indicators or the counts.

Both draw from the same null (leader votes ~ Binomial(valid + invalid, observed share),
ballots issued ~ Binomial(registered, observed turnout), independent); the indicator draw is
fast, the binomial redraw is independent of the exact probabilities and checks them.

References
----------
Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73, section 3.
"""

from __future__ import annotations

import numpy as np

from analysis.stats.montecarlo import binomial_redraws
from analysis.stats.spikes.integer import is_integer_percentage
from analysis.stats.spikes.sample import QUANTITIES, IntegerSample


def simulate_integer_counts_indicator(q_leader, q_turnout, n_sims: int, rng, *, chunk: int = 64) -> dict:
    """Null counts of integer stations drawn through the integer indicators themselves.

    Under the null each station's integer-ness is Bernoulli(q) with q the exact binomial
    probability (:func:`~analysis.stats.spikes.integer.integer_probability`), independently
    for leader share and turnout, so drawing the indicators is the same distribution as
    drawing the binomial counts and testing them, at a fraction of the cost. One 64-bit
    random word per station and draw: one 32-bit half decides the leader share, the other
    the turnout (threshold floor(q 2^32); error at most 2^-32 per probability). Memory:
    about 11 bytes per station and draw in a chunk (``chunk`` draws at a time). (Raw random
    words, not binomial redraws: the generator of :mod:`analysis.stats.montecarlo` does not
    apply.)

    Parameters
    ----------
    q_leader, q_turnout : array_like of float
        Per-station null probabilities of an integer leader share and turnout.
    n_sims : int
        Number of null draws.
    rng : numpy.random.Generator
    chunk : int, optional
        Draws held at once (default 64).

    Returns
    -------
    dict
        Quantity -> int array of ``n_sims`` null counts.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3 (the null this draws from).

    Examples
    --------
    >>> import numpy as np
    >>> d = simulate_integer_counts_indicator([1.0, 0.0], [0.0, 0.0], 3, np.random.default_rng(0))
    >>> {k: v.tolist() for k, v in d.items()}
    {'leader': [1, 1, 1], 'turnout': [0, 0, 0], 'either': [1, 1, 1]}
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


def simulate_integer_counts_binomial(
    sample: IntegerSample, n_sims: int, rng, *, tol: float = 0.05, chunk: int = 16
) -> dict:
    """Null counts of integer stations by literally redrawing every station (Kobak et al.'s Monte Carlo).

    Leader votes ~ Binomial(valid + invalid, observed share) and ballots issued ~
    Binomial(registered, observed turnout), independently
    (:func:`~analysis.stats.montecarlo.binomial_redraws`); then count integer stations.
    Slower than :func:`simulate_integer_counts_indicator` but independent of
    :func:`~analysis.stats.spikes.integer.integer_probability`, so tests use it to check
    that function.

    Parameters
    ----------
    sample : IntegerSample
    n_sims : int
        Number of null draws.
    rng : numpy.random.Generator
    tol : float, optional
        Integer tolerance in percentage points (default 0.05).
    chunk : int, optional
        Draws held at once (default 16).

    Returns
    -------
    dict
        Quantity -> int array of ``n_sims`` null counts.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.stats.spikes import kobak_sample
    >>> s = kobak_sample([50], [100], [0], [600], [1000], [1000])  # 100 ballots: always integer
    >>> simulate_integer_counts_binomial(s, 4, np.random.default_rng(0))["leader"].tolist()
    [1, 1, 1, 1]
    """
    counts = {name: np.empty(n_sims, dtype=np.int64) for name in QUANTITIES}
    done = 0
    redraws = binomial_redraws(
        (sample.leader, sample.turnout_count), (sample.counted, sample.registered), n_sims, rng, chunk=chunk
    )
    for x_l, x_t in redraws:
        m = x_l.shape[0]
        int_l = is_integer_percentage(x_l, sample.counted, tol)
        int_t = is_integer_percentage(x_t, sample.registered, tol)
        counts["leader"][done : done + m] = int_l.sum(axis=1)
        counts["turnout"][done : done + m] = int_t.sum(axis=1)
        counts["either"][done : done + m] = (int_l | int_t).sum(axis=1)
        done += m
    return counts
