"""Integer percentages in exact arithmetic, and the exact probability that a binomial lands on one.

Whether a count ``k`` out of ``n`` is an integer percentage is decided in exact integer
arithmetic: ``100 k / n`` lies within ``tol`` of the integer ``j`` iff
``|100 k - j n| <= tol n``; with ``tol = a / b`` as a fraction this is
``b * dist <= a * n`` where ``dist = min(100k mod n, n - 100k mod n)``. (A floating-point
``abs(p - round(p)) <= 0.05`` flips some exact boundary cases such as 1.05 %, so observed
and null would not use quite the same set.)

The probability that ``Binomial(n, p)`` lands on an integer percentage is the finite sum of
the pmf over those ``k``; :func:`integer_probability` sums it over the ``k`` within
``t = 37/3 + sqrt(37^2/9 + 74 var)`` of the mean (:func:`~analysis.stats.poisson_binomial.bernstein_margin`),
where Bernstein's inequality bounds the neglected mass by ``2 exp(-37) < 2e-16`` per station
(double-precision rounding of q itself), enumerating only the integer-landing ``k`` as a
ragged array, once per distinct (n, p), with the pmf from a log-gamma table.

References
----------
Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73, section 3.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy import special

from analysis.stats.poisson_binomial import bernstein_margin


def _tolerance_fraction(tol: float) -> Fraction:
    if not 0 <= tol < 0.5:
        raise ValueError(f"tol={tol!r}: the integer tolerance must lie in [0, 0.5) percentage points")
    return Fraction(tol).limit_denominator(10**6)


def is_integer_percentage(k, n, tol: float = 0.05, *, scale: int = 100) -> np.ndarray:
    """True where ``scale k / n`` is within ``tol`` of an integer (exact integer arithmetic).

    Parameters
    ----------
    k, n : array_like of int
        Counts and their denominators (broadcast); every ``n`` must be positive.
    tol : float, optional
        Half-width of the window around each integer, in units of ``1 / scale``
        (default 0.05 percentage points, Kobak et al.'s choice); in [0, 0.5).
    scale : int, optional
        100: whole percentages (Kobak et al.); 10000: two-decimal percentages (then ``tol``
        is in hundredths of a point).

    Returns
    -------
    numpy.ndarray of bool
        Of the broadcast shape of ``k`` and ``n``.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3 (integer percentages: within 0.05 points of an integer).

    Examples
    --------
    >>> is_integer_percentage([1, 21, 22, 1], [2000, 2000, 2000, 3])  # 0.05 %, 1.05 %, 1.1 %, 33.3 %
    array([ True,  True, False, False])
    >>> bool(is_integer_percentage(43_100, 1_000_000, scale=10_000))  # 4.31 %
    True
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


def integer_probability(n, p, tol: float = 0.05, *, max_elements: int = 32_768, scale: int = 100) -> np.ndarray:
    """P(scale X / n is within ``tol`` of an integer) for X ~ Binomial(n, p), per station.

    Exact finite sum of binomial pmf terms (Kobak et al. 2016's null, computed analytically
    instead of by simulation): for each station only the counts ``k`` that land on an integer
    (for each integer ``j``, ``ceil(n (j - tol) / scale) <= k <= floor(n (j + tol) / scale)``)
    and lie within the Bernstein window ``mu +/- t`` are enumerated, as a ragged array (no
    padding), and their pmf exp(log C(n, k) + k log p + (n - k) log(1 - p)) (log-factorials from
    a table) is summed per station. Truncation error at most ``2 exp(-37)`` per station.
    Stations sharing (n, p) are computed once.

    Parameters
    ----------
    n : array_like of int
        Binomial sizes (positive).
    p : array_like of float
        Binomial rates in [0, 1], of the shape of ``n``.
    tol : float, optional
        As in :func:`is_integer_percentage` (default 0.05).
    max_elements : int, optional
        Bound on the (station, k) terms held at once.
    scale : int, optional
        As in :func:`is_integer_percentage` (default 100).

    Returns
    -------
    numpy.ndarray of float
        q, of the shape of ``n``.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 3 (the binomial null); Bernstein's inequality for the window.

    Examples
    --------
    >>> q = integer_probability([3, 100], [0.3, 0.5])
    >>> round(float(q[0]), 6)  # only 0 % and 100 %: 0.7**3 + 0.3**3
    0.37
    >>> round(float(q[1]), 4)  # every count of 100 is an integer percentage
    1.0
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
    margin = bernstein_margin(mu * (1 - pp_all))
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


def percentage_histogram(values_pct, *, bin_width: float = 0.1, lo: float = 0.0, hi: float = 100.0):
    """Counts of percentages in bins of ``bin_width`` points centred on multiples of it.

    With width 0.1, the bin centred on an integer j holds exactly the values within 0.05 of
    j, so integer spikes show as isolated tall bins (Kobak et al. 2016, figure 1).

    Parameters
    ----------
    values_pct : array_like of float
        Percentages; non-finite values are dropped.
    bin_width : float, optional
        Bin width in percentage points (default 0.1).
    lo, hi : float, optional
        Centres of the first and last bins (default 0 and 100).

    Returns
    -------
    centres : numpy.ndarray
        Bin centres.
    counts : numpy.ndarray of int
        Values in each bin.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1), 54-73,
    section 2 and figure 1 (histograms at 0.1 % resolution).

    Examples
    --------
    >>> centres, counts = percentage_histogram([50.0, 50.04, 50.06, 99.96])
    >>> float(centres[500]), int(counts[500]), int(counts[501]), int(counts[1000])
    (50.0, 2, 1, 1)
    """
    values = np.asarray(values_pct, dtype=float)
    values = values[np.isfinite(values)]
    n_bins = int(round((hi - lo) / bin_width)) + 1
    edges = lo - bin_width / 2 + bin_width * np.arange(n_bins + 1)
    counts, _ = np.histogram(values, bins=edges)
    return lo + bin_width * np.arange(n_bins), counts
