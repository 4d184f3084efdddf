"""Digit tests registered for calibration on synthetic elections.

Each function takes ``(stations, votes, leader, rng)`` and returns one p-value of a digit
test of the leader's votes per station, sizes = valid + invalid ballots.
:mod:`analysis.synthetic.calibration` runs every test in
:data:`analysis.core.registry.CALIBRATION_TESTS`. Textbook p-values are analytic; size-aware
ones use 49 Monte Carlo draws (p-values on a grid of 1/50, smallest 0.02 one-sided, 0.04
two-sided: enough to estimate rejection rates at alpha = 0.05, and cheap); bootstrap
intervals are skipped.
"""

from __future__ import annotations

import numpy as np

from analysis.core.registry import calibration_test
from analysis.stats import measures
from analysis.stats.digits.eft import c05s, lastc, twobl
from analysis.stats.digits.lastdigit import last_digit_chi2

_SIZEAWARE_SIMS = 49

_PARAMETERS = """
    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical station and long votes tables.
    leader : str
        The candidate whose votes are tested.
    rng : numpy.random.Generator
        Source of the Monte Carlo draws (unused by textbook p-values).

    Returns
    -------
    float
        The p-value.

"""


def _leader_counts_and_sizes(stations, votes, leader):
    lv = measures.leader_votes(stations, votes, leader)
    size = measures.ballots_counted(stations)
    ok = np.isfinite(lv) & np.isfinite(size) & (size > 0)
    return lv[ok].astype(np.int64), size[ok].astype(np.int64)


def _pvalue(test, stations, votes, leader, rng, sizeaware: bool, **kw) -> float:
    c, s = _leader_counts_and_sizes(stations, votes, leader)
    r = test(c, s, n_sims=_SIZEAWARE_SIMS if sizeaware else 0, seed=rng, **kw)
    return r.pvalue_sizeaware if sizeaware else r.pvalue


@calibration_test("last_digit_chi2")
def calibration_last_digit_chi2(stations, votes, leader, rng) -> float:
    """Textbook p-value of the last-digit chi-square (counts >= 100).

    Null hypothesis: uniform, independent last digits.
    {parameters}
    References
    ----------
    Beber & Scacco (2012), Political Analysis 20(2), 211-234, section 3.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> key = {"election": "x", "region": "r", "district": "d", "station": [str(i) for i in range(40)]}
    >>> valid = np.arange(40) * 37 + 400
    >>> stations = pd.DataFrame({**key, "valid": valid, "invalid": 0})
    >>> votes = pd.DataFrame({**key, "candidate": "A", "votes": valid * 2 // 5})
    >>> round(calibration_last_digit_chi2(stations, votes, "A", np.random.default_rng(0)), 3)
    0.876
    """
    return _pvalue(last_digit_chi2, stations, votes, leader, rng, False)


@calibration_test("last_digit_sizeaware")
def calibration_last_digit_sizeaware(stations, votes, leader, rng) -> float:
    """Size-aware (Binomial(size, rate), 49 draws) p-value of the last-digit chi-square.
    {parameters}
    References
    ----------
    Beber & Scacco (2012), section 3; size-aware null as in :mod:`analysis.stats.digits`.

    Examples
    --------
    >>> from analysis.core import registry
    >>> registry.CALIBRATION_TESTS["last_digit_sizeaware"] is calibration_last_digit_sizeaware
    True
    """
    return _pvalue(last_digit_chi2, stations, votes, leader, rng, True)


@calibration_test("lastc")
def calibration_lastc(stations, votes, leader, rng) -> float:
    """Textbook p-value of ``LastC`` (mean last digit of counts >= 10 against 4.5).
    {parameters}
    References
    ----------
    Hicken & Mebane (2017), A Guide to Election Forensics (EFT ``LastC``).

    Examples
    --------
    >>> from analysis.core import registry
    >>> registry.CALIBRATION_TESTS["lastc"] is calibration_lastc
    True
    """
    return _pvalue(lastc, stations, votes, leader, rng, False, n_boot=0)


@calibration_test("lastc_sizeaware")
def calibration_lastc_sizeaware(stations, votes, leader, rng) -> float:
    """Size-aware (49 draws) p-value of ``LastC``.
    {parameters}
    References
    ----------
    Hicken & Mebane (2017) (EFT ``LastC``); size-aware null as in :mod:`analysis.stats.digits`.

    Examples
    --------
    >>> from analysis.core import registry
    >>> registry.CALIBRATION_TESTS["lastc_sizeaware"] is calibration_lastc_sizeaware
    True
    """
    return _pvalue(lastc, stations, votes, leader, rng, True, n_boot=0)


@calibration_test("c05s")
def calibration_c05s(stations, votes, leader, rng) -> float:
    """Textbook p-value of ``C05s`` (share of last digits 0 or 5 against 0.2).
    {parameters}
    References
    ----------
    Hicken & Mebane (2017), A Guide to Election Forensics (EFT ``C05s``).

    Examples
    --------
    >>> from analysis.core import registry
    >>> registry.CALIBRATION_TESTS["c05s"] is calibration_c05s
    True
    """
    return _pvalue(c05s, stations, votes, leader, rng, False, n_boot=0)


@calibration_test("twobl")
def calibration_twobl(stations, votes, leader, rng) -> float:
    """Textbook p-value of ``_2BL`` (mean second digit against Benford's 4.187).
    {parameters}
    References
    ----------
    Mebane (2006), Election forensics: vote counts and Benford's law.

    Examples
    --------
    >>> from analysis.core import registry
    >>> registry.CALIBRATION_TESTS["twobl"] is calibration_twobl
    True
    """
    return _pvalue(twobl, stations, votes, leader, rng, False, n_boot=0)


@calibration_test("twobl_sizeaware")
def calibration_twobl_sizeaware(stations, votes, leader, rng) -> float:
    """Size-aware (49 draws) p-value of ``_2BL``.
    {parameters}
    References
    ----------
    Mebane (2006); size-aware null as in :mod:`analysis.stats.digits`.

    Examples
    --------
    >>> from analysis.core import registry
    >>> registry.CALIBRATION_TESTS["twobl_sizeaware"] is calibration_twobl_sizeaware
    True
    """
    return _pvalue(twobl, stations, votes, leader, rng, True, n_boot=0)


for _fn in (
    calibration_last_digit_chi2,
    calibration_last_digit_sizeaware,
    calibration_lastc,
    calibration_lastc_sizeaware,
    calibration_c05s,
    calibration_twobl,
    calibration_twobl_sizeaware,
):
    if _fn.__doc__:  # None under python -OO
        _fn.__doc__ = _fn.__doc__.replace("    {parameters}\n", _PARAMETERS)
del _fn
