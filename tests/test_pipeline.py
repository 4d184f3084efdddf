"""The papermill runner and the run plan.

Runner: parameters reach the notebook, failures stop the run, missing data skips. Plan: which
notebook runs for which election follows from the levels, what runs first from ``requires``.
Makefile: driven by the plan alone (a tiny project run end to end by make).
"""

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import nbformat
import pytest
import yaml
from PIL import Image

from analysis.core import config, paths
from analysis.core.results import write_results
from analysis.report import index, pipeline, provenance
from analysis.report import plan as run_plan

REPO = paths.ROOT
SHA256 = {"demo": "ab" * 32, "ctl": "cd" * 32}


def _numbers(results: dict) -> dict:
    """A results mapping without the runner's provenance keys."""
    return {k: v for k, v in results.items() if not k.startswith("provenance_")}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throw-away project root with one election and two notebooks."""
    (tmp_path / "config" / "elections").mkdir(parents=True)
    (tmp_path / "config" / "notebooks").mkdir()
    (tmp_path / "config" / "analysis.yml").write_text(yaml.safe_dump({"alpha": {"default": 0.05, "help": "level"}}))
    for nb in ("demo", "broken", "slow", "figure", "threads"):
        declaration = {
            "levels": ["station"],
            "requires": [{"data": "{control}"}],
            "parameters": {"n": {"default": 3, "help": "count"}},
        }
        (tmp_path / "config" / "notebooks" / f"{nb}.yml").write_text(yaml.safe_dump(declaration))
    election = {
        "title": "Demo",
        "level": "station",
        "dataset": "demo",
        "leader": "A",
        "control": "ctl",
        "params": {"n": 4},
    }
    (tmp_path / "config" / "elections" / "demo.yml").write_text(yaml.safe_dump(election))
    control = {"title": "Control", "level": "station", "dataset": "ctl", "leader": "A"}
    (tmp_path / "config" / "elections" / "ctl.yml").write_text(yaml.safe_dump(control))
    catalog = {d: {"adapter": "generic_csv", "file": f"{d}.csv", "sha256": SHA256[d]} for d in SHA256}
    (tmp_path / "config" / "datasets.yml").write_text(yaml.safe_dump(catalog))
    (tmp_path / "notebooks").mkdir()

    def make_nb(name, body):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell('election = "x"\nalpha = 0.05\nn = 3')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [
            nbformat.v4.new_markdown_cell("# Demo\n**Question:** does it run?"),
            params,
            nbformat.v4.new_code_cell(body),
        ]
        nb.metadata["kernelspec"] = {"name": pipeline.KERNEL_NAME, "display_name": "py", "language": "python"}
        nbformat.write(nb, tmp_path / "notebooks" / f"{name}.ipynb")

    make_nb(
        "demo",
        "from analysis.core.results import write_results\nwrite_results(election, 'demo', {'alpha': alpha, 'n': n})",
    )
    make_nb(
        "threads",
        "import os\nfrom analysis.core.results import write_results\n"
        "write_results(election, 'threads', {name: os.environ.get(name, 'unset') for name in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS')})",
    )
    make_nb("broken", "raise ValueError('deliberate failure for the test')")
    make_nb(
        "figure",
        "from PIL import Image\nfrom analysis.core import paths\nfrom analysis.core.results import write_results\n"
        "folder = paths.figures_dir(election)\nfolder.mkdir(parents=True, exist_ok=True)\n"
        "Image.new('RGB', (1200, 600), 'white').save(folder / 'figure__wide.png')\n"
        "write_results(election, 'figure', {'n': n})",
    )
    make_nb(
        "slow",
        "import time\nfrom analysis.core.results import write_results\n"
        "write_results(election, 'slow', {'n': n})\ntime.sleep(120)",
    )
    monkeypatch.setenv("ELECTION_FORENSICS_ROOT", str(tmp_path))
    importlib.reload(paths)
    yield tmp_path
    monkeypatch.delenv("ELECTION_FORENSICS_ROOT")
    importlib.reload(paths)


def test_run_passes_merged_parameters_and_renders_html(project):
    executed = pipeline.run_notebook("demo", "demo", overrides={"alpha": 0.01})
    results = json.loads((project / "reports" / "results" / "demo" / "demo.json").read_text())
    assert _numbers(results) == {"alpha": 0.01, "n": 4}  # override beats default; election params beat notebook default
    assert executed.with_suffix(".html").exists()


def test_run_makes_the_thumbnails_of_its_figures(project):
    """Each run makes the index's thumbnails of its figures (in parallel under make -j)."""
    pipeline.run_notebook("demo", "figure")
    thumb = project / "reports" / "figures" / "demo" / "thumbs" / "figure__wide.png"
    with Image.open(thumb) as im:
        assert im.size == (480, 240)  # within render.THUMB_SIZE, aspect kept


