"""Schema of a catalog entry (``config/datasets.yml``): which keys it may hold and their types.

A typo in a key (``registred:``) used to become an extra column or be ignored, leaving the
intended line all missing without a word. Every entry is now checked when the catalog is
loaded: a key that is not allowed, or a value of the wrong type, is a
:class:`~analysis.core.config.ConfigError` naming the file, the entry and the key (with a
close match when there is one).

The allowed keys are :data:`COMMON_KEYS` plus those the entry's adapter declares in
``adapt.entry_keys`` (a spec in the small language below). pydantic is not a dependency and
pandera validates frames, hence this hand schema:

- a type or a tuple of types: ``isinstance``;
- a ``dict``: a mapping holding only these keys (each optional), each value checked;
- :class:`MappingOf`: a mapping with text keys (optionally from a fixed set) and checked values;
- :class:`ListOf`, :class:`OneOf`, :class:`Choice`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from analysis.core.canonical import COUNT_COLUMNS, DERIVED_COUNT_COLUMNS, STATION_TYPES
from analysis.core.config import ConfigError


@dataclass(frozen=True)
class MappingOf:
    """A mapping from text keys to values matching ``values``.

    ``keys``: the only keys allowed. ``not_like``: names a free key must not be a near miss
    of (``registred`` under ``extras:`` is a misspelt canonical column, not a new extra).
    """

    values: object = object
    keys: frozenset[str] | None = None
    not_like: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ListOf:
    """A list whose items match ``items``."""

    items: object


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of values."""

    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class OneOf:
    """A value matching one of ``options`` (tried in order)."""

    options: tuple

    def __init__(self, *options):
        object.__setattr__(self, "options", options)


#: Canonical count names a column map may use.
COUNT_NAMES = frozenset(COUNT_COLUMNS + DERIVED_COUNT_COLUMNS)
#: Key columns of a station (``election`` comes from the election id, not the file).
KEY_NAMES = frozenset({"region", "district", "station"})
STATION_TYPE = Choice(*STATION_TYPES)
#: ``station_type:`` as a source column mapped to canonical types.
STATION_TYPE_COLUMN = {"column": str, "map": MappingOf(STATION_TYPE), "default": STATION_TYPE}
#: ``station_type_rules:`` ordered rules; the first whose every ``where`` pattern matches its
#: column (a key or text-extra name) gives the station type (see the ru_cec adapter).
STATION_TYPE_RULES = ListOf({"station_type": STATION_TYPE, "where": MappingOf(str)})
READ = {"sep": str, "encoding": str}
#: Per-source rule for station keys (see :mod:`analysis.data.adapters.keys`).
KEY_NORMALISE = {"strip_leading_zeros": bool, "casefold": bool}

COMMON_KEYS: dict[str, object] = {
    "title": str,
    "date": (str, date),
    "country": str,
    "file": str,
    "url": str,
    "sha256": str,
    "member": str,
    "path": str,
    "adapter": str,
    "embedded": bool,
    "leader": str,
    "notes": str,
    # Other catalog entries whose stations are appended to this dataset's (each with its own
    # file and sha256, read by its own adapter settings): e.g. electronic-voting results
    # published in a separate file.
    "supplements": ListOf(str),
    # The count extra (a key of `extras:`) holding the voters added to the roll on election
    # day, all of whom voted there: the 100 %-turnout null models or excludes them
    # (analysis.stats.full_turnout). Copied to the canonical column `added_on_day`.
    "added_on_day": str,
    # Protocol errors found in the source, each flagged on its station row ("erratum: <reason>")
    # so that every analysis leaves it out and counts it; state the evidence in the reason.
    "errata": ListOf({"region": str, "district": str, "station": str, "reason": str}),
}


class _Mismatch(Exception):
    def __init__(self, where: str, message: str):
        super().__init__(where, message)
        self.where, self.message = where, message


