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


def write_results(election: str, notebook: str, mapping: Mapping, root: Path | None = None) -> Path:
    """Write ``mapping`` (flat: names -> numbers/strings) to reports/results/<election>/<notebook>.json.

    Keys are sorted so the file is byte-identical for identical inputs. NaN is written as null.
    """
    flat = {str(k): _plain(str(k), v) for k, v in mapping.items()}
    path = (root / election / f"{notebook}.json") if root else paths.results_path(election, notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(flat, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_results(election: str, notebook: str, root: Path | None = None) -> dict:
    path = (root / election / f"{notebook}.json") if root else paths.results_path(election, notebook)
    return json.loads(path.read_text(encoding="utf-8"))


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
