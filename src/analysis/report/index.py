"""Build reports/index.html: the answers first (verdicts per election), then the notebooks.

Every number on the page is read from reports/results/<election>/<notebook>.json, i.e. from
what the notebooks computed; verdicts come from :mod:`analysis.report.verdicts` (configured in
config/verdicts.yml); the question each notebook answers is read from the ``**Question:**``
line of its first markdown cell. The page has no external resources: it opens offline.

    python -m analysis.report.index [--out reports/index.html]
"""

from __future__ import annotations

import argparse
import html
import json
import math
from pathlib import Path

import nbformat

from analysis.core import config, paths
from analysis.report import verdicts as V
from analysis.report.calibration_status import election_status
from analysis.report.plotting import labels
from analysis.report.provenance import PREFIX as PROVENANCE
from analysis.report.render import REPORT_SUFFIX, thumbnail
from analysis.report.run_notes import (
    differing_parameters,
    failed_runs,
    page_notes_html,
    provenance_html,
    run_parameters,
)

DEFAULT_ALPHA = 0.05


def notebook_header(notebook: str, notebooks_dir: Path | None = None) -> tuple[str, str]:
    """(title, question) from the notebook's first markdown cell."""
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


def format_pvalue(p: float) -> str:
    if not isinstance(p, (int, float)) or math.isnan(p):
        return "—"
    return "< 1e-300" if p == 0 else (f"{p:.2g}" if p < 1e-3 else f"{p:.3f}")


def election_order(elections: list[str]) -> list[str]:
    configured = config.list_elections()
    rank = {e: i for i, e in enumerate(configured)}
    return sorted(elections, key=lambda e: (rank.get(e, len(rank)), e))


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _rel(path: Path, base: Path) -> str:
    return _esc(path.relative_to(base).as_posix())


def _election_config(election: str) -> dict:
    try:
        return config.load_election(election)
    except config.ConfigError:
        return {"id": election, "title": election}


def _alpha(results_by_notebook: dict[str, dict]) -> float:
    for results in results_by_notebook.values():
        value = results.get("alpha")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return DEFAULT_ALPHA


def _badge(verdict: str, pvalue: float | None = None) -> str:
    cls = verdict.replace(" ", "-").replace("/", "")
    text = format_pvalue(pvalue) if pvalue is not None else ""
    p = (
        f" <small>p {text if text.startswith('<') else '= ' + text}</small>"
        if pvalue is not None and verdict not in ("n/a", "run failed")
        else ""
    )
    return f'<span class="badge {cls}">{_esc(verdict)}</span>{p}'


def _num_cell(value: float, text: str | None = None) -> str:
    key = "" if not isinstance(value, (int, float)) or math.isnan(value) else f"{value:.17g}"
    return f'<td class="num" data-sort="{key}">{_esc(text if text is not None else format_value(value))}</td>'


