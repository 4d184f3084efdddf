"""Monte Carlo nulls shared by the tests: binomial redraws of station counts and the MC p-value.

``binomial_redraws`` is the size-aware null of the digit and integer-percentage tests: each
station's count is redrawn as Binomial(size, observed rate), so a test statistic's null
distribution reflects the station sizes actually observed (Mebane 2006; Kobak, Shpilkin &
Pshenichnikov 2016). ``mc_pvalue`` is the Monte Carlo p-value with the +1 correction of
Davison & Hinkley (1997, eq. 4.11), never below 1 / (n_sims + 1).

References
----------
Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their Application*.
Cambridge University Press, section 4.2 (eq. 4.11).

Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73, section 3.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

ALTERNATIVES = ("two-sided", "greater", "less")
_CHUNK_ELEMENTS = 2_000_000  # redrawn counts held at once by default (16 MB of int64)


def _redraw_rate(counts, sizes):
    counts = np.asarray(counts, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    if counts.shape != sizes.shape:
        raise ValueError(f"binomial_redraws: counts {counts.shape} and sizes {sizes.shape} differ in shape")
    return sizes, np.divide(counts, sizes, out=np.zeros(counts.shape), where=sizes > 0)


def binomial_redraws(counts, sizes, n_sims: int, rng, *, chunk: int | None = None) -> Iterator:
    """Redraw station counts as Binomial(size, observed rate), in chunks of draws.

    Parameters
    ----------
    counts, sizes : array_like of int, or tuple of such arrays
        Observed counts and their sizes (binomial ``n``), one entry per station; the rate of
        a station is ``count / size`` (0 where the size is 0). A *tuple* of arrays redraws
        several quantities together (e.g. leader votes out of ballots and ballots out of
        registered voters): each chunk then holds one array per quantity, drawn one after
        the other within the chunk.
    n_sims : int
        Number of redraws in all.
    rng : numpy.random.Generator
        Source of randomness.
    chunk : int, optional
        Redraws per chunk; default keeps about two million counts per chunk.

    Yields
    ------
    numpy.ndarray or tuple of numpy.ndarray
        Redrawn counts of shape ``(m, stations)`` with ``m <= chunk`` (a tuple of them for a
        tuple of quantities); the ``m`` sum to ``n_sims``.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), AoAS 10(1), section 3 (the binomial null of
    integer percentages); Mebane (2006) for digit tests.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> [x.shape for x in binomial_redraws([3, 5], [10, 10], 5, rng, chunk=2)]
    [(2, 2), (2, 2), (1, 2)]
    >>> [tuple(a.shape for a in x) for x in binomial_redraws(([3], [60]), ([10], [100]), 3, rng)]
    [((3, 1), (3, 1))]
    """
    several = isinstance(counts, tuple)
    if several != isinstance(sizes, tuple) or (several and len(counts) != len(sizes)):
        raise ValueError("binomial_redraws: give counts and sizes both as arrays or as tuples of equal length")
    pairs = [_redraw_rate(c, s) for c, s in zip(counts, sizes)] if several else [_redraw_rate(counts, sizes)]
    n_entries = sum(size.size for size, _ in pairs)
    if chunk is None:
        chunk = max(1, min(n_sims, _CHUNK_ELEMENTS // max(1, n_entries)))
    done = 0
    while done < n_sims:
        m = min(chunk, n_sims - done)
        draws = tuple(rng.binomial(size, rate, size=(m, size.size)) for size, rate in pairs)
        yield draws if several else draws[0]
        done += m


def mc_pvalue(observed: float, draws, alternative: str = "two-sided") -> float:
    """Monte Carlo p-value of an observed statistic against draws from its null.

    ``greater``: (1 + #{draws >= observed}) / (n + 1); ``less``: the same with ``<=``;
    ``two-sided``: twice the smaller of the two, at most 1. Non-finite draws are dropped.

    Parameters
    ----------
    observed : float
        The observed statistic.
    draws : array_like
        The statistic on ``n`` data sets drawn under the null hypothesis.
    alternative : {'two-sided', 'greater', 'less'}
        Direction of the departure from the null that counts as evidence against it.

    Returns
    -------
    float
        The p-value, never below 1 / (n + 1); NaN when ``observed`` is not finite or no
        draw is.

    References
    ----------
    Davison & Hinkley (1997), *Bootstrap Methods and their Application*, eq. 4.11.

    Examples
    --------
    >>> draws = [1.0, 2.0, 3.0, 4.0]
    >>> mc_pvalue(4.0, draws, "greater")
    0.4
    >>> mc_pvalue(4.0, draws, "less")
    1.0
    >>> mc_pvalue(10.0, draws, "two-sided")
    0.4
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative={alternative!r}: expected one of {ALTERNATIVES}")
    draws = np.asarray(draws)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0 or not np.isfinite(observed):
        return float("nan")
    ge = (1 + np.sum(draws >= observed)) / (draws.size + 1)
    if alternative == "greater":
        return float(ge)
    le = (1 + np.sum(draws <= observed)) / (draws.size + 1)
    if alternative == "less":
        return float(le)
    return float(min(1.0, 2 * min(ge, le)))
