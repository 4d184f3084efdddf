"""Key numbers of each executed notebook, as flat JSON under reports/results/<election>/.

Researchers, scripts and ``analysis.report.index`` read results from these files, so a value is
written once, where it was computed.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from analysis.core import paths


def _plain(key: str, value):
    """Convert numpy scalars to JSON numbers; reject nested or unknown values."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        value = float(value)
        return None if math.isnan(value) else value
    raise TypeError(
        f"results key {key!r}: value {value!r} of type {type(value).__name__} is not a "
        "number or string (results files are flat)"
    )


#: Beside ``<notebook>.json``: the reason a run failed or was interrupted (no results file then).
FAILED_SUFFIX = ".FAILED.txt"


def _results_file(election: str, notebook: str, root: Path | None) -> Path:
    return (root / election / f"{notebook}.json") if root else paths.results_path(election, notebook)


def failed_marker_path(election: str, notebook: str, root: Path | None = None) -> Path:
    """``<notebook>.FAILED.txt`` beside the results file: present while the latest run failed."""
    return _results_file(election, notebook, root).with_name(notebook + FAILED_SUFFIX)


def _write_flat(path: Path, flat: dict) -> None:
    """Sorted, indented JSON, replaced in one step: an interrupted write leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(flat, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_results(election: str, notebook: str, mapping: Mapping, root: Path | None = None) -> Path:
    """Write ``mapping`` (flat: names -> numbers/strings) to reports/results/<election>/<notebook>.json.

    Keys are sorted so the file is byte-identical for identical inputs. NaN is written as null.
    A failure marker of an earlier run (:func:`failed_marker_path`) is removed: these are newer results.
    """
    flat = {str(k): _plain(str(k), v) for k, v in mapping.items()}
    path = _results_file(election, notebook, root)
    _write_flat(path, flat)
    failed_marker_path(election, notebook, root).unlink(missing_ok=True)
    return path


def add_results(election: str, notebook: str, mapping: Mapping, root: Path | None = None) -> Path:
    """Add keys to an existing results file (the same flat rules and sort order as :func:`write_results`).

    Keys already in the file must keep their value: a different value is a ``ValueError``
    (e.g. the runner's ``provenance_*`` keys never overwrite what the notebook computed).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = write_results("e", "nb", {"b": 1}, root=root)
    >>> _ = add_results("e", "nb", {"a": "x", "b": 1}, root=root)
    >>> read_results("e", "nb", root=root)
    {'a': 'x', 'b': 1}
    """
    path = _results_file(election, notebook, root)
    existing = json.loads(path.read_text(encoding="utf-8"))
    added = {str(k): _plain(str(k), v) for k, v in mapping.items()}
    clashes = sorted(k for k, v in added.items() if k in existing and existing[k] != v)
    if clashes:
        raise ValueError(f"{path}: key(s) {', '.join(clashes)} already hold other values; results are not overwritten")
    _write_flat(path, {**existing, **added})
    return path


def read_results(election: str, notebook: str, root: Path | None = None) -> dict:
    return json.loads(_results_file(election, notebook, root).read_text(encoding="utf-8"))


def mark_failed(election: str, notebook: str, reason: str, root: Path | None = None) -> Path:
    """Record that the latest run of ``notebook`` failed: remove its results file, write the reason."""
    _results_file(election, notebook, root).unlink(missing_ok=True)
    marker = failed_marker_path(election, notebook, root)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(reason.strip() + "\n", encoding="utf-8")
    return marker


def failure_reason(election: str, notebook: str, root: Path | None = None) -> str | None:
    """Why the latest run failed, or None when it did not (no marker)."""
    marker = failed_marker_path(election, notebook, root)
    return marker.read_text(encoding="utf-8").strip() if marker.exists() else None


class FlatResult:
    """Mixin for frozen ``*Result`` dataclasses: ``as_dict(prefix)`` gives the flat results mapping.

    Scalar fields (numbers, strings, booleans, None) become ``{prefix + field: value}``; fields
    named in ``_flat_fields`` (a class attribute; default: every field) are kept in that order,
    containers and arrays are left out, and properties listed in ``_flat_extra`` are added.
    The mapping feeds :func:`write_results` directly.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class ToyResult(FlatResult):
    ...     statistic: float
    ...     pvalue: float
    ...     draws: tuple = ()
    >>> ToyResult(2.5, 0.01, (1, 2)).as_dict("toy_")
    {'toy_statistic': 2.5, 'toy_pvalue': 0.01}
    """

    _flat_fields: tuple[str, ...] | None = None
    _flat_extra: tuple[str, ...] = ()

    def as_dict(self, prefix: str = "") -> dict:
        names = self._flat_fields or tuple(f.name for f in dataclasses.fields(self))
        out = {}
        for name in (*names, *self._flat_extra):
            value = getattr(self, name)
            if value is None or isinstance(value, (str, bool, Integral, Real, np.generic)):
                out[f"{prefix}{name}"] = value.item() if isinstance(value, np.generic) else value
        return out
