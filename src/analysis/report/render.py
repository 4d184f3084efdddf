"""Render an executed notebook to HTML twice: the full notebook and a report view with code hidden.

Readers who do not read Python (observers, journalists) open the report view
``<notebook>.report.html``: narrative, tables, figures and conclusions, no code cells, no
prompts. The full notebook ``<notebook>.html`` keeps every code cell for those who check how a
number was computed. Each page links to the other.

Rendering is deterministic: nbconvert's output depends only on the executed notebook, and
execution metadata (timestamps) is stripped before rendering.
"""

from __future__ import annotations

import copy
import functools
import html
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from PIL import Image, UnidentifiedImageError

REPORT_SUFFIX = ".report.html"
TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "offline"  # JupyterLab's layout without CDN scripts (templates/offline)
THUMB_SIZE = (480, 280)  # at most, aspect kept; shown 140 px high, sharp on high-density screens

_BANNER_STYLE = (
    "font-family:system-ui,sans-serif;background:#f4f6f8;border-bottom:1px solid #ccd;"
    "padding:.5em 1em;margin:0 0 1em 0;font-size:.95em"
)


def _strip_execution_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        cell.get("metadata", {}).pop("papermill", None)
    nb.metadata.pop("papermill", None)
    return nb


def _banner(text: str, href: str, link_text: str) -> str:
    return (
        f'<div class="view-banner" style="{_BANNER_STYLE}">{html.escape(text)} '
        f'<a href="{html.escape(href, quote=True)}">{html.escape(link_text)}</a> · '
        '<a href="../../index.html">all results</a></div>'
    )


def _insert_after_body(page: str, snippet: str) -> str:
    start = page.find("<body")
    if start < 0:
        return snippet + page
    end = page.find(">", start) + 1
    return page[:end] + "\n" + snippet + page[end:]


# The two views differ only in these options, which nbconvert reads on each conversion: one
# exporter renders both, and its compiled templates serve every page this process writes.
FULL_VIEW = {"exclude_input": False, "exclude_input_prompt": False, "exclude_output_prompt": False}
REPORT_VIEW = {"exclude_input": True, "exclude_input_prompt": True, "exclude_output_prompt": True}


@functools.cache
def _shared_exporter() -> HTMLExporter:
    return HTMLExporter(extra_template_basedirs=[str(TEMPLATES)], template_name=TEMPLATE)


def _exporter(view: dict[str, bool]) -> HTMLExporter:
    exporter = _shared_exporter()
    for option, value in view.items():
        setattr(exporter, option, value)
    return exporter


def report_view_path(executed: Path) -> Path:
    """Where the report view of ``executed`` (an .ipynb) is written."""
    return executed.with_name(executed.stem + REPORT_SUFFIX)


def export_html(executed: Path) -> tuple[Path, Path]:
    """Write ``<nb>.html`` (full notebook) and ``<nb>.report.html`` (code hidden) beside ``executed``.

    Returns the two paths (full, report view).
    """
    nb = _strip_execution_metadata(nbformat.read(executed, as_version=4))
    full_path = executed.with_suffix(".html")
    report_path = report_view_path(executed)

    body, _ = _exporter(FULL_VIEW).from_notebook_node(nb)
    body = _insert_after_body(body, _banner("Full notebook with code.", report_path.name, "Report view (code hidden)"))
    full_path.write_text(body, encoding="utf-8")

    for cell in nb.cells:  # warnings on stderr are for the analyst, not the reader
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    body, _ = _exporter(REPORT_VIEW).from_notebook_node(nb)
    body = _insert_after_body(body, _banner("Report view: code hidden.", full_path.name, "Full notebook with code"))
    report_path.write_text(body, encoding="utf-8")
    return full_path, report_path


def thumbnail(png: Path) -> Path:
    """A small PNG beside the figure (reports/figures/<e>/thumbs/), rebuilt when the figure is newer.

    The index shows them; each run makes its own (:func:`analysis.report.pipeline.run_notebook`),
    so that ``make -j`` makes them in parallel rather than the index one after the other at the
    end. Returns the figure itself where it is not a readable PNG.
    """
    thumb = png.parent / "thumbs" / png.name
    if not thumb.exists() or thumb.stat().st_mtime < png.stat().st_mtime:
        thumb.parent.mkdir(parents=True, exist_ok=True)
        try:
            with Image.open(png) as im:
                im.thumbnail(THUMB_SIZE)
                im.save(thumb, optimize=True)
        except (OSError, UnidentifiedImageError):  # not a readable PNG: show the figure itself
            return png
    return thumb
