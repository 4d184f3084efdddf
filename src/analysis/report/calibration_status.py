"""Whether each test is calibrated, from the committed calibration study (for verdict tables).

:func:`calibration_status` reads ``data/calibration/type1_study.json`` (written by
``python -m analysis.synthetic.calibration.study``) and returns, per registered test, its
status (``calibrated``, ``uncalibrated``, ``stale`` when the test's code changed since the
study, ``not in study``) with its measured type-I error and interval. A verdict table shows
a test that is not ``calibrated`` with that flag and rate beside its verdict.
"""

from __future__ import annotations

from pathlib import Path

from analysis.synthetic.calibration import registered_tests
from analysis.synthetic.calibration.study import CalibrationStatus, read_study, study_status

#: The calibration scenario closest to each country's elections.
SCENARIO_BY_COUNTRY = {"kz": "kz2011-like", "pl": "pl2020-like", "ru": "ru2011-like"}


def calibration_status(scenario: str | None = None, path: Path | None = None) -> dict[str, CalibrationStatus]:
    """``{test: CalibrationStatus(status, rate, ci_low, ci_high, n, scenario, reason)}`` from the committed study.

    Parameters
    ----------
    scenario : str, optional
        Only this scenario's rows (e.g. ``"ru2011-like"`` for a Russian election,
        :data:`SCENARIO_BY_COUNTRY`); by default a test is calibrated only if it is in every
        scenario, and the worst scenario's rate is given.
    path : path, optional
        The study file (default ``data/calibration/type1_study.json``).

    Returns
    -------
    dict
        Every registered test; ``not in study`` where the study has no row for it.

    Examples
    --------
    >>> status = calibration_status()
    >>> {s.status for s in status.values()} <= {"calibrated", "uncalibrated", "stale", "not in study"}
    True
    """
    return study_status(read_study(path), registered_tests(), scenario)
