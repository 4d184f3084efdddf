"""Results of expensive statistical calls kept on disk under a content hash.

A notebook's costliest step is often a Monte Carlo null that other runs repeat exactly: every
Russian election of the panel shows the clean control pl2020r1 beside it, and computes the
control's Rozenas estimate and its bootstrap null with the same data, parameters and seed that
pl2020r1's own run of the notebook uses. :func:`cached_call` computes such a call once and
reads it back afterwards.

The key of a call is a SHA-256 digest of

- the function (module and name) and the *code version* of its module and of every
  ``analysis.stats`` module it imports (:func:`analysis.synthetic.calibration.cache.test_code_version`),
  so editing the statistics invalidates the entries;
- every argument: arrays by dtype, shape and bytes, dataclasses field by field, numbers and
  strings by ``repr``.

So the same inputs give the same key and the result read back is the one the call returned
(pickled); nothing else (time, worker count) enters. Entries live in
``build/cache/results/<module.function>/<key>.pkl`` (``make clean`` removes them); a file is
written to a temporary name and renamed, so concurrent runs computing the same key leave one
whole file. ``ELECTION_FORENSICS_CACHE=off`` turns the cache off (every call computed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from analysis.core import paths
from analysis.synthetic.calibration.cache import test_code_version as code_version

CACHE_ENV = "ELECTION_FORENSICS_CACHE"


def cache_dir() -> Path:
    """Where entries are kept: ``<project root>/build/cache/results``."""
    return paths.ROOT / "build" / "cache" / "results"


def enabled() -> bool:
    """False when ``$ELECTION_FORENSICS_CACHE`` is ``off``, ``0`` or ``no``."""
    return os.environ.get(CACHE_ENV, "on").strip().lower() not in ("off", "0", "no", "false")


def _feed(h, value) -> None:
    """Add one argument to the digest, with its type, so that 1, 1.0 and '1' differ."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        h.update(f"ndarray {array.dtype.str} {array.shape}".encode())
        h.update(array.tobytes() if array.dtype != object else repr(array.tolist()).encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"dataclass {type(value).__module__}.{type(value).__qualname__}".encode())
        for field in dataclasses.fields(value):
            h.update(field.name.encode())
            _feed(h, getattr(value, field.name))
    elif isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__} {len(value)}".encode())
        for item in value:
            _feed(h, item)
    elif isinstance(value, Mapping):
        h.update(f"mapping {len(value)}".encode())
        for key in sorted(value, key=repr):
            _feed(h, key)
            _feed(h, value[key])
    elif value is None or isinstance(value, (bool, int, float, str, np.generic)):
        h.update(f"{type(value).__name__} {value!r}".encode())
    else:
        raise TypeError(f"cached_call: cannot hash an argument of type {type(value).__name__}")
    h.update(b"\0")


def call_key(fn: Callable, args: tuple, kwargs: Mapping) -> str:
    """The content hash of ``fn(*args, **kwargs)`` (32 hex digits).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.stats.spikes.integer import is_integer_percentage as f
    >>> a = call_key(f, (np.array([1, 2]), np.array([3, 4])), {})
    >>> b = call_key(f, (np.array([1, 2]), np.array([3, 5])), {})
    >>> len(a), a == call_key(f, (np.array([1, 2]), np.array([3, 4])), {}), a == b
    (32, True, False)
    """
    h = hashlib.sha256()
    _feed(h, f"{fn.__module__}.{fn.__qualname__} {code_version(fn)}")
    _feed(h, tuple(args))
    _feed(h, dict(kwargs))
    return h.hexdigest()[:32]


def cached_call(fn: Callable, *args, **kwargs):
    """``fn(*args, **kwargs)``, read from the cache when the same call was made before.

    The arguments must be hashable by content (arrays, dataclasses, numbers, strings, None,
    tuples, lists, mappings of these); a seed must be an int (a Generator's state is not an
    input the key could see). Returns what the first call returned.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.stats.spikes.integer import is_integer_percentage
    >>> cached_call(is_integer_percentage, np.array([50, 33]), np.array([100, 70]))
    array([ True, False])
    """
    for value in (*args, *kwargs.values()):
        if isinstance(value, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)):
            raise TypeError("cached_call: pass seeds as ints (a random generator's state is not part of the key)")
    if not enabled():
        return fn(*args, **kwargs)
    folder = cache_dir() / f"{fn.__module__}.{fn.__qualname__}"
    path = folder / f"{call_key(fn, args, kwargs)}.pkl"
    if path.is_file():
        with path.open("rb") as f:
            return pickle.load(f)
    result = fn(*args, **kwargs)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(f.name, path)
    return result
