"""Notes of the index page on how its results were made: failed runs, parameters, provenance.

Read from the results files: the ``provenance_*`` keys the runner adds
(:mod:`analysis.report.provenance`) and the ``<notebook>.FAILED.txt`` markers of runs that
failed or were interrupted (:func:`analysis.core.results.mark_failed`).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from analysis.core.results import FAILED_SUFFIX
from analysis.report.provenance import PREFIX as PROVENANCE


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _value_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def failed_runs(results_dir: Path, election: str) -> dict[str, str]:
    """``{notebook: reason}`` of the election's runs whose latest execution failed (``<nb>.FAILED.txt``)."""
    folder = results_dir / election
    markers = sorted(folder.glob(f"*{FAILED_SUFFIX}")) if folder.exists() else []
    return {p.name.removesuffix(FAILED_SUFFIX): p.read_text(encoding="utf-8").strip() for p in markers}


def run_parameters(results: dict) -> dict | None:
    """The parameters a results file was made with (``provenance_parameters``), or None."""
    try:
        parsed = json.loads(results.get(f"{PROVENANCE}parameters") or "null")
    except (TypeError, json.JSONDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _param_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def nondefault_text(results: dict) -> str:
    """``"alpha=0.01, seed=7"``: the parameters set away from their configured defaults ("" if none)."""
    names = [n for n in str(results.get(f"{PROVENANCE}parameters_nondefault") or "").split(",") if n]
    params = run_parameters(results) or {}
    return ", ".join(f"{n}={_param_text(params[n])}" if n in params else n for n in names)


def differing_parameters(parameters: dict[tuple[str, str], dict], shared: set[str]) -> list[dict]:
    """Parameters whose value is not the same across the page's results.

    ``parameters``: ``{(election, notebook): parameters}`` in page order. A shared parameter
    (config/analysis.yml: ``alpha``, ``seed``, …) is compared across every result, a notebook's
    own across the elections it ran for (``election`` never). Returns one dict per odd value:
    ``name``, ``value`` (text), ``runs`` (those holding it), ``usual`` (the most common value).
    """
    groups: dict[tuple[str, str | None], dict[str, list]] = {}
    for (election, notebook), params in parameters.items():
        for name, value in params.items():
            if name != "election":
                scope = (name, None if name in shared else notebook)
                groups.setdefault(scope, {}).setdefault(_param_text(value), []).append((election, notebook))
    out = []
    for (name, _), by_value in groups.items():
        if len(by_value) < 2:
            continue
        usual = max(by_value, key=lambda v: len(by_value[v]))  # ties: the first seen
        out += [{"name": name, "value": v, "runs": runs, "usual": usual} for v, runs in by_value.items() if v != usual]
    return out


def _run_link(election: str, notebook: str) -> str:
    return f'<a href="#{_esc(election)}-{_esc(notebook)}">{_esc(election)}/{_esc(notebook)}</a>'


def page_notes_html(differing: list[dict], failed: list[tuple[str, str, str]]) -> str:
    """Notes at the top of the page: failed runs, parameters that differ between results."""
    parts = []
    if failed:
        items = "".join(f"<li>{_run_link(e, nb)}: {_esc(reason)}</li>" for e, nb, reason in failed)
        parts.append(
            f'<div class="note failed"><b>{len(failed)} run(s) failed or were interrupted</b>; they have no results '
            f"and their tests show as <i>run failed</i>:<ul>{items}</ul></div>"
        )
    if differing:
        items = "".join(
            f"<li><code>{_esc(d['name'])}</code> = {_esc(d['value'])} in "
            + ", ".join(_run_link(e, nb) for e, nb in d["runs"])
            + f" (elsewhere {_esc(d['usual'])})</li>"
            for d in differing
        )
        parts.append(
            '<div class="note params"><b>Results on this page were made with different parameters:</b>'
            f"<ul>{items}</ul></div>"
        )
    return "\n".join(parts)


def provenance_html(results: dict, differs: list[str]) -> str:
    """Visible notes on how the results were made, and the provenance keys collapsed."""
    parts = []
    if nondefault := nondefault_text(results):
        parts.append(f'<p class="note params">Run with non-default parameters: {_esc(nondefault)}</p>')
    if differs:
        parts.append(f'<p class="note params">Differs from the rest of the page: {_esc(", ".join(differs))}</p>')
    keys = sorted(k for k in results if k.startswith(PROVENANCE))
    if not keys:
        parts.append(
            '<p class="note">No provenance recorded (results written outside the pipeline or by an older version).</p>'
        )
        return "\n".join(parts)
    commit = results.get(f"{PROVENANCE}git_commit")
    summary = [f"commit {str(commit)[:10]}" if commit else "commit unknown"]
    if results.get(f"{PROVENANCE}git_dirty"):
        summary[0] += " with uncommitted changes"
    if version := results.get(f"{PROVENANCE}package_version"):
        summary.append(f"package {version}")
    if sha := results.get(f"{PROVENANCE}dataset_sha256"):
        summary.append(f"dataset sha256 {str(sha)[:12]}…")
    table = "".join(f"<tr><td><code>{_esc(k)}</code></td><td>{_esc(_value_text(results[k]))}</td></tr>" for k in keys)
    parts.append(
        f'<details class="provenance"><summary>How these results were made: {_esc(", ".join(summary))}</summary>'
        f"<table>{table}</table></details>"
    )
    return "\n".join(parts)
