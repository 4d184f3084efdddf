"""The package's layers import one way only (docs/ARCHITECTURE.md, "Layers").

core < data < stats < synthetic < report: a module imports its own layer and the layers the
table below allows, never a higher one; no two modules import each other (directly or around
a circle); no module imports ``analysis`` inside a function (the usual way to dodge a circle);
no file exceeds :data:`MAX_LINES` lines. Every rule reports every offender at once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "analysis"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE
MAX_LINES = 450
ALLOWED = {
    "core": {"core"},
    "data": {"core", "data"},
    "stats": {"core", "stats"},
    "synthetic": {"core", "data", "stats", "synthetic"},
    "report": {"core", "data", "stats", "synthetic", "report"},
}
# Modules the statistics layer must not import: it takes arrays and tables, never files or figures.
STATS_FORBIDDEN_THIRD_PARTY = {"pathlib", "os", "io", "shutil", "yaml", "pyarrow", "pooch", "matplotlib", "papermill"}
DYNAMIC_IMPORTERS = {"import_module", "__import__"}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (the most specific module of the package that exists)
    line: int
    in_function: bool


def module_name(path: Path, src: Path = SRC) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules(src: Path = SRC) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted(src.rglob("*.py"))}


def layer(module: str) -> str | None:
    """The layer of a module of the package; the package's own __init__ counts as core."""
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    return parts[1] if parts[1] in ALLOWED else None


