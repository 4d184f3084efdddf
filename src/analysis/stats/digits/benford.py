"""Digits of vote counts: last and second significant digits, Benford's second-digit law, and the
per-station quantities the digit tests average.

References
----------
Mebane, W. R. Jr. (2006). Election forensics: vote counts and Benford's law. Political
Methodology Summer Meeting (Benford's second-digit law, eq. 1).

Beber, B. & Scacco, A. (2012). What the numbers say: a digit-based test for election fraud.
*Political Analysis* 20(2), 211-234, section 3 (last digits and last-digit pairs).
"""

from __future__ import annotations

import numpy as np

_POW10 = 10 ** np.arange(19, dtype=np.int64)


def benford_second_digit_probabilities() -> np.ndarray:
    """P(second significant digit = d), d = 0..9, under Benford's law.

    P(d) = sum_{k=1}^{9} log10(1 + 1 / (10 k + d)).

    Returns
    -------
    numpy.ndarray
        Ten probabilities summing to 1.

    References
    ----------
    Hill, T. P. (1995). A statistical derivation of the significant-digit law. *Statistical
    Science* 10(4), 354-363; Mebane (2006), eq. 1.

    Examples
    --------
    >>> benford_second_digit_probabilities().round(4).tolist()[:3]
    [0.1197, 0.1139, 0.1088]
    """
    k = np.arange(1, 10)[:, None]
    d = np.arange(10)[None, :]
    return np.log10(1.0 + 1.0 / (10 * k + d)).sum(axis=0)


BENFORD_SECOND = benford_second_digit_probabilities()
BENFORD_SECOND_MEAN = float(np.dot(np.arange(10), BENFORD_SECOND))  # 4.18738...
BENFORD_SECOND_VAR = float(np.dot(np.arange(10) ** 2, BENFORD_SECOND) - BENFORD_SECOND_MEAN**2)


def last_digit(counts) -> np.ndarray:
    """Last digit of each count.

    Parameters
    ----------
    counts : array_like of int
        Non-negative counts.

    Returns
    -------
    numpy.ndarray of int

    References
    ----------
    Beber & Scacco (2012), Political Analysis 20(2), 211-234, section 3.

    Examples
    --------
    >>> last_digit([5, 10, 123, 98765]).tolist()
    [5, 0, 3, 5]
    """
    return np.mod(np.asarray(counts, dtype=np.int64), 10)


def second_digit(counts) -> np.ndarray:
    """Second significant digit of each count (counts below 10 get -1: they have none).

    Parameters
    ----------
    counts : array_like of int
        Non-negative counts.

    Returns
    -------
    numpy.ndarray of int

    References
    ----------
    Mebane (2006), the ``_2BL`` statistic.

    Examples
    --------
    >>> second_digit([5, 10, 19, 123, 2500]).tolist()
    [-1, 0, 9, 2, 5]
    """
    x = np.asarray(counts, dtype=np.int64)
    n_digits = np.searchsorted(_POW10, x, side="right")  # 10 -> 2, 99 -> 2, 100 -> 3
    divisor = _POW10[np.clip(n_digits - 2, 0, None)]
    return np.where(x >= 10, np.mod(x // divisor, 10), -1)


def integer_percentage(counts, totals) -> np.ndarray:
    """round(100 counts / totals) with halves rounded up, in exact integer arithmetic.

    Parameters
    ----------
    counts, totals : array_like of int
        Counts and their positive totals.

    Returns
    -------
    numpy.ndarray of int

    References
    ----------
    Hicken & Mebane (2017), A Guide to Election Forensics, USAID DRG Center (``P05s``: the
    leader's rounded integer percentage).

    Examples
    --------
    >>> integer_percentage([1, 1, 2, 1], [40, 3, 3, 8]).tolist()  # 2.5 % and 12.5 % round up
    [3, 33, 67, 13]
    """
    c = np.asarray(counts, dtype=np.int64)
    t = np.asarray(totals, dtype=np.int64)
    return (200 * c + t) // (2 * t)


# Per-station quantities: each returns (value, eligible) arrays of the shape of x (draws x
# stations); the statistic is the mean of value over eligible entries, so the filter is
# re-applied to every redraw.


def _q_last_digit(x, totals, min_count):
    return last_digit(x).astype(float), x >= min_count


def _q_c05(x, totals, min_count):
    return (np.mod(last_digit(x), 5) == 0).astype(float), x >= min_count


def _q_p05(x, totals, min_count):
    return _on_five_percent(x, totals).astype(float), np.broadcast_to(np.asarray(totals) > 0, np.shape(x))


def _on_five_percent(x, totals):
    # integer_percentage(x, t) = floor((200 x + t) / 2t) ends in 0 or 5 iff (200 x + t) mod 10t < 2t;
    # computed in float64, exact for integers below 2**53 (the floor of their quotient is exact),
    # several times faster than int64 division on the redraws; in place, as the redraws of a
    # size-aware null make these the largest arrays of the digit tests. False where t = 0.
    t = np.asarray(totals, dtype=float)
    ten_t = 10.0 * t
    remainder = np.multiply(x, 200.0)
    remainder += t
    with np.errstate(invalid="ignore", divide="ignore"):
        quotient = np.divide(remainder, ten_t)
        np.floor(quotient, out=quotient)
        quotient *= ten_t
        remainder -= quotient
        return remainder < 2.0 * t


def _q_second_digit(x, totals, min_count):
    return second_digit(x).astype(float), x >= max(10, min_count)


def _q_repeated(x, totals, min_count):
    return ((np.mod(x // 10, 10)) == np.mod(x, 10)).astype(float), x >= max(10, min_count)


def _q_adjacent(x, totals, min_count):
    return (np.abs(np.mod(x // 10, 10) - np.mod(x, 10)) == 1).astype(float), x >= max(10, min_count)


def _row_means(value, eligible):
    n = eligible.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(eligible, value, 0.0).sum(axis=-1) / n


def _row_chi2(x, totals, min_count):
    digits = last_digit(x)
    eligible = x >= min_count
    rows = x.shape[0]
    flat = np.where(eligible, digits + 10 * np.arange(rows)[:, None], -1).ravel()
    hist = np.bincount(flat[flat >= 0], minlength=10 * rows).reshape(rows, 10)
    n = hist.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = n / 10.0
        return ((hist - expected) ** 2 / expected).sum(axis=1)
