"""The notebooks stay thin narratives (issue 9): every notebook in notebooks/ follows the
layout of docs/ARCHITECTURE.md, holds at most 120 lines of code and defines no functions;
shared code lives in ``analysis.report.notebook``, whose helpers are tested here."""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from analysis.core import paths
from analysis.report import notebook

MAX_CODE_LINES = 120
NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code_lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin(path):
    code = ["".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code"]
    n_lines = sum(_code_lines(src) for src in code)
    assert n_lines <= MAX_CODE_LINES, f"{path.name}: {n_lines} code lines (at most {MAX_CODE_LINES})"
    for src in code:
        for node in ast.walk(ast.parse(src)):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)), (
                f"{path.name} defines {node.name!r}: shared code belongs in analysis.report.notebook"
            )
            if isinstance(node, ast.Assign):
                assert not isinstance(node.value, ast.Lambda), f"{path.name} assigns a lambda to a name"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_layout(path):
    cells = _cells(path)
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), f"{path.name}: first cell is not '# <title>'"
    assert "**Question:**" in first, f"{path.name}: no '**Question:**' line in the first cell"
    assert "parameters" in cells[1].get("metadata", {}).get("tags", []), (
        f"{path.name}: second cell is not tagged 'parameters'"
    )
    assert cells[-2]["cell_type"] == "markdown" and "".join(cells[-2]["source"]).strip() == "## Conclusions"
    assert cells[-1]["cell_type"] == "code" and "print(" in "".join(cells[-1]["source"])


def test_control_election_from_parameter_or_config_never_itself():
    assert notebook.control_election("ru2011") == "pl2020r1"
    assert notebook.control_election("pl2020r1") is None  # the control has no control
    assert notebook.control_election("ru2011", "kz2011") == "kz2011"
    assert notebook.control_election("ru2011", "ru2011") is None


def test_fmt_p():
    assert notebook.fmt_p(0.012345) == "0.0123"
    assert notebook.fmt_p(0.012345, 2) == "0.012"
    assert notebook.fmt_p(0.0) == "< 1e-300"
    assert notebook.fmt_p(float("nan")) == "n/a" and notebook.fmt_p(None) == "n/a"
    assert notebook.fmt_p(3e-7, floor=1e-5, relation=True) == "< 1e-05"
    assert notebook.fmt_p(0.5, floor=1e-5, relation=True) == "= 0.5"


@dataclass(frozen=True)
class _ToyResult:
    statistic: float
    pvalue: float
    n: np.int64
    draws: np.ndarray


def test_flat_takes_scalars_renames_and_prefers_as_dict():
    r = _ToyResult(1.5, 0.25, np.int64(7), np.arange(3))
    assert notebook.flat(r, "toy_") == {"toy_statistic": 1.5, "toy_pvalue": 0.25, "toy_n": 7}
    assert type(notebook.flat(r)["n"]) is int
    assert notebook.flat(r, "x_", keys={"statistic": "", "pvalue": "_p"}) == {"x_": 1.5, "x__p": 0.25}
    assert notebook.flat(r, keys=("pvalue",)) == {"pvalue": 0.25}

    class WithAsDict:
        def as_dict(self, prefix=""):
            return {f"{prefix}own": 1}

    assert notebook.flat(WithAsDict(), "p_") == {"p_own": 1}


def test_digit_results_and_disagreements():
    from analysis.stats import digits

    rng = np.random.default_rng(1)
    sizes = rng.integers(200, 2000, size=300)
    counts = rng.binomial(sizes, 0.4)
    tests = digits.all_digit_tests(counts, sizes, n_sims=19, n_boot=19, seed=1)
    mapping = notebook.digit_results(tests, "x_")
    for name, r in tests.items():
        assert mapping[f"x_{name}"] == r.statistic and mapping[f"x_{name}_pvalue_sizeaware"] == r.pvalue_sizeaware
        assert (f"x_{name}_ci_low" in mapping) == math.isfinite(r.ci_low)
    table, case = notebook.digit_disagreements({"toy": tests}, alpha=0.05)
    p, q = table["p_textbook"], table["p_sizeaware"]
    assert ((p < 0.05) != (q < 0.05)).all() and list(p) == sorted(p)
    assert (case is None) == table.empty
