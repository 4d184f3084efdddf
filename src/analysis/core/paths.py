"""Project paths. ``ELECTION_FORENSICS_ROOT`` overrides the root (tests use a temp copy).

Paths built from an election id accept only ids matching :data:`ELECTION_ID`, so that no id
can name a folder outside ``data/processed/`` or ``reports/`` (``../../config``, say).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(os.environ.get("ELECTION_FORENSICS_ROOT", Path(__file__).resolve().parents[3]))
CONFIG = ROOT / "config"
DATA_RAW = ROOT / "data" / "raw"
DATA_EXTERNAL = DATA_RAW / "external"
DATA_PROCESSED = ROOT / "data" / "processed"
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
FIGURES = REPORTS / "figures"
RESULTS = REPORTS / "results"
RENDERED = REPORTS / "notebooks"
ELECTION_ID = re.compile(r"[a-z0-9_]+")


def checked_election(election: str) -> str:
    """``election`` unchanged if it is a valid id (lower-case letters, digits, ``_``); else ValueError.

    >>> checked_election("ru2011")
    'ru2011'
    >>> checked_election("../../config/elections/g")
    Traceback (most recent call last):
    ValueError: '../../config/elections/g' is not a valid election id (lower-case letters, digits and _ only)
    """
    if not isinstance(election, str) or not ELECTION_ID.fullmatch(election):
        raise ValueError(f"{election!r} is not a valid election id (lower-case letters, digits and _ only)")
    return election


def processed_dir(election: str) -> Path:
    return DATA_PROCESSED / checked_election(election)


def figures_dir(election: str) -> Path:
    return FIGURES / checked_election(election)


def results_path(election: str, notebook: str) -> Path:
    return RESULTS / checked_election(election) / f"{notebook}.json"