def verdict_table_html(election: str, table, control: str | None, control_table) -> str:
    """The per-election verdict table (one row per configured test), the control beside."""
    head = ["Test", "What an anomaly here means", "Statistic", "p (calibrated null)", "Verdict", "Effect"]
    if control_table is not None:
        head.append(f"Control: {control}")
    ctrl = control_table.set_index("test") if control_table is not None else None
    rows = []
    for _, r in table.iterrows():
        effect = "" if math.isnan(r["effect"]) else f"{format_value(r['effect'])} {r['effect_unit']}"
        cells = [
            f"<td>{_esc(r['label'])}</td>",
            f'<td class="meaning">{_esc(r["meaning"])}</td>',
            _num_cell(r["statistic"]),
            _num_cell(r["pvalue"], format_pvalue(r["pvalue"])),
            f'<td data-sort="{V.ORDER.get(r["verdict"], 9)}">{_badge(r["verdict"])}'
            + (
                f"<br><small>type-I {r['type1_max']:.0%} on {_esc(r['type1_scenario'])}</small>"
                if r["verdict"] == "uncalibrated"
                else ""
            )
            + (f'<br><small class="study">{_esc(note)}</small>' if (note := V.study_note(r)) else "")
            + "</td>",
            f"<td>{_esc(effect)}</td>",
        ]
        if ctrl is not None:
            c = ctrl.loc[r["test"]] if r["test"] in ctrl.index else None
            cells.append(f"<td>{_badge(c['verdict'], c['pvalue']) if c is not None else '—'}</td>")
        rows.append(f'<tr data-test="{_esc(r["test"])}">' + "".join(cells) + "</tr>")
    header = "".join(f'<th title="click to sort">{_esc(h)}</th>' for h in head)
    return (
        f'<table class="verdicts sortable" id="verdicts-{_esc(election)}"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def overview_html(tables: dict[str, object], configs: dict[str, dict], controls: set[str], specs: dict) -> str:
    """Tests × elections: which tests fire where, the clean controls marked."""
    if not tables:
        return "<p>No election results yet.</p>"
    head = "".join(
        f'<th><a href="#{_esc(e)}">{_esc(labels.short_title(e))}</a>'
        + ("<br><small>clean control</small>" if e in controls else "")
        + "</th>"
        for e in tables
    )
    rows = []
    for test, spec in specs.items():
        cells = []
        for table in tables.values():
            sub = table[table["test"] == test]
            cells.append(f"<td>{_badge(sub['verdict'].iloc[0], sub['pvalue'].iloc[0]) if len(sub) else '—'}</td>")
        rows.append(f'<tr data-test="{_esc(test)}"><td>{_esc(spec["label"])}</td>{"".join(cells)}</tr>')
    return (
        '<table class="overview" id="overview"><thead><tr><th>Test</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _page_links(election: str, notebook: str, reports_dir: Path) -> list[str]:
    rendered = reports_dir / "notebooks" / election / f"{notebook}.html"
    report_view = rendered.with_name(notebook + REPORT_SUFFIX)
    links = []
    if report_view.exists():
        links.append(f'<a class="primary" href="{_rel(report_view, reports_dir)}">Read the report</a>')
    if rendered.exists():
        links.append(f'<a href="{_rel(rendered, reports_dir)}">full notebook with code</a>')
    return links


def _failed_entry_html(election: str, notebook: str, reason: str, reports_dir: Path) -> str:
    """A run whose latest execution failed: the reason and its partial pages, no numbers."""
    title, question = notebook_header(notebook)
    parts = [f'<div class="entry failed" id="{_esc(election)}-{_esc(notebook)}"><h4>{_esc(title)}</h4>']
    if question:
        parts.append(f'<p class="question"><b>Question:</b> {_esc(question)}</p>')
    parts.append(f'<p class="failed">Run failed: {_esc(reason)}. No results from this run.</p>')
    if links := _page_links(election, notebook, reports_dir):
        parts.append('<p class="links">Partially executed (failed): ' + " · ".join(links) + "</p>")
    parts.append("</div>")
    return "\n".join(parts)


def _entry_html(
    election: str, notebook: str, results: dict, reports_dir: Path, differs: tuple[str, ...] | list[str] = ()
) -> str:
    title, question = notebook_header(notebook)
    parts = [f'<div class="entry" id="{_esc(election)}-{_esc(notebook)}"><h4>{_esc(title)}</h4>']
    if question:
        parts.append(f'<p class="question"><b>Question:</b> {_esc(question)}</p>')
    if results.get("status") == "skipped":
        parts.append(f'<p class="skipped">Skipped: {_esc(results.get("reason", ""))}</p></div>')
        return "\n".join(parts)
    links = _page_links(election, notebook, reports_dir)
    fig_dir = reports_dir / "figures" / election
    extras = (
        sorted(p for p in fig_dir.glob(f"{notebook}__*") if p.suffix in {".html", ".csv"}) if fig_dir.exists() else []
    )
    links += [f'<a href="{_rel(p, reports_dir)}">{_esc(p.name.split("__", 1)[1])}</a>' for p in extras]
    links.append(
        f'<a href="{_rel(reports_dir / "results" / election / f"{notebook}.json", reports_dir)}">results JSON</a>'
    )
    parts.append('<p class="links">' + " · ".join(links) + "</p>")
    figures = sorted(fig_dir.glob(f"{notebook}__*.png")) if fig_dir.exists() else []
    if figures:
        thumbs = []
        for png in figures:
            name = png.stem.split("__", 1)[1]
            svg = png.with_suffix(".svg")
            svg_link = f' · <a href="{_rel(svg, reports_dir)}">SVG</a>' if svg.exists() else ""
            # Loaded eagerly: thumbnails are small, and a lazy image below the fold is not loaded
            # when the browser check (analysis.report.browser) inspects the page.
            thumbs.append(
                f'<figure><a href="{_rel(png, reports_dir)}" title="open full size">'
                f'<img src="{_rel(thumbnail(png), reports_dir)}" alt="{_esc(name)}"></a>'
                f"<figcaption>{_esc(name.replace('_', ' '))}{svg_link}</figcaption></figure>"
            )
        parts.append(f'<div class="figures">{"".join(thumbs)}</div>')
    parts.append(provenance_html(results, list(differs)))
    rows = [(k, v) for k, v in sorted(results.items()) if k != "status" and not k.startswith(PROVENANCE)]
    table = "".join(f"<tr><td><code>{_esc(k)}</code></td><td>{_esc(format_value(v))}</td></tr>" for k, v in rows)
    parts.append(f"<details><summary>{len(rows)} key numbers</summary><table>{table}</table></details></div>")
    return "\n".join(parts)


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1250px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:2.2em}
.entry{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.entry h4{margin:.2em 0;font-size:1.05em}
.question{color:#444}.skipped,.failed{color:#a00;font-weight:bold}
.entry.failed{border-color:#c62828;background:#fff5f5}
.note{color:#555;font-size:.9em;margin:.3em 0}.note.params{color:#8a4b00;font-weight:bold}
div.note{border-left:4px solid #ef6c00;background:#fff8ee;padding:.3em 1em}div.note.failed{border-color:#c62828;background:#fff5f5}
details.provenance summary{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
th{background:#f0f2f5;text-align:left;padding:4px 8px;cursor:pointer;vertical-align:bottom}
td{border-bottom:1px solid #eee;padding:3px 8px;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.meaning{max-width:30em;color:#444}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:.85em;white-space:nowrap}
.badge.anomalous{background:#c62828;color:#fff}.badge.no-evidence{background:#2e7d32;color:#fff}
.badge.uncalibrated{background:#9e9e9e;color:#fff}.badge.not-calibrated{background:#ef6c00;color:#fff}
.badge.na{background:#eee;color:#777}.badge.run-failed{background:#fff;color:#c62828;border:1px solid #c62828}
.figures{display:flex;flex-wrap:wrap;gap:8px}
figure{margin:0;text-align:center;font-size:.8em;color:#555}
figure img{height:140px;border:1px solid #ddd}
a.primary{font-weight:bold}
.legend span{margin-right:1em}
"""

SORT_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var asc = th.getAttribute('data-dir') !== 'asc';
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
        var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      th.setAttribute('data-dir', asc ? 'asc' : 'desc');
    });
  });
});
"""

LEGEND = (
    '<p class="legend">'
    + "".join(
        f"<span>{_badge(v)} {_esc(t)}</span>"
        for v, t in (
            ("anomalous", "p ≤ α under a null that holds on clean synthetic elections"),
            ("no evidence", "p > α"),
            ("uncalibrated", "the test rejects clean synthetic elections too often: no verdict"),
            ("not calibrated", "p ≤ α, null not checked on synthetic elections"),
            ("n/a", "does not apply to these data"),
            ("run failed", "the notebook that computes it failed: no result"),
        )
    )
    + "</p>"
)


def _shared_parameter_names() -> set[str]:
    try:
        return set(config.shared_parameters())
    except config.ConfigError:
        return set()


def _mark_failed_tests(table, failed: set[str], specs: dict):
    """Tests whose notebook failed show ``run failed`` instead of ``n/a`` (no number, not "does not apply")."""
    if table.empty or not failed:
        return table
    hit = table["test"].map(lambda t: any(nb.startswith(str(specs[t]["notebook"])) for nb in failed))
    table.loc[hit & table["pvalue"].isna(), "verdict"] = "run failed"
    return table


def build_index(reports_dir: Path | None = None) -> str:
    reports_dir = reports_dir or paths.REPORTS
    results_dir = reports_dir / "results"
    elections = election_order(
        sorted(p.name for p in results_dir.iterdir() if p.is_dir()) if results_dir.exists() else []
    )
    configs = {e: _election_config(e) for e in elections}
    specs = V.load_specs()
    calibration = V.calibrations(results_dir)
    failed = {e: failed_runs(results_dir, e) for e in elections}
    tables, alphas, by_election = {}, {}, {}
    for e in elections:
        by_election[e] = {nb: r for nb, r in V.read_election(e, results_dir).items() if nb not in failed[e]}
        by_nb = by_election[e]
        if (by_nb or failed[e]) and configs[e].get("level", "station") in config.DATA_LEVELS:
            alphas[e] = _alpha(by_nb)
            study = election_status(configs[e])
            table = V.verdict_table(by_nb, alpha=alphas[e], specs=specs, calibration=calibration, study=study)
            tables[e] = _mark_failed_tests(table, set(failed[e]), specs)
    controls = {c for e in elections if (c := configs[e].get("control")) and c in tables}
    run_params = {
        (e, nb): params for e in elections for nb, r in by_election[e].items() if (params := run_parameters(r))
    }
    differing = differing_parameters(run_params, _shared_parameter_names())
    differs_by_run: dict[tuple[str, str], list[str]] = {}
    for d in differing:
        for run in d["runs"]:
            differs_by_run.setdefault(run, []).append(f"{d['name']}={d['value']} (elsewhere {d['usual']})")
    body = [
        "<h1>Election forensics: was each election anomalous, and which tests say so?</h1>",
        "<p>Each test below compares an election's polling-station (or regional) numbers with what honest "
        "counting would produce. A verdict is given only where the test's null hypothesis has been checked on "
        "clean synthetic elections (the calibration notebook); a clean real election (Poland 2020) is shown as "
        "the control. Every number is read from <code>reports/results/&lt;election&gt;/&lt;notebook&gt;.json</code>, "
        "written by the executed notebook; click a column header to sort.</p>",
        page_notes_html(differing, [(e, nb, reason) for e in elections for nb, reason in failed[e].items()]),
        LEGEND,
        '<h2 id="overview-heading">At a glance</h2>',
        overview_html(tables, configs, controls, specs),
        *(  # the panel pseudo-elections: every election side by side, with the series over time
            f'<p>Every election side by side, with the series over time: <a href="#{_esc(e)}">'
            f"{_esc(configs[e].get('title', e))}</a>.</p>"
            for e in elections
            if configs[e].get("level") == "panel"
        ),
    ]
    for election in elections:
        cfg = configs[election]
        body.append(f'<h2 id="{_esc(election)}">{_esc(cfg.get("title", election))}</h2>')
        if election in tables:
            control = cfg.get("control")
            ctrl_table = tables.get(control) if control and control != election else None
            body.append(
                f"<p>Verdicts at α = {alphas[election]:g}, strongest evidence first"
                + (
                    f'; the clean control <a href="#{_esc(control)}">{_esc(control)}</a> beside.'
                    if ctrl_table is not None
                    else "."
                )
                + "</p>"
            )
            body.append(verdict_table_html(election, tables[election], control, ctrl_table))
        body.append("<h3>Notebooks</h3>")
        folder = results_dir / election
        stems = {p.stem for p in folder.glob("*.json")} | set(failed[election])
        for notebook in sorted(stems):
            if notebook in failed[election]:
                body.append(_failed_entry_html(election, notebook, failed[election][notebook], reports_dir))
                continue
            results = json.loads((folder / f"{notebook}.json").read_text(encoding="utf-8"))
            body.append(
                _entry_html(election, notebook, results, reports_dir, differs_by_run.get((election, notebook), []))
            )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Election forensics</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>\n'
        + "\n".join(body)
        + f"\n<script>{SORT_SCRIPT}</script>\n</body></html>\n"
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