def _type_names(spec) -> str:
    types = spec if isinstance(spec, tuple) else (spec,)
    return " or ".join(
        "a mapping" if t is dict else "a list" if t is list else "text" if t is str else t.__name__ for t in types
    )


def _unknown(key: str, allowed, where: str) -> _Mismatch:
    close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return _Mismatch(f"{where}{key}", f"unknown key{hint}; allowed: {', '.join(sorted(map(str, allowed)))}")


def check(value, spec, where: str = "") -> None:
    """Raise ``_Mismatch(where, message)`` unless ``value`` matches ``spec``."""
    if spec is object:
        return
    if isinstance(spec, dict):
        if not isinstance(value, Mapping):
            raise _Mismatch(where.rstrip("."), f"must be a mapping, not {type(value).__name__}")
        for key, item in value.items():
            if key not in spec:
                raise _unknown(key, spec, where)
            check(item, spec[key], f"{where}{key}.")
        return
    if isinstance(spec, MappingOf):
        if not isinstance(value, Mapping):
            raise _Mismatch(where.rstrip("."), f"must be a mapping, not {type(value).__name__}")
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Mismatch(f"{where}{key}", f"keys must be text, not {type(key).__name__}")
            if spec.keys is not None and key not in spec.keys:
                raise _unknown(key, spec.keys, where)
            near = difflib.get_close_matches(key, spec.not_like, n=1, cutoff=0.85)
            if near and key not in spec.not_like:
                raise _Mismatch(
                    f"{where}{key}", f"looks like a misspelling of the canonical {near[0]!r}; name it exactly"
                )
            if key in spec.not_like:
                raise _Mismatch(f"{where}{key}", "is a canonical column: map it under `columns:`")
            check(item, spec.values, f"{where}{key}.")
        return
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            raise _Mismatch(where.rstrip("."), f"must be a list, not {type(value).__name__}")
        for i, item in enumerate(value):
            check(item, spec.items, f"{where}{i}.")
        return
    if isinstance(spec, Choice):
        if value not in spec.values:
            raise _Mismatch(where.rstrip("."), f"{value!r} is not one of {', '.join(map(repr, spec.values))}")
        return
    if isinstance(spec, OneOf):
        problems = []
        for option in spec.options:
            try:
                check(value, option, where)
                return
            except _Mismatch as exc:
                problems.append(exc)
        # The option of the value's own kind says best what is wrong.
        raise max(problems, key=lambda p: len(p.where))
    if isinstance(value, bool) and spec is not bool and (spec is int or (isinstance(spec, tuple) and bool not in spec)):
        raise _Mismatch(where.rstrip("."), f"must be {_type_names(spec)}, not a boolean")
    if not isinstance(value, spec):
        raise _Mismatch(where.rstrip("."), f"must be {_type_names(spec)}, not {type(value).__name__} {value!r}")


def check_entry(dataset_id: str, entry: dict, path: Path | str, adapter_keys: dict) -> None:
    """Check one catalog entry against :data:`COMMON_KEYS` plus its adapter's ``adapter_keys``."""
    try:
        check(entry, {**COMMON_KEYS, **adapter_keys})
        added = entry.get("added_on_day")
        extras = entry.get("extras") or {}
        if added is not None and added not in extras:
            raise _Mismatch("added_on_day", f"{added!r} is not a key of `extras:` ({', '.join(extras) or 'none'})")
        for i, erratum in enumerate(entry.get("errata") or []):
            absent = [k for k in ("region", "district", "station", "reason") if not erratum.get(k)]
            if absent:
                raise _Mismatch(f"errata.{i}", f"needs {', '.join(absent)} (the station's key and the evidence)")
            if ";" in str(erratum.get("reason")):
                raise _Mismatch(f"errata.{i}.reason", "must not contain ';' (it separates the reasons of a flag)")
    except _Mismatch as exc:
        raise ConfigError(
            f"{path}: entry {dataset_id!r} (adapter {entry.get('adapter')}): key {exc.where!r}: {exc.message}"
        ) from None
