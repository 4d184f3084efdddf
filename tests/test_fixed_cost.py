"""What every notebook run pays before and after its cells (issue 10, "Speed"): imports, YAML, catalog.

`python -m analysis.report.pipeline run` is started once per notebook and election, and each
notebook's kernel imports the package: what they import is paid ~60 times in a panel run.
These tests pin the import boundaries (checked in a fresh interpreter) and the equivalence of
the cheaper paths with the ones they replace.
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from analysis.core import config, paths
from analysis.data import datasets, sources


def _modules_after(statement: str, candidates: list[str]) -> list[str]:
    """Which of ``candidates`` are in ``sys.modules`` after ``statement``, in a fresh interpreter."""
    code = f"import json, sys\n{statement}\nprint(json.dumps([m for m in {candidates!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_runner_imports_neither_the_index_nor_the_data_stack():
    heavy = [
        "analysis.report.index",
        "analysis.report.calibration_status",
        "analysis.synthetic.calibration",
        "analysis.data.datasets",
        "pandas",
        "pandera",
        "scipy",
        "matplotlib",
    ]
    assert _modules_after("import analysis.report.pipeline", heavy) == []


def test_reading_prepared_tables_imports_no_adapter_and_no_pandera():
    assert (
        _modules_after(
            "import analysis.data.datasets", ["pandera", "analysis.data.adapters.ru_cec", "analysis.data.kz2011"]
        )
        == []
    )


def test_yaml_loader_reads_every_config_file_as_pyyaml_safe_load_does():
    files = sorted(paths.CONFIG.rglob("*.yml"))
    assert files
    for path in files:
        with open(path, encoding="utf-8") as fh:
            assert config.load_yaml(path) == (yaml.safe_load(fh) or {}), path


def test_yaml_cache_hands_out_copies_and_sees_edits(tmp_path):
    path = tmp_path / "a.yml"
    path.write_text("x: {y: [1, 2]}\n", encoding="utf-8")
    first = config.load_yaml(path)
    first["x"]["y"].append(3)
    assert config.load_yaml(path) == {"x": {"y": [1, 2]}}
    path.write_text("x: {y: [4]}\n", encoding="utf-8")  # same size or not, the content decides
    assert config.load_yaml(path) == {"x": {"y": [4]}}
    path.write_text("x: [\n", encoding="utf-8")
    try:
        config.load_yaml(path)
    except config.ConfigError as exc:
        assert str(path) in str(exc) and "invalid YAML" in str(exc)
    else:
        raise AssertionError("invalid YAML was accepted")


def test_catalog_lookup_without_adapters_agrees_with_the_validated_catalog():
    catalog = datasets.load_catalog()
    for dataset_id, entry in catalog.items():
        light = sources.catalog_entry(dataset_id)
        assert light == entry
        assert sources.is_embedded(light) == (entry["adapter"] in datasets.embedded_adapters())
        if not sources.is_embedded(light):
            assert sources.local_file(light) == datasets.local_file(entry)
