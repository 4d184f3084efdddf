"""Histograms of turnout and leader share, and the election fingerprint (their 2-D histogram).

Values are fractions in the arguments and percentage points in the bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Rounding to the bin index (not comparing with float edges) keeps exact values such as 99/100
# in their bin whatever their floating-point representation; the epsilon breaks the tie of a
# value that lies exactly on a half-bin (e.g. 0.25 % in 0.5-point bins) upwards, always.
_INDEX_EPSILON = 1e-9


@dataclass(frozen=True)
class Histogram:
    """A 1-D histogram in percentage points.

    Bins are centred on multiples of ``resolution`` (edges at k·res − res/2), so integer
    percentages such as 100 % or 70 % fall in the middle of a bin rather than on an edge,
    where floating-point rounding would decide their bin (Kobak et al. 2016 use 0.1-point
    bins for the same reason).

    Attributes
    ----------
    variable : str
        What was counted (a label).
    edges, counts : numpy.ndarray
        Bin edges (percent) and the weight in each bin.
    resolution : float
        Bin width (percentage points).
    weighting : str
        ``"stations"`` or the name of the weights.
    n_values : int
        Values given.
    n_outside : int
        Values beyond the range (e.g. turnout above 100 %), not in ``counts``.
    """

    variable: str
    edges: np.ndarray
    counts: np.ndarray
    resolution: float
    weighting: str
    n_values: int
    n_outside: int

    @property
    def centers(self) -> np.ndarray:
        """Bin centres (percent)."""
        return (self.edges[:-1] + self.edges[1:]) / 2


def _centred_edges(resolution: float, upper: float) -> np.ndarray:
    if not resolution > 0:
        raise ValueError(f"resolution must be positive, got {resolution}")
    k = int(round(upper / resolution))
    if not np.isclose(k * resolution, upper):
        raise ValueError(f"upper limit {upper} is not a multiple of resolution {resolution}")
    return (np.arange(k + 2) - 0.5) * resolution


def _centred_index(percent: np.ndarray, resolution: float) -> np.ndarray:
    return np.floor(percent / resolution + 0.5 + _INDEX_EPSILON).astype(np.int64)


def histogram(
    values,
    *,
    resolution: float = 0.5,
    weights=None,
    weighting: str = "stations",
    variable: str = "",
    upper: float = 100.0,
) -> Histogram:
    """Histogram of fractions ``values`` in percentage-point bins of width ``resolution``.

    Parameters
    ----------
    values : array_like
        Fractions (e.g. station turnouts); NaN is an error.
    resolution : float
        Bin width in percentage points; bins are centred on 0, res, 2 res, …, ``upper``.
    weights : array_like, optional
        One weight per value; None counts values.
    weighting : str
        Name of the weights, kept in the result (``"stations"`` when ``weights`` is None).
    variable : str
        Label of the variable, kept in the result.
    upper : float
        Centre of the last bin (percent); a multiple of ``resolution``.

    Returns
    -------
    Histogram
        Edges, counts and the number of values outside the range.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), section 3
    (histograms of turnout and leader share in bins centred on integer percentages).

    Examples
    --------
    >>> h = histogram([0.5, 0.5, 1.0], resolution=50.0)
    >>> h.centers, h.counts
    (array([  0.,  50., 100.]), array([0., 2., 1.]))
    """
    x = 100.0 * np.asarray(values, dtype=float)
    if np.isnan(x).any():
        raise ValueError(f"histogram of {variable or 'values'}: {int(np.isnan(x).sum())} NaN values")
    w = None if weights is None else np.asarray(weights, dtype=float)
    edges = _centred_edges(resolution, upper)
    idx = _centred_index(x, resolution)
    inside = (idx >= 0) & (idx < edges.size - 1)
    counts = np.bincount(idx[inside], weights=None if w is None else w[inside], minlength=edges.size - 1)
    return Histogram(
        variable=variable,
        edges=edges,
        counts=counts.astype(float),
        resolution=float(resolution),
        weighting=weighting if w is not None else "stations",
        n_values=int(x.size),
        n_outside=int((~inside).sum()),
    )


@dataclass(frozen=True)
class Fingerprint:
    """Election fingerprint: the 2-D histogram of turnout (rows) and leader share (columns).

    Attributes
    ----------
    x_edges, y_edges : numpy.ndarray
        Bin edges of turnout and leader share (percent).
    counts : numpy.ndarray
        ``counts[i, j]``: weight of stations with turnout in bin i and leader share in bin j.
    resolution : float
        Bin width (percentage points).
    weighting : str
        ``"stations"`` or the name of the weights.
    n_values : int
        Stations given.
    n_outside : int
        Stations outside [0, 100] % on either axis, not in ``counts``.
    """

    x_edges: np.ndarray
    y_edges: np.ndarray
    counts: np.ndarray
    resolution: float
    weighting: str
    n_values: int
    n_outside: int

    @property
    def density(self) -> np.ndarray:
        """``counts`` divided by their total (sums to 1), as Klimek et al. compare fingerprints."""
        return self.counts / self.counts.sum()


def fingerprint(
    turnout,
    leader_share,
    *,
    weights=None,
    weighting: str = "voters",
    resolution: float = 1.0,
    bins: int | None = None,
) -> Fingerprint:
    """2-D histogram of turnout (x) against leader share (y), both in percent.

    Parameters
    ----------
    turnout, leader_share : array_like
        Fractions, one pair per station.
    weights : array_like, optional
        One weight per station (e.g. voters, for a log colour scale); None counts stations.
    weighting : str
        Name of the weights, kept in the result (``"stations"`` when ``weights`` is None).
    resolution : float
        Bin width in percentage points, bins centred on multiples of it (0, res, …, 100), so
        integer percentages lie mid-bin. Ignored when ``bins`` is given.
    bins : int, optional
        Instead of centred bins: ``bins`` equal bins a side on [0, 100] % with edges at
        multiples of 100 / ``bins`` (a station at exactly 100 % is in the last bin), the
        binning of Klimek et al. and of :mod:`analysis.stats.klimek`.

    Returns
    -------
    Fingerprint
        Counts per (turnout, leader share) bin; ``density`` normalises them.

    References
    ----------
    Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection of
    systematic election irregularities. *PNAS* 109(41), 16469-16473, Fig. 1: fraud shows
    as a smear towards, and a cluster at, the (100 %, 100 %) corner.

    Examples
    --------
    >>> fp = fingerprint([0.05, 0.05, 0.95, 1.0], [0.1, 0.1, 0.5, 1.0], bins=2)
    >>> fp.density
    array([[0.5, 0. ],
           [0. , 0.5]])
    >>> fingerprint([0.5], [1.0], resolution=50.0).counts
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]])
    """
    t = np.asarray(turnout, dtype=float)
    v = np.asarray(leader_share, dtype=float)
    if t.shape != v.shape:
        raise ValueError("turnout and leader_share must have the same shape")
    if bins is None:
        edges = _centred_edges(resolution, 100.0)
        nb = edges.size - 1
        ix, iy = _centred_index(100.0 * t, resolution), _centred_index(100.0 * v, resolution)
        inside = (ix >= 0) & (ix < nb) & (iy >= 0) & (iy < nb)
        ix, iy = ix[inside], iy[inside]
    else:
        nb = int(bins)
        if nb < 1:
            raise ValueError(f"bins must be a positive integer, got {bins}")
        resolution = 100.0 / nb
        edges = np.arange(nb + 1) * resolution
        inside = (t >= 0) & (t <= 1) & (v >= 0) & (v <= 1)
        if not inside.all():
            t, v = t[inside], v[inside]
        # floor(x · bins), with x = 1 (100 %) in the last bin.
        ix = np.minimum((t * nb).astype(np.int64), nb - 1)
        iy = np.minimum((v * nb).astype(np.int64), nb - 1)
    w = None if weights is None else np.asarray(weights, dtype=float)[inside]
    flat = np.bincount(ix * nb + iy, weights=w, minlength=nb * nb)
    return Fingerprint(
        x_edges=edges,
        y_edges=edges,
        counts=flat.reshape(nb, nb).astype(float),
        resolution=float(resolution),
        weighting=weighting if weights is not None else "stations",
        n_values=int(inside.size),
        n_outside=int((~inside).sum()),
    )
