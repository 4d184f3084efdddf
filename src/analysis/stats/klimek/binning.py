"""Linear (cloud-in-cell) binning of the Klimek fingerprint: continuous in the station rates."""

from __future__ import annotations

import numpy as np

#: Fingerprint binnings of the Klimek fit: ``linear`` (:func:`linear_binned`) or ``hard`` (one bin per station).
BINNINGS = ("linear", "hard")


def _linear_corner(x: np.ndarray, bins: int):
    """Lower neighbouring bin centre of every x, and the weight of the upper one."""
    position = np.clip(x * bins - 0.5, 0.0, bins - 1.0)  # in bin-centre units; beyond the outer centres: clamped
    lower = np.minimum(position.astype(np.int64), bins - 2)
    return lower, position - lower


def linear_binned(turnout, leader_share, bins: int) -> np.ndarray:
    """Linearly binned (cloud-in-cell) fingerprint: ``bins`` × ``bins`` on [0, 1]², summing to 1.

    Each station's unit weight is shared bilinearly among the four bin centres (i + ½) / bins
    around it (a station beyond the outermost centres gives its weight to them), so the
    fingerprint is a continuous, piecewise-linear function of the station rates — and of the
    fraud parameters that move the simulated stations. A hard histogram is piecewise constant
    in them, and Nelder–Mead stops on its steps.

    Parameters
    ----------
    turnout, leader_share : array_like
        Station rates (fractions; non-finite ones are left out).
    bins : int
        Bins a side (at least 2).

    Returns
    -------
    numpy.ndarray
        (bins, bins) weights, turnout along the first axis, normalised to sum 1.

    References
    ----------
    Wand, M. P. & Jones, M. C. (1995). *Kernel Smoothing*, Chapman & Hall, appendix D
    (linear binning); Fan, J. & Marron, J. S. (1994). Fast implementations of nonparametric
    curve estimators. *J. Comput. Graph. Stat.* 3(1), 35-56.

    Examples
    --------
    >>> linear_binned([0.5], [0.25], 2)  # midway between the turnout centres, on a share centre
    array([[0.5, 0. ],
           [0.5, 0. ]])
    """
    t, v = np.asarray(turnout, dtype=float), np.asarray(leader_share, dtype=float)
    finite = np.isfinite(t) & np.isfinite(v)
    if not finite.all():
        t, v = t[finite], v[finite]
    it, wt = _linear_corner(t, bins)
    iv, wv = _linear_corner(v, bins)
    corner = it * bins + iv
    low_t = 1.0 - wt
    size = bins * bins
    flat = np.bincount(corner, low_t * (1.0 - wv), minlength=size)
    flat += np.bincount(corner + 1, low_t * wv, minlength=size)
    flat += np.bincount(corner + bins, wt * (1.0 - wv), minlength=size)
    flat += np.bincount(corner + bins + 1, wt * wv, minlength=size)
    return (flat / flat.sum()).reshape(bins, bins)
