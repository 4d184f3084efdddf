"""Kazakhstan 2011 from the OSCE/ODIHR final report: an *embedded* adapter (nothing to download).

The data are transcribed into the repository (``data/raw/kz2011/``) and are region-level, so
this adapter has no canonical polling-station tables to return: it builds its own processed
tables (:func:`analysis.data.kz2011.build_processed`). Embedded adapters are marked
``embedded = True`` and called as ``adapt(raw_dir, entry, election, out_dir)``.
"""

from __future__ import annotations

from pathlib import Path

from analysis.core import registry
from analysis.data import kz2011


@registry.adapter("kz2011_osce")
def adapt(raw_dir: Path, entry: dict, election: str, out_dir: Path) -> dict[str, Path]:
    """Build ``out_dir`` from the raw transcription in ``raw_dir``; ``{table: path}``."""
    return kz2011.build_processed(raw_dir, out_dir)


adapt.embedded = True
adapt.entry_keys = {}  # the common catalog keys only
