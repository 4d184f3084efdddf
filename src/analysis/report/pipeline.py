"""Run one notebook for one election: papermill (execution) + nbconvert (HTML).

Used by the Makefile, one call per (election, notebook) target::

    python -m analysis.report.pipeline run --election ru2011 --notebook 03_distributions \
        [--params "alpha=0.01 n_sims=200"] [--strict]
    python -m analysis.report.pipeline check-params --params "alpha=0.01"
    python -m analysis.report.pipeline plan [--out build/plan.mk] [--format make|text] [--elections ru2011 ...]
    python -m analysis.report.pipeline batch [--elections ru2004 ru2011 ...] [--scheduler tcp://host:8786] \
        [--n-workers 8] [--params "..."] [--strict]     (many elections as one task graph: report.batch)

Every run first deletes what the previous run of the same notebook left (results, pages,
figures). A failing notebook leaves its partially executed copy (with the error visible and a
red "This run FAILED" banner) in reports/notebooks/<election>/, no results file but
reports/results/<election>/<notebook>.FAILED.txt (the reason; an interrupted run too), and
makes the command exit non-zero, which stops ``make``. An election whose dataset cannot be
obtained is skipped: its results file says so, and ``--strict`` turns the skip into an error.
Results files get the run's ``provenance_*`` keys (:mod:`analysis.report.provenance`).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import signal
import sys
import threading
from pathlib import Path

from analysis.core import config, paths, results
from analysis.report import batch as run_batch
from analysis.report import plan as run_plan
from analysis.report import provenance
from analysis.report.render import export_html, report_view_path, thumbnail

KERNEL_NAME = "election-forensics"
# Kernels get one BLAS thread unless the caller chose otherwise: runs already go in parallel one
# per core (make -j, map_units), and OpenBLAS's idle worker threads spin after each call, which
# cost notebook 09's L-BFGS-B fit ~40 % extra CPU for identical estimates (docs/fraud_mixture.md).
KERNEL_THREAD_LIMITS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class NotebookFailed(RuntimeError):
    """A notebook raised while executing under papermill."""


def declared_parameters(notebook_path: Path) -> list[str]:
    import papermill

    return sorted(papermill.inspect_notebook(str(notebook_path)).keys())


def unavailable_reason(election: str) -> str | None:
    """Why an election's data is missing, or None when it can run.

    Elections without a ``dataset`` key (e.g. ``calibration``) always run. Station-level
    elections need their prepared tables; ``analysis.data.datasets.prepare`` writes
    UNAVAILABLE.txt with a one-line reason where the source file could not be obtained.
    """
    cfg = config.load_election(election)
    if not cfg.get("dataset"):
        return None
    marker = paths.processed_dir(election) / "UNAVAILABLE.txt"
    if marker.exists():
        return marker.read_text(encoding="utf-8").strip()
    return None


def known_parameters() -> set[str]:
    names: set[str] = {"election"}
    for spec in config.parameter_specs().values():
        names.update(spec)
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        names.update(declared_parameters(nb))
    return names


def check_overrides(overrides: dict) -> None:
    """PARAMS names only known parameters, each with a value every entry declaring it accepts (before any notebook)."""
    unknown = sorted(set(overrides) - known_parameters())
    if unknown:
        raise config.ConfigError(
            f"PARAMS names unknown parameter(s) {', '.join(unknown)}; see the parameter table in README.md"
        )
    config.check_parameter_values(overrides, origin="PARAMS: ")


FAILED_BANNER_STYLE = (
    "font-family:system-ui,sans-serif;background:#c62828;color:#fff;font-weight:bold;"
    "padding:.6em 1em;margin:0 0 1em 0;font-size:1.05em"
)


def remove_previous_output(election: str, notebook: str) -> None:
    """Delete what an earlier run of ``notebook`` left: results, failure marker, executed notebook, pages, figures.

    A previous run's output must never pass for this run's, whether this one succeeds, fails or
    is interrupted.
    """
    executed = paths.RENDERED / election / f"{notebook}.ipynb"
    for path in (paths.results_path(election, notebook), results.failed_marker_path(election, notebook)):
        path.unlink(missing_ok=True)
    for path in (executed, executed.with_suffix(".html"), report_view_path(executed)):
        path.unlink(missing_ok=True)
    figures = paths.figures_dir(election)
    for folder in (figures, figures / "thumbs"):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and path.name.startswith(f"{notebook}__"):
                    path.unlink()


def _mark_pages_failed(executed: Path, message: str) -> None:
    """Put a red banner on top of the failed run's pages: they show a partial, failed execution."""
    banner = (
        f'<div class="run-failed" style="{FAILED_BANNER_STYLE}">This run FAILED: {html.escape(message)}. '
        "Its results file was removed; numbers on this page are partial and are not results.</div>"
    )
    for page in (executed.with_suffix(".html"), report_view_path(executed)):
        if page.exists():
            text = page.read_text(encoding="utf-8")
            start = text.find("<body")
            end = text.find(">", start) + 1 if start >= 0 else 0
            page.write_text(text[:end] + "\n" + banner + text[end:], encoding="utf-8")