def test_kernel_gets_one_blas_thread_unless_the_caller_chose(project, monkeypatch):
    """Kernels run one per core under make -j: OpenBLAS's own threads would only spin."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "x")  # recorded, so the test's changes are undone
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    pipeline.run_notebook("demo", "threads")
    results = json.loads((project / "reports" / "results" / "demo" / "threads.json").read_text())
    assert (results["OPENBLAS_NUM_THREADS"], results["OMP_NUM_THREADS"]) == ("1", "3")


def test_run_records_its_provenance(project):
    pipeline.run_notebook("demo", "demo", overrides={"alpha": 0.01})
    results = json.loads((project / "reports" / "results" / "demo" / "demo.json").read_text())
    assert json.loads(results["provenance_parameters"]) == {"alpha": 0.01, "election": "demo", "n": 4}
    # alpha set by PARAMS, n by the election's params: both differ from the configured defaults
    assert results["provenance_parameters_nondefault"] == "alpha,n"
    assert results["provenance_dataset"] == "demo" and results["provenance_dataset_sha256"] == SHA256["demo"]
    assert results["provenance_control_elections"] == "ctl"
    assert results["provenance_control_dataset_sha256"] == SHA256["ctl"]
    assert results["provenance_package_version"] == provenance.package_version()
    # the temporary project is no git repository: unknown, not an error
    assert results["provenance_git_commit"] is None and results["provenance_git_dirty"] is None
    assert list(results) == sorted(results)  # still sorted and flat


def _stale_output(project, notebook):
    """What a previous, successful run of ``notebook`` left: results, pages, a figure."""
    write_results("demo", notebook, {"stale_number": 123456789}, root=project / "reports" / "results")
    pages = project / "reports" / "notebooks" / "demo"
    pages.mkdir(parents=True, exist_ok=True)
    for name in (f"{notebook}.html", f"{notebook}.report.html", f"{notebook}.ipynb"):
        (pages / name).write_text("previous run")
    figure = project / "reports" / "figures" / "demo" / f"{notebook}__old.png"
    figure.parent.mkdir(parents=True, exist_ok=True)
    figure.write_bytes(b"png")
    return figure


def test_failing_notebook_raises_and_leaves_partial_notebook(project):
    figure = _stale_output(project, "broken")
    with pytest.raises(pipeline.NotebookFailed, match="deliberate failure"):
        pipeline.run_notebook("demo", "broken")
    partial = project / "reports" / "notebooks" / "demo" / "broken.ipynb"
    assert "deliberate failure" in partial.read_text()
    assert partial.with_suffix(".html").exists()
    for page in (partial.with_suffix(".html"), partial.with_name("broken.report.html")):
        assert "This run FAILED" in page.read_text()  # the partial pages say so, on top
    assert not figure.exists()
    results_dir = project / "reports" / "results" / "demo"
    assert not (results_dir / "broken.json").exists()  # the previous run's numbers are gone
    assert "deliberate failure" in (results_dir / "broken.FAILED.txt").read_text()
    assert pipeline.main(["run", "--election", "demo", "--notebook", "broken"]) == 1


def test_index_shows_a_failed_run_not_stale_numbers(project):
    _stale_output(project, "broken")
    assert "123,456,789" in index.build_index(project / "reports")  # the previous run's numbers
    with pytest.raises(pipeline.NotebookFailed):
        pipeline.run_notebook("demo", "broken")
    page = index.build_index(project / "reports")
    assert "123,456,789" not in page
    assert "Run failed: demo/broken failed in cell" in page and "1 run(s) failed or were interrupted" in page
    assert 'href="notebooks/demo/broken.report.html"' in page  # the partial pages, marked failed
    pipeline.run_notebook("demo", "demo")  # a later success clears nothing but its own run
    assert "Run failed: demo/broken" in index.build_index(project / "reports")


def test_interrupted_run_leaves_no_results(project, monkeypatch):
    import papermill

    def interrupted(source, executed, **kwargs):  # the notebook wrote its results, then Ctrl-C
        write_results("demo", "demo", {"n": 4})
        raise KeyboardInterrupt

    _stale_output(project, "demo")
    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_notebook("demo", "demo")
    results_dir = project / "reports" / "results" / "demo"
    assert not (results_dir / "demo.json").exists()
    assert "demo/demo interrupted: KeyboardInterrupt" in (results_dir / "demo.FAILED.txt").read_text()
    assert not (project / "reports" / "notebooks" / "demo" / "demo.html").exists()


@pytest.mark.slow
def test_sigterm_during_a_run_leaves_no_results(project):
    results_file = project / "reports" / "results" / "demo" / "slow.json"
    env = {**os.environ, "ELECTION_FORENSICS_ROOT": str(project)}
    command = [sys.executable, "-m", "analysis.report.pipeline", "run", "--election", "demo", "--notebook", "slow"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not results_file.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert results_file.exists(), proc.stderr.read() if proc.poll() is not None else "no results written"
        proc.send_signal(signal.SIGTERM)  # as `make` stopped, or a job killed
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert not results_file.exists(), stderr
    assert "interrupted: KeyboardInterrupt: signal SIGTERM" in results_file.with_name("slow.FAILED.txt").read_text()


def test_unavailable_data_skips_or_fails_when_strict(project):
    marker = project / "data" / "processed" / "demo" / "UNAVAILABLE.txt"
    marker.parent.mkdir(parents=True)
    marker.write_text("demo.zip not found: set ELECTION_DATA_MIRROR")
    assert pipeline.run_notebook("demo", "demo") is None
    results = json.loads((project / "reports" / "results" / "demo" / "demo.json").read_text())
    assert results["status"] == "skipped" and "ELECTION_DATA_MIRROR" in results["reason"]
    assert results["provenance_dataset_sha256"] == SHA256["demo"]  # how the skip came about
    assert json.loads(results["provenance_parameters"]) == {"alpha": 0.05, "election": "demo", "n": 4}
    with pytest.raises(RuntimeError, match="STRICT"):
        pipeline.run_notebook("demo", "demo", strict=True)


def test_unknown_override_is_rejected(project):
    assert pipeline.main(["check-params", "--params", "alpha=0.01"]) == 0
    assert pipeline.main(["check-params", "--params", "alhpa=0.01"]) == 1


# --- the plan ---------------------------------------------------------------------------------


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture
def planned(tmp_path):
    """config/ + notebooks/ of a project with a station, a region and a synthetic election."""
    cfg = tmp_path / "config"
    _write(cfg / "analysis.yml", {"seed": {"default": 1, "help": "s"}})
    elections = {
        "st1": {"order": 2, "title": "S1", "level": "station", "dataset": "st1", "leader": "A", "control": "st2"},
        "st2": {"order": 3, "title": "S2", "level": "station", "dataset": "st2", "leader": "A", "control": None},
        "reg": {"order": 1, "title": "R", "level": "region", "dataset": "reg", "leader": "A", "control": "st2"},
        "syn": {"order": 9, "title": "Y", "level": "synthetic", "dataset": None},
    }
    for election, body in elections.items():
        _write(cfg / "elections" / f"{election}.yml", body)
    p = {"election": {"default": "st1", "help": "e"}}
    notebooks = {
        "01_region_only": {"levels": ["region"], "parameters": p},
        "02_protocols": {
            "levels": ["station", "region"],
            "requires": [{"notebook": "02_protocols", "election": "{reference}", "levels": ["region"]}],
            "parameters": {**p, "reference": {"default": "st1", "help": "r"}},
        },
        "03_dist": {
            "levels": ["station", "region"],
            "requires": [{"data": "{control}"}, {"notebook": "02_protocols"}],
            "parameters": {**p, "control": {"default": None, "help": "c"}},
        },
        "07_calibration": {"levels": ["synthetic"], "parameters": p},
    }
    (tmp_path / "notebooks").mkdir()
    for nb, body in notebooks.items():
        _write(cfg / "notebooks" / f"{nb}.yml", body)
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / f"{nb}.ipynb")
    (tmp_path / "data" / "raw" / "reg").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "reg" / "table one.csv").write_text("x\n")
    return tmp_path


def _plan(root, **kwargs):
    return run_plan.build_plan(config_dir=root / "config", notebooks_dir=root / "notebooks", **kwargs)


def test_plan_runs_every_notebook_of_each_level_with_its_needs(planned):
    plan = _plan(planned)
    assert plan.elections == ["reg", "st1", "st2", "syn"] and plan.data_elections == ["reg", "st1", "st2"]
    assert run_plan.describe(plan).splitlines() == [
        "reg/01_region_only  <- data:reg",
        "reg/02_protocols  <- data:reg, st1/02_protocols",
        "reg/03_dist  <- data:reg, data:st2, reg/02_protocols",
        "st1/02_protocols  <- data:st1",  # the region-only requirement does not apply; no self-dependency
        "st1/03_dist  <- data:st1, data:st2, st1/02_protocols",
        "st2/02_protocols  <- data:st2",
        "st2/03_dist  <- data:st2, st2/02_protocols",  # no control: only its own data
        "syn/07_calibration  <- nothing",
    ]


def test_plan_resolves_requirements_with_overrides(planned):
    plan = _plan(planned, overrides={"reference": "st2", "control": "st1"})
    by_run = {str(r): [str(x) for x in plan.needs_runs[r]] + plan.needs_data[r] for r in plan.all_runs()}
    assert by_run["reg/02_protocols"] == ["st2/02_protocols", "reg"]
    assert by_run["st2/03_dist"] == ["st2/02_protocols", "st2", "st1"]


def test_plan_for_some_elections_keeps_what_they_require(planned):
    plan = _plan(planned, elections=["reg"])
    assert [str(r) for r in plan.all_runs()] == [
        "reg/01_region_only",
        "reg/02_protocols",
        "reg/03_dist",
        "st1/02_protocols",
    ]
    assert plan.data_elections == ["reg", "st1", "st2"]
    with pytest.raises(config.ConfigError, match=r"unknown election 'kz2o11' \(known: reg, st1, st2, syn\)"):
        _plan(planned, elections=["kz2o11"])
    with pytest.raises(config.ConfigError, match=r"'../x' \(not a valid election id; known: reg"):
        _plan(planned, elections=["../x"])


def test_plan_makefile_format(planned):
    text = run_plan.makefile(_plan(planned))
    lines = text.splitlines()
    assert "PLAN_ELECTIONS := reg st1 st2 syn" in lines
    assert "PLAN_DATA_ELECTIONS := reg st1 st2" in lines
    assert "PLAN_LEVEL_reg := region" in lines
    assert "PLAN_RUNS_syn := build/stamps/syn/07_calibration.done" in lines
    assert (
        "PLAN_DATA_STAMPS := build/stamps/data/reg.done build/stamps/data/st1.done build/stamps/data/st2.done" in lines
    )
    assert "build/stamps/data/reg.done: data/raw/reg/table\\ one.csv" in lines
    assert (
        "build/stamps/reg/03_dist.done: build/stamps/data/reg.done build/stamps/data/st2.done "
        "build/stamps/reg/02_protocols.done"
    ) in lines
    assert "build/stamps/syn/07_calibration.done:" in lines
    run_stamps = next(x for x in lines if x.startswith("PLAN_RUN_STAMPS := ")).split()[2:]
    assert len(run_stamps) == 8 and run_stamps[0] == "build/stamps/reg/01_region_only.done"


def test_plan_orders_the_longest_chains_first(planned):
    """make -j starts runs in PLAN_RUN_ORDER: by the summed `cost` of the run and its costliest
    chain of readers, ties in configured order; an undeclared cost is config.DEFAULT_COST."""
    costs = {"01_region_only": 1, "02_protocols": 10, "03_dist": 2, "07_calibration": 11}
    for nb, cost in costs.items():
        path = planned / "config" / "notebooks" / f"{nb}.yml"
        _write(path, {**yaml.safe_load(path.read_text(encoding="utf-8")), "cost": cost})
    plan = _plan(planned)
    # st1/02 (10) is read by st1/03 (2) and reg/02 (10), which reg/03 (2) reads: 10 + 10 + 2
    assert [str(r) for r in run_plan.run_order(plan)] == [
        "st1/02_protocols",  # 22
        "reg/02_protocols",  # 12
        "st2/02_protocols",  # 12
        "syn/07_calibration",  # 11
        "reg/03_dist",  # 2
        "st1/03_dist",  # 2
        "st2/03_dist",  # 2
        "reg/01_region_only",  # 1
    ]
    order = next(x for x in run_plan.makefile(plan).splitlines() if x.startswith("PLAN_RUN_ORDER := "))
    assert order.split()[2:] == [r.stamp for r in run_plan.run_order(plan)]
    path = planned / "config" / "notebooks" / "03_dist.yml"
    _write(path, {**yaml.safe_load(path.read_text(encoding="utf-8")), "cost": -1})
    with pytest.raises(config.ConfigError, match=r"03_dist.yml: cost: -1 must be a number >= 0"):
        _plan(planned)


def _edit_orphan_declaration(root):
    _write(root / "config/notebooks/09_new.yml", {"levels": ["station"]})


def _edit_undeclared_notebook(root):
    nbformat.write(nbformat.v4.new_notebook(), root / "notebooks/09_new.ipynb")


def _control(name):
    def edit(root):
        body = {"title": "S2", "level": "station", "dataset": "st2", "leader": "A", "control": name}
        _write(root / "config/elections/st2.yml", body)

    return edit


def _edit_unplanned_requirement(root):
    requires = [{"notebook": "07_calibration", "election": "st1"}]
    _write(root / "config/notebooks/01_region_only.yml", {"levels": ["region"], "requires": requires})


def _edit_cycle(root):
    _write(root / "config/notebooks/01_region_only.yml", {"levels": ["region"], "requires": [{"notebook": "03_dist"}]})
    requires = [{"notebook": "01_region_only", "levels": ["region"]}]
    _write(root / "config/notebooks/02_protocols.yml", {"levels": ["station", "region"], "requires": requires})


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _edit_orphan_declaration,
            "config/notebooks/09_new.yml declares a notebook, but notebooks/09_new.ipynb does not exist",
        ),
        (_edit_undeclared_notebook, "notebooks/09_new.ipynb has no config/notebooks/09_new.yml"),
        (
            _control("nowhere"),
            "03_dist.yml: requires (run st2/03_dist): election 'nowhere' ({control}) is not configured",
        ),
        (_control("syn"), "election 'syn' ({control}) has no dataset to read"),
        (_edit_unplanned_requirement, "st1/07_calibration is not a planned run"),
        (
            _edit_cycle,
            "circular dependency reg/01_region_only -> reg/03_dist -> reg/02_protocols -> reg/01_region_only",
        ),
    ],
)
def test_plan_errors(planned, edit, message):
    edit(planned)
    with pytest.raises(config.ConfigError) as info:
        _plan(planned)
    assert message in str(info.value)


# --- the Makefile on a tiny project ---------------------------------------------------------

NOTEBOOK_BODY = "from analysis.core.results import write_results\nwrite_results(election, NB, {'n': n, 'seed': seed})"


@pytest.fixture
def tiny_project(tmp_path):
    """Makefile + src + a config with two synthetic elections and two notebooks (no data)."""
    root = tmp_path / "proj"
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(REPO / "Makefile", root / "Makefile")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    cfg = root / "config"
    _write(cfg / "analysis.yml", {"seed": {"default": 1, "help": "s"}})
    _write(cfg / "datasets.yml", {})
    for election in ("sa", "sb"):
        _write(
            cfg / "elections" / f"{election}.yml", {"title": election.upper(), "level": "synthetic", "dataset": None}
        )
    (root / "notebooks").mkdir()
    for nb in ("n1", "n2"):
        _write(
            cfg / "notebooks" / f"{nb}.yml",
            {
                "levels": ["synthetic"],
                "parameters": {"election": {"default": "sa", "help": "e"}, "n": {"default": 3, "help": "n"}},
            },
        )
        book = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell(f'election = "sa"\nseed = 1\nn = 3\nNB = "{nb}"')
        params.metadata["tags"] = ["parameters"]
        book.cells = [
            nbformat.v4.new_markdown_cell(f"# {nb}\n**Question:** ?"),
            params,
            nbformat.v4.new_code_cell(NOTEBOOK_BODY),
        ]
        book.metadata["kernelspec"] = {"name": pipeline.KERNEL_NAME, "display_name": "py", "language": "python"}
        nbformat.write(book, root / "notebooks" / f"{nb}.ipynb")
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "processed" / ".gitkeep").touch()
    (root / "data" / "processed" / "sa").mkdir()
    return root


def _runs(output: str) -> list[str]:
    return sorted(line.split()[1] for line in output.splitlines() if line.startswith("RUN "))


@pytest.mark.slow
def test_make_all_follows_the_plan_and_is_incremental(tiny_project, run_make):
    first = run_make(tiny_project, "-j2", "all")
    assert first.returncode == 0, first.stderr
    assert _runs(first.stderr) == ["sa/n1", "sa/n2", "sb/n1", "sb/n2"]
    assert _numbers(json.loads((tiny_project / "reports/results/sb/n2.json").read_text())) == {"n": 3, "seed": 1}
    assert 'id="sb"' in (tiny_project / "reports/index.html").read_text()
    again = run_make(tiny_project, "all")
    assert again.returncode == 0 and _runs(again.stderr) == [] and "Nothing to be done" in again.stdout, again.stdout
    one = run_make(tiny_project, "all", "ELECTION=sb", "PARAMS=n=5")
    assert one.returncode == 0 and _runs(one.stderr) == ["sb/n1", "sb/n2"], one.stderr
    n1 = json.loads((tiny_project / "reports/results/sb/n1.json").read_text())
    assert _numbers(n1) == {"n": 5, "seed": 1}
    assert n1["provenance_parameters_nondefault"] == "n" and "n=5" in (tiny_project / "reports/index.html").read_text()


def test_make_unknown_election_fails_with_the_known_ones(tiny_project, run_make):
    bad = run_make(tiny_project, "all", "ELECTION=sa kz2O11")
    assert bad.returncode != 0
    assert "unknown election(s) kz2O11; known: sa sb" in bad.stderr
    assert not (tiny_project / "reports" / "results").exists()


def test_make_picks_up_a_new_election_without_other_edits(tiny_project, run_make):
    assert "unknown election(s) sc; known: sa sb" in run_make(tiny_project, "all", "ELECTION=sc").stderr
    _write(tiny_project / "config/elections/sc.yml", {"title": "SC", "level": "synthetic", "dataset": None})
    dry = run_make(tiny_project, "-n", "all", "ELECTION=sc")
    assert dry.returncode == 0, dry.stderr
    assert "--election sc --notebook n1" in dry.stdout and "--election sa" not in dry.stdout
    default_goal = run_make(tiny_project, "-n")  # the plan's rules come first in the file; the goal is still `all`
    assert "--election sa --notebook n1" in default_goal.stdout and "--election sc --notebook n2" in default_goal.stdout


def test_make_clean_keeps_the_tracked_gitkeep(tiny_project, run_make):
    result = run_make(tiny_project, "clean")
    assert result.returncode == 0, result.stderr
    assert (tiny_project / "data/processed/.gitkeep").exists()
    assert not (tiny_project / "data/processed/sa").exists() and not (tiny_project / "build").exists()
