"""Figures. Plotting functions take results and tables; they never recompute statistics.

``save_figure`` writes PNG and SVG with dates stripped from their metadata, so a figure
made twice from the same data is byte-identical.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.layout_engine import PlaceHolderLayoutEngine  # noqa: E402
from matplotlib.patches import StepPatch  # noqa: E402

from analysis.core import paths  # noqa: E402
from analysis.report.plotting.labels import make_readable  # noqa: E402

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

# The palette of every figure: the election under study, its control, then further series.
ELECTION_COLOR = "#1f4e79"
CONTROL_COLOR = "#d95f02"
NULL_COLOR = "#7f7f7f"  # null distributions and envelopes
PALETTE = (ELECTION_COLOR, CONTROL_COLOR, "#1b9e77", "#7570b3")


def series_colors(n: int) -> list[str]:
    """Colours of ``n`` series in order (election, control, ...); matplotlib's cycle beyond the palette."""
    return list(PALETTE[:n]) if n <= len(PALETTE) else [f"C{i}" for i in range(n)]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten_label(value: float, pos=None) -> str:
    """Tick label of a log or symlog axis: ``±10ⁿ`` in Unicode superscripts, ``0``, else ``%g``.

    The picture of matplotlib's default log labels (``$10^{n}$``) without mathtext, whose
    parser takes about 10 ms a label at each resolution a figure is drawn at: a third of the
    time of a many-panel log-axis figure (issue 10, "Speed"). Use as
    ``axis.set_major_formatter(FuncFormatter(power_of_ten_label))``.

    Examples
    --------
    >>> [power_of_ten_label(v) for v in (-1000.0, 0.0, 1.0, 100.0, 1e-4, 25.0)]
    ['−10³', '0', '10⁰', '10²', '10⁻⁴', '25']
    """
    if value == 0:
        return "0"
    exponent = round(math.log10(abs(value)))
    if not math.isclose(abs(value), 10.0**exponent, rel_tol=1e-9):
        return f"{value:g}".replace("-", "−")
    return ("−" if value < 0 else "") + "10" + str(exponent).translate(_SUPERSCRIPT)


def filled_stairs(ax, values, edges, *, baseline: float = 0.0, **kwargs) -> StepPatch:
    """``ax.stairs(values, edges, baseline=baseline, fill=True, linewidth=0, **kwargs)``, drawn
    the same, at a fraction of the cost.

    ``Axes.add_patch`` finds a patch's data limits by walking every Bezier segment of its path:
    seconds for the thousand-bin steps of a 0.1-point histogram (issue 10, "Speed"). A step's
    limits are known: its outer edges and the range of its values and baseline.
    """
    values, edges = np.asarray(values, dtype=float), np.asarray(edges, dtype=float)
    patch = StepPatch(values, edges, baseline=baseline, fill=True, linewidth=0, **kwargs)
    ax.add_artist(patch)  # as add_patch (clipped to the Axes), without the limits walk
    finite = values[np.isfinite(values)]
    low, high = min(finite.min(initial=baseline), baseline), max(finite.max(initial=baseline), baseline)
    ax.update_datalim([(edges[0], low), (edges[-1], high)])
    patch.sticky_edges.y.append(baseline)  # as stairs: no margin below the baseline
    ax.autoscale(enable=None)  # as stairs: the view follows the limits when next drawn (lazily)
    return patch


def save_figure(fig, election: str, notebook: str, name: str, root: Path | None = None) -> list[Path]:
    """Save ``fig`` as reports/figures/<election>/<notebook>__<name>.{png,svg}; return the paths.

    Texts are made readable first (:func:`analysis.report.plotting.labels.make_readable`):
    election ids become their short titles, Cyrillic region names get a transliteration.
    """
    make_readable(fig)
    out_dir = (root / election) if root else paths.figures_dir(election)
    out_dir.mkdir(parents=True, exist_ok=True)
    engine = fig.get_layout_engine()
    # fig.tight_layout() leaves a placeholder engine that lays nothing out, yet makes every
    # savefig draw the whole figure once more before drawing it for real
    placeholder = isinstance(engine, PlaceHolderLayoutEngine)
    if placeholder:
        fig.set_layout_engine(None)
    try:
        bbox = "tight" if fig.get_layout_engine() is not None else _tight_bbox(fig)
        written = []
        for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
            path = out_dir / f"{notebook}__{name}.{ext}"
            fig.savefig(path, format=ext, bbox_inches=bbox, metadata=meta)
            written.append(path)
    finally:
        if placeholder:
            fig.set_layout_engine(engine)
    return written


def _tight_bbox(fig):
    """The box of ``savefig(bbox_inches="tight")`` at the PNG's resolution, computed once.

    Passed to both formats as an explicit box: with ``"tight"`` every ``savefig`` lays the
    whole figure out once more to find it, the costliest part of saving a many-panel figure.
    (A figure with a real layout engine, constrained layout, keeps ``"tight"``: it is laid out
    at save time anyway.)
    """
    screen_dpi = fig.dpi
    fig.dpi = plt.rcParams["savefig.dpi"]
    try:
        return fig.get_tightbbox(fig.canvas.get_renderer()).padded(plt.rcParams["savefig.pad_inches"])
    finally:
        fig.dpi = screen_dpi


def save_table(
    table,
    election: str,
    notebook: str,
    name: str,
    *,
    title: str,
    heading: str,
    note: str = "",
    root: Path | None = None,
) -> list[Path]:
    """Save ``table`` beside the figures as reports/figures/<election>/<notebook>__<name>.{csv,html}.

    CSV with 6 significant digits; a standalone HTML page (``title``, ``<h1>heading``, a
    paragraph ``note`` in HTML) with 4. The index links both from the notebook's entry.
    """
    out_dir = (root / election) if root else paths.figures_dir(election)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = out_dir / f"{notebook}__{name}.csv", out_dir / f"{notebook}__{name}.html"
    table.to_csv(csv_path, index=False, lineterminator="\n", float_format="%.6g")
    body = table.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="—", border=0)
    html_path.write_text(
        f"<!doctype html><meta charset='utf-8'><title>{title}</title><h1>{heading}</h1><p>{note}</p>" + body + "\n",
        encoding="utf-8",
    )
    return [csv_path, html_path]


def label_synthetic(fig, text: str = SYNTHETIC_LABEL) -> None:
    """Stamp a figure made from synthetic elections so it can never pass for real data."""
    fig.text(0.99, 0.01, text, ha="right", va="bottom", fontsize=9, color="crimson", weight="bold", alpha=0.8)