@contextlib.contextmanager
def _sigterm_raises():
    """SIGTERM (``make`` stopped, a job killed) raises KeyboardInterrupt, so the run cleans up as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_notebook(election: str, notebook: str, overrides: dict | None = None, strict: bool = False) -> Path | None:
    """Execute notebooks/<notebook>.ipynb for ``election``; return the executed path (None if skipped).

    The results file gets the run's ``provenance_*`` keys (:mod:`analysis.report.provenance`).
    A run that fails or is interrupted leaves no results file but ``<notebook>.FAILED.txt``
    beside it (the reason); a failed notebook's pages carry a red banner.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = paths.NOTEBOOKS / f"{notebook}.ipynb"
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such notebook")
    overrides = overrides or {}
    declared = declared_parameters(source)
    parameters = config.notebook_parameters(notebook, election, declared=declared, overrides=overrides)
    # Taken before the run: the code, configuration and data it starts from.
    stamp = provenance.run_provenance(notebook, election, parameters, overrides=overrides)
    out_dir = paths.RENDERED / election
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{notebook}.ipynb"
    results_file = paths.results_path(election, notebook)
    remove_previous_output(election, notebook)
    reason = unavailable_reason(election)
    if reason:
        if strict:
            results.mark_failed(election, notebook, f"data unavailable and STRICT=1: {reason}")
            raise RuntimeError(f"{election}: data unavailable and STRICT=1: {reason}")
        print(f"SKIP {election}/{notebook}: {reason}", file=sys.stderr)
        results.write_results(election, notebook, {"status": "skipped", "reason": reason, **stamp})
        return None

    for name, value in KERNEL_THREAD_LIMITS.items():
        os.environ.setdefault(name, value)  # inherited by the kernel papermill starts below
    print(f"RUN  {election}/{notebook} {json.dumps(parameters, sort_keys=True, default=str)}", file=sys.stderr)
    with _sigterm_raises():
        try:
            try:
                papermill.execute_notebook(
                    str(source),
                    str(executed),
                    parameters=parameters,
                    kernel_name=KERNEL_NAME,
                    cwd=str(paths.ROOT),
                    progress_bar=False,
                )
            except PapermillExecutionError as exc:
                message = f"{election}/{notebook} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
                results.mark_failed(election, notebook, message)
                export_html(executed)
                _mark_pages_failed(executed, message)
                raise NotebookFailed(
                    f"{message}\n  partially executed notebook: {executed} (and its .html pages)"
                ) from None
            export_html(executed)
            for png in sorted(paths.figures_dir(election).glob(f"{notebook}__*.png")):
                thumbnail(png)  # for the index, made here in parallel with the other runs
            if not results_file.exists():
                message = f"{election}/{notebook} ran but wrote no results file {results_file}"
                results.mark_failed(election, notebook, message)
                _mark_pages_failed(executed, message)
                raise NotebookFailed(message)
            results.add_results(election, notebook, stamp)
        except BaseException as exc:  # KeyboardInterrupt, SIGTERM, a rendering error: no results from this run
            if results.failure_reason(election, notebook) is None:
                what = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                results.mark_failed(election, notebook, f"{election}/{notebook} {what}: {type(exc).__name__}: {exc}")
            raise
    return executed


def write_plan(elections: list[str] | None, overrides: dict, fmt: str = "make", out: Path | None = None) -> str:
    """The run plan as a make fragment (``fmt="make"``) or a readable list, written to ``out`` if given."""
    built = run_plan.build_plan(elections or None, overrides)
    text = run_plan.makefile(built) if fmt == "make" else run_plan.describe(built) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.report.pipeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute one notebook for one election")
    run.add_argument("--election", required=True)
    run.add_argument("--notebook", required=True)
    run.add_argument("--params", default="", help='overrides, e.g. "alpha=0.01 n_sims=200"')
    run.add_argument("--strict", action="store_true", help="fail instead of skipping unavailable data")
    check = sub.add_parser(
        "check-params", help="fail if PARAMS names an unknown parameter or a value it does not accept"
    )
    check.add_argument("--params", default="")
    plan = sub.add_parser("plan", help="write the run plan (a make fragment, or a readable list)")
    plan.add_argument("--elections", nargs="*", default=None, help="only these elections (default: all configured)")
    plan.add_argument("--params", default="", help="overrides used to resolve `requires` (as PARAMS)")
    plan.add_argument("--format", choices=("make", "text"), default="make")
    plan.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    many = sub.add_parser("batch", help="run the notebooks of many elections as tasks (local processes or Dask)")
    many.add_argument("--elections", nargs="*", default=None, help="elections (default: all configured)")
    many.add_argument("--params", default="", help="overrides, as PARAMS")
    many.add_argument("--scheduler", default=None, help="serial | local | dask-local | tcp://host:8786 ($SCHEDULER)")
    many.add_argument("--n-workers", type=int, default=None, help="local workers ($N_WORKERS, default: the cores)")
    many.add_argument("--strict", action="store_true", help="fail instead of skipping unavailable data")
    args = parser.parse_args(argv)
    try:
        if args.command == "batch":
            check_overrides(config.parse_overrides(args.params))
            summary = run_batch.run_batch(
                args.elections, args.params, scheduler=args.scheduler, n_workers=args.n_workers, strict=args.strict
            )
            print(run_batch.describe(summary), file=sys.stderr)
            return 1 if summary["n_failed"] or summary["n_skipped"] else 0
        overrides = config.parse_overrides(args.params)
        if args.command == "check-params":
            check_overrides(overrides)
            return 0
        if args.command == "plan":
            write_plan(args.elections, overrides, args.format, args.out)
            return 0
        run_notebook(args.election, args.notebook, overrides, strict=args.strict)
    except (NotebookFailed, config.ConfigError, FileNotFoundError, RuntimeError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
