"""Build reports/index.html from the results files of the executed notebooks.

Every number on the page is read from reports/results/<election>/<notebook>.json, i.e. from
what the notebook computed; the question each notebook answers is read from the
``**Question:**`` line of its first markdown cell.

    python -m analysis.report.index [--out reports/index.html]
"""

from __future__ import annotations

import argparse
import html
import json
import math
from pathlib import Path

from analysis.core import config, paths

MAX_KEYS_SHOWN = 14


def notebook_header(notebook: str, notebooks_dir: Path | None = None) -> tuple[str, str]:
    """(title, question) from the notebook's first markdown cell."""
    import nbformat

    path = (notebooks_dir or paths.NOTEBOOKS) / f"{notebook}.ipynb"
    if not path.exists():
        return notebook, ""
    nb = nbformat.read(path, as_version=4)
    title, question = notebook, ""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped.startswith("# ") and title == notebook:
                title = stripped[2:].strip()
            if stripped.startswith("**Question:**"):
                question = stripped[len("**Question:**") :].strip()
        break
    return title, question


def format_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e7):
            return f"{value:.3g}"
        if float(value).is_integer() and abs(value) >= 1000:
            return f"{int(value):,}"
        return f"{value:,.4g}"
    return str(value)


def election_order(elections: list[str]) -> list[str]:
    configured = config.list_elections()
    rank = {e: i for i, e in enumerate(configured)}
    return sorted(elections, key=lambda e: (rank.get(e, len(rank)), e))


def _rel(path: Path, base: Path) -> str:
    return html.escape(path.relative_to(base).as_posix(), quote=True)


def _entry_html(election: str, notebook: str, results: dict, reports_dir: Path) -> str:
    title, question = notebook_header(notebook)
    parts = [f'<div class="entry"><h3>{html.escape(notebook)} — {html.escape(title)}</h3>']
    if question:
        parts.append(f'<p class="question"><b>Question:</b> {html.escape(question)}</p>')
    if results.get("status") == "skipped":
        parts.append(f'<p class="skipped">Skipped: {html.escape(str(results.get("reason", "")))}</p></div>')
        return "\n".join(parts)
    rendered = reports_dir / "notebooks" / election / f"{notebook}.html"
    links = []
    if rendered.exists():
        links.append(f'<a href="{_rel(rendered, reports_dir)}">rendered notebook</a>')
    fig_dir = reports_dir / "figures" / election
    extras = sorted(p for p in fig_dir.glob(f"{notebook}__*") if p.suffix in {".html", ".csv"}) if fig_dir.exists() else []
    links += [f'<a href="{_rel(p, reports_dir)}">{html.escape(p.name.split("__", 1)[1])}</a>' for p in extras]
    links.append(f'<a href="{_rel(reports_dir / "results" / election / f"{notebook}.json", reports_dir)}">results JSON</a>')
    parts.append('<p class="links">' + " · ".join(links) + "</p>")
    rows = [(k, v) for k, v in sorted(results.items()) if k not in {"status"}]
    table = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(format_value(v))}</td></tr>" for k, v in rows
    )
    if len(rows) > MAX_KEYS_SHOWN:
        parts.append(f"<details><summary>{len(rows)} key numbers</summary><table>{table}</table></details>")
    else:
        parts.append(f"<table>{table}</table>")
    figures = sorted(fig_dir.glob(f"{notebook}__*.png")) if fig_dir.exists() else []
    if figures:
        thumbs = "".join(
            f'<a href="{_rel(p, reports_dir)}"><img src="{_rel(p, reports_dir)}" alt="{html.escape(p.stem)}" '
            f'title="{html.escape(p.stem.split("__", 1)[1])} (SVG: {html.escape(p.with_suffix(".svg").name)})"></a>'
            for p in figures
        )
        parts.append(f'<div class="figures">{thumbs}</div>')
    parts.append("</div>")
    return "\n".join(parts)


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:2em}
.entry{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.entry h3{margin:.2em 0}
.question{color:#444}
.skipped{color:#a00;font-weight:bold}
table{border-collapse:collapse;font-size:.9em}
td{border-bottom:1px solid #eee;padding:2px 10px}
.figures img{height:150px;margin:4px;border:1px solid #eee}
"""


def build_index(reports_dir: Path | None = None) -> str:
    reports_dir = reports_dir or paths.REPORTS
    results_dir = reports_dir / "results"
    elections = sorted(p.name for p in results_dir.iterdir() if p.is_dir()) if results_dir.exists() else []
    body = [
        "<h1>Election forensics: results</h1>",
        "<p>Every number below is read from <code>reports/results/&lt;election&gt;/&lt;notebook&gt;.json</code>, "
        "written by the executed notebook. Figures from synthetic elections are labelled as such.</p>",
    ]
    for election in election_order(elections):
        try:
            cfg = config.load_election(election)
            heading = f"{election}: {cfg.get('title', '')}"
        except config.ConfigError:
            heading = election
        body.append(f'<h2 id="{html.escape(election)}">{html.escape(heading)}</h2>')
        for path in sorted((results_dir / election).glob("*.json")):
            results = json.loads(path.read_text(encoding="utf-8"))
            body.append(_entry_html(election, path.stem, results, reports_dir))
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Election forensics</title>"
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.report.index")
    parser.add_argument("--out", type=Path, default=paths.REPORTS / "index.html")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(build_index(args.out.parent), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
