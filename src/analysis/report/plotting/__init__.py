"""Figures. Plotting functions take results and tables; they never recompute statistics.

``save_figure`` writes PNG and SVG with dates stripped from their metadata, so a figure
made twice from the same data is byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from analysis.core import paths  # noqa: E402

plt.rcParams.update(
    {
        "figure.dpi": 100,
        "savefig.dpi": 120,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "font.size": 10,
        "svg.hashsalt": "election-forensics",
        "svg.fonttype": "none",
    }
)

SYNTHETIC_LABEL = "SYNTHETIC DATA"


def save_figure(fig, election: str, notebook: str, name: str, root: Path | None = None) -> list[Path]:
    """Save ``fig`` as reports/figures/<election>/<notebook>__<name>.{png,svg}; return the paths."""
    out_dir = (root / election) if root else paths.figures_dir(election)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        path = out_dir / f"{notebook}__{name}.{ext}"
        fig.savefig(path, format=ext, bbox_inches="tight", metadata=meta)
        written.append(path)
    return written


def label_synthetic(fig, text: str = SYNTHETIC_LABEL) -> None:
    """Stamp a figure made from synthetic elections so it can never pass for real data."""
    fig.text(0.99, 0.01, text, ha="right", va="bottom", fontsize=9, color="crimson", weight="bold", alpha=0.8)
