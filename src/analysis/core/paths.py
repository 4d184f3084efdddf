"""Project paths. ``ELECTION_FORENSICS_ROOT`` overrides the root (tests use a temp copy)."""

from __future__ import annotations

import os
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


def processed_dir(election: str) -> Path:
    return DATA_PROCESSED / election


def figures_dir(election: str) -> Path:
    return FIGURES / election


def results_path(election: str, notebook: str) -> Path:
    return RESULTS / election / f"{notebook}.json"
