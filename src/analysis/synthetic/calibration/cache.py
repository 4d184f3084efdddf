"""Cache of finished calibration units: one p-value per (scenario, fraud, seed, election, test, code version).

A calibration study of thousands of elections is rerun with more elections, a new test or an
edited one; only what changed is computed again. A unit is one test on one synthetic election;
its key is

- the *batch*: the scenario (every parameter, :func:`scenario_fingerprint`), the injected
  fraud, the run's seed and the version of the simulation code (:func:`simulation_version`);
- the election's index (its seed is child ``i`` of the run's seed);
- the test's name and its *code version* (:func:`test_code_version`): a hash of the source of
  the module defining the test and of the ``analysis.stats`` modules it imports, so editing
  one test's module invalidates that test only.

On disk (default ``build/cache/calibration/``): ``<batch>/<test>__<version>.json`` holding
``{election: [p-value, error or null]}``. Only the process that started the run writes (the
workers return rows), and a file is replaced atomically.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

from analysis.core import paths

DEFAULT_CACHE_DIR = paths.ROOT / "build" / "cache" / "calibration"
#: Bump when the way seeds are derived (analysis.synthetic.calibration.runs) changes: every
#: cached p-value is then invalid.
STREAMS_VERSION = 1
_SIMULATION_PACKAGE = "analysis.synthetic.simulate"
_STATS_PACKAGE = "analysis.stats"


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def _module_file(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # a name imported from a module, not a module
        return None
    return Path(spec.origin) if spec is not None and spec.origin and spec.origin.endswith(".py") else None


def _imported_modules(source: str, module: str) -> set[str]:
    """Modules named by the import statements of ``source`` (relative imports resolved)."""
    names: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@cache
def _stats_closure(module: str) -> tuple[tuple[str, str], ...]:
    """(module, source) of ``module`` and every ``analysis.stats`` module it imports, transitively."""
    seen: dict[str, str] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        file = _module_file(name)
        if file is None:
            continue
        source = file.read_text(encoding="utf-8")
        seen[name] = source
        for other in _imported_modules(source, name):
            if other == _STATS_PACKAGE or other.startswith(_STATS_PACKAGE + "."):
                if other not in seen and _module_file(other) is not None:
                    todo.append(other)
    return tuple(sorted(seen.items()))


def test_code_version(fn: Callable) -> str:
    """Hash of the source of the module defining ``fn`` and of the ``analysis.stats`` modules it imports.

    Parameters
    ----------
    fn : callable
        A registered calibration test.

    Returns
    -------
    str
        16 hex digits; it changes when any of those modules' source changes.

    References
    ----------
    None: a content hash (SHA-256) used as a cache key.

    Examples
    --------
    >>> from analysis.stats.measures import turnout
    >>> version = test_code_version(turnout)
    >>> len(version), version == test_code_version(turnout)
    (16, True)
    """
    return _digest(*(f"{name}\n{source}" for name, source in _stats_closure(fn.__module__)))


@cache
def simulation_version() -> str:
    """Hash of the simulation code (every module of ``analysis.synthetic.simulate``) and of :data:`STREAMS_VERSION`."""
    folder = _module_file(_SIMULATION_PACKAGE).parent
    sources = [f"{p.name}\n{p.read_text(encoding='utf-8')}" for p in sorted(folder.glob("*.py"))]
    return _digest(f"streams {STREAMS_VERSION}", *sources)


def scenario_fingerprint(scenario) -> str:
    """Hash of every parameter of a :class:`~analysis.synthetic.simulate.Scenario` (a frozen dataclass of tuples)."""
    return _digest(repr(scenario))


def batch_key(scenario, fraud: Mapping | None, seed: int) -> str:
    """Directory name of one batch: scenario name + hash of (scenario, fraud, seed, simulation code)."""
    fraud_text = json.dumps(fraud or {}, sort_keys=True, default=float)
    return f"{scenario.name}-{_digest(scenario_fingerprint(scenario), fraud_text, str(seed), simulation_version())}"


class UnitCache:
    """p-values of finished units on disk, by batch, test and code version.

    Parameters
    ----------
    root : path
        Folder of the cache (created on the first write).

    Examples
    --------
    >>> import tempfile
    >>> c = UnitCache(tempfile.mkdtemp())
    >>> c.store("b", "t", "v1", {0: (0.5, None), 1: (float("nan"), "ValueError: x")})
    >>> c.load("b", "t", "v1")[1][1], c.load("b", "t", "v2")
    ('ValueError: x', {})
    """

    def __init__(self, root: str | os.PathLike = DEFAULT_CACHE_DIR):
        self.root = Path(root)

    def _file(self, batch: str, test: str, version: str) -> Path:
        return self.root / batch / f"{test}__{version}.json"

    def load(self, batch: str, test: str, version: str) -> dict[int, tuple[float, str | None]]:
        """``{election: (p-value, error)}`` cached for one batch and test version (empty when none)."""
        file = self._file(batch, test, version)
        if not file.exists():
            return {}
        data = json.loads(file.read_text(encoding="utf-8"))
        return {int(k): (float("nan") if v[0] is None else float(v[0]), v[1]) for k, v in data.items()}

    def store(self, batch: str, test: str, version: str, values: Mapping[int, tuple[float, str | None]]) -> None:
        """Add ``values`` to the cached units of one batch and test version."""
        if not values:
            return
        merged = {**self.load(batch, test, version), **{int(k): v for k, v in values.items()}}
        file = self._file(batch, test, version)
        file.parent.mkdir(parents=True, exist_ok=True)
        data = {str(k): [None if v[0] != v[0] else v[0], v[1]] for k, v in sorted(merged.items())}
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(file)


def resolve_cache(cache_dir: str | os.PathLike | UnitCache | None) -> UnitCache | None:
    """A :class:`UnitCache` from a path (relative paths from the project root), or None (no cache)."""
    if cache_dir is None or isinstance(cache_dir, UnitCache):
        return cache_dir
    path = Path(cache_dir)
    return UnitCache(path if path.is_absolute() else paths.ROOT / path)


def code_versions(tests: Mapping[str, Callable]) -> dict[str, str]:
    """``{test: code version}`` (:func:`test_code_version`) of every test."""
    return {name: test_code_version(fn) for name, fn in tests.items()}


def missing_units(cached: Mapping[str, Mapping[int, tuple]], elections: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Per election, the tests without a cached p-value (elections with none missing left out)."""
    out = {}
    for i in elections:
        todo = tuple(name for name, values in cached.items() if i not in values)
        if todo:
            out[i] = todo
    return out