def _resolve(name: str, modules: dict[str, Path]) -> str:
    """The longest prefix of a dotted name that is a module of the package."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return name


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, modules: dict[str, Path]):
        self.module, self.is_package, self.modules = module, is_package, modules
        self.depth = 0
        self.found: list[Import] = []
        self.third_party: set[str] = set()

    def _add(self, name: str, line: int) -> None:
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            self.found.append(Import(self.module, _resolve(name, self.modules), line, self.depth > 0))
        else:
            self.third_party.add(name.split(".", maxsplit=1)[0])

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _absolute(node, self.module, self.is_package)
        for alias in node.names:
            # `from analysis.core import paths` imports the module analysis.core.paths.
            full = f"{base}.{alias.name}"
            self._add(full if full in self.modules else base, node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        # importlib.import_module("analysis.x") with a literal name is an import all the same.
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in DYNAMIC_IMPORTERS and node.args and isinstance(node.args[0], ast.Constant):
            if isinstance(node.args[0].value, str):
                self._add(node.args[0].value, node.lineno)
        self.generic_visit(node)


@dataclass
class Scan:
    src: Path
    modules: dict[str, Path]
    imports: list[Import]
    third_party: dict[str, set[str]]

    def where(self, imp: Import) -> str:
        return f"{self.modules[imp.source].relative_to(self.src.parents[1]).as_posix()}:{imp.line}"


def scan(src: Path = SRC) -> Scan:
    modules = all_modules(src)
    imports: list[Import] = []
    third_party: dict[str, set[str]] = {}
    for name, path in modules.items():
        visitor = _ImportVisitor(name, path.name == "__init__.py", modules)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        imports += visitor.found
        third_party[name] = visitor.third_party
    return Scan(src, modules, imports, third_party)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the strongly connected components of ``graph``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


# --- the rules: each returns every offender -------------------------------------------------


def stray_modules(s: Scan) -> list[str]:
    return sorted(m for m in s.modules if layer(m) is None)


def upward_imports(s: Scan) -> list[str]:
    return [
        f"{s.where(i)}: {i.source} ({layer(i.source)}) imports {i.target} ({layer(i.target)})"
        for i in s.imports
        if layer(i.source) and layer(i.target) not in ALLOWED[layer(i.source)]
    ]


def import_cycles(s: Scan) -> list[str]:
    graph: dict[str, set[str]] = {m: set() for m in s.modules}
    for i in s.imports:
        if i.target in s.modules:
            graph[i.source].add(i.target)
    cycles = [c for c in strongly_connected(graph) if len(c) > 1 or c[0] in graph[c[0]]]
    return [" <-> ".join(c) for c in cycles]


def function_local_imports(s: Scan) -> list[str]:
    return [f"{s.where(i)}: {i.source} imports {i.target} inside a function" for i in s.imports if i.in_function]


def stats_file_access(s: Scan) -> list[str]:
    return [
        f"{m} imports {sorted(mods & STATS_FORBIDDEN_THIRD_PARTY)}"
        for m, mods in sorted(s.third_party.items())
        if layer(m) == "stats" and mods & STATS_FORBIDDEN_THIRD_PARTY
    ]


def long_files(src: Path = SRC) -> list[str]:
    out = []
    for path in sorted(src.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            out.append(f"{path.relative_to(src.parents[1]).as_posix()}: {n} lines")
    return out


def test_every_module_belongs_to_a_layer():
    stray = stray_modules(scan())
    assert not stray, f"modules outside the layers {sorted(ALLOWED)}: {stray}"


def test_imports_go_down_the_layers_only():
    bad = upward_imports(scan())
    assert not bad, "imports against the layer rule (docs/ARCHITECTURE.md, Layers):\n" + "\n".join(bad)


def test_no_import_cycles():
    cycles = import_cycles(scan())
    assert not cycles, "circular imports between modules:\n" + "\n".join(cycles)


def test_no_function_local_imports_of_the_package():
    local = function_local_imports(scan())
    assert not local, (
        "import the package at module level (a local import hides a layer or cycle problem):\n" + "\n".join(local)
    )


def test_statistics_layer_reads_no_files():
    bad = stats_file_access(scan())
    assert not bad, "the statistics layer takes arrays and tables, never files or figures:\n" + "\n".join(bad)


def test_no_file_exceeds_the_line_limit():
    long = long_files()
    assert not long, f"files over {MAX_LINES} lines (split the family into a subpackage):\n" + "\n".join(long)


# --- the checker checks itself on a tiny package -------------------------------------------


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
        ({"a": {"a"}}, [["a"]]),
    ],
)
def test_cycle_finder(graph, expected):
    found = [c for c in strongly_connected(graph) if len(c) > 1 or c[0] in graph[c[0]]]
    assert found == expected


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "src" / PACKAGE
    for rel, code in {"__init__.py": "", **files}.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
    for folder in [p for p in src.rglob("*") if p.is_dir()]:
        (folder / "__init__.py").touch()
    return src


def test_checker_finds_each_kind_of_offence(tmp_path):
    src = _package(
        tmp_path,
        {
            "core/paths.py": "from analysis.stats import digits\n",  # upward
            "stats/digits.py": "from . import spikes\nimport pathlib\n",  # cycle with spikes; file access
            "stats/spikes.py": "import analysis.stats.digits as d\n",
            "data/io.py": "def f():\n    from analysis.core import paths\n",  # function-local
            "synthetic/sim.py": "import importlib\ndef g():\n    return importlib.import_module('analysis.report.x')\n",
            "report/x.py": "import analysis.synthetic.sim\n" + "x = 1\n" * MAX_LINES,  # allowed, but too long
            "extra.py": "",  # outside every layer
        },
    )
    s = scan(src)
    assert stray_modules(s) == ["analysis.extra"]
    assert upward_imports(s) == [
        "src/analysis/core/paths.py:1: analysis.core.paths (core) imports analysis.stats.digits (stats)",
        "src/analysis/synthetic/sim.py:3: analysis.synthetic.sim (synthetic) imports analysis.report.x (report)",
    ]
    assert import_cycles(s) == [
        "analysis.stats.digits <-> analysis.stats.spikes",
        "analysis.report.x <-> analysis.synthetic.sim",
    ]
    assert function_local_imports(s) == [
        "src/analysis/data/io.py:2: analysis.data.io imports analysis.core.paths inside a function",
        "src/analysis/synthetic/sim.py:3: analysis.synthetic.sim imports analysis.report.x inside a function",
    ]
    assert stats_file_access(s) == ["analysis.stats.digits imports ['pathlib']"]
    assert long_files(src) == [f"src/analysis/report/x.py: {MAX_LINES + 1} lines"]


def test_clean_package_passes(tmp_path):
    src = _package(
        tmp_path,
        {
            "core/paths.py": "import os\n",
            "stats/digits.py": "import numpy as np\nfrom analysis.core import paths\n",
            "synthetic/sim.py": "from analysis.stats import digits\nfrom analysis.data import io\n",
            "data/io.py": "from ..core import paths\n",
            "report/x.py": "from analysis import synthetic, stats\nimport analysis.synthetic.sim\n",
        },
    )
    s = scan(src)
    assert not (stray_modules(s) or upward_imports(s) or import_cycles(s) or function_local_imports(s))
    assert not (stats_file_access(s) or long_files(src))
