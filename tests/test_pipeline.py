"""The papermill runner: parameters reach the notebook, failures stop the run, missing data skips."""

import importlib
import json

import nbformat
import pytest
import yaml

from analysis.core import paths

from analysis.report import pipeline


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throw-away project root with one election and two notebooks."""
    (tmp_path / "config" / "elections").mkdir(parents=True)
    (tmp_path / "config" / "notebooks").mkdir()
    (tmp_path / "config" / "analysis.yml").write_text(yaml.safe_dump({"alpha": {"default": 0.05, "help": "level"}}))
    (tmp_path / "config" / "notebooks" / "demo.yml").write_text(yaml.safe_dump({"n": {"default": 3, "help": "count"}}))
    (tmp_path / "config" / "elections" / "demo.yml").write_text(yaml.safe_dump({"title": "Demo", "dataset": "demo", "params": {"n": 4}}))
    (tmp_path / "notebooks").mkdir()

    def make_nb(name, body):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell('election = "x"\nalpha = 0.05\nn = 3')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [nbformat.v4.new_markdown_cell("# Demo\n**Question:** does it run?"), params, nbformat.v4.new_code_cell(body)]
        nb.metadata["kernelspec"] = {"name": pipeline.KERNEL_NAME, "display_name": "py", "language": "python"}
        nbformat.write(nb, tmp_path / "notebooks" / f"{name}.ipynb")

    make_nb("demo", "from analysis.core.results import write_results\nwrite_results(election, 'demo', {'alpha': alpha, 'n': n})")
    make_nb("broken", "raise ValueError('deliberate failure for the test')")
    monkeypatch.setenv("ELECTION_FORENSICS_ROOT", str(tmp_path))
    importlib.reload(paths)
    yield tmp_path
    monkeypatch.delenv("ELECTION_FORENSICS_ROOT")
    importlib.reload(paths)


def test_run_passes_merged_parameters_and_renders_html(project):
    executed = pipeline.run_notebook("demo", "demo", overrides={"alpha": 0.01})
    results = json.loads((project / "reports" / "results" / "demo" / "demo.json").read_text())
    assert results == {"alpha": 0.01, "n": 4}  # override beats default; election params beat notebook default
    assert executed.with_suffix(".html").exists()


def test_failing_notebook_raises_and_leaves_partial_notebook(project):
    with pytest.raises(pipeline.NotebookFailed, match="deliberate failure"):
        pipeline.run_notebook("demo", "broken")
    partial = project / "reports" / "notebooks" / "demo" / "broken.ipynb"
    assert "deliberate failure" in partial.read_text()
    assert partial.with_suffix(".html").exists()
    assert pipeline.main(["run", "--election", "demo", "--notebook", "broken"]) == 1


def test_unavailable_data_skips_or_fails_when_strict(project):
    marker = project / "data" / "processed" / "demo" / "UNAVAILABLE.txt"
    marker.parent.mkdir(parents=True)
    marker.write_text("demo.zip not found: set ELECTION_DATA_MIRROR")
    assert pipeline.run_notebook("demo", "demo") is None
    results = json.loads((project / "reports" / "results" / "demo" / "demo.json").read_text())
    assert results["status"] == "skipped" and "ELECTION_DATA_MIRROR" in results["reason"]
    with pytest.raises(RuntimeError, match="STRICT"):
        pipeline.run_notebook("demo", "demo", strict=True)


def test_unknown_override_is_rejected(project):
    assert pipeline.main(["check-params", "--params", "alpha=0.01"]) == 0
    assert pipeline.main(["check-params", "--params", "alhpa=0.01"]) == 1
