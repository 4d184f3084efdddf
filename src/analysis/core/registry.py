"""Registries: what the package offers is found here, not listed by name in code or Makefile.

A module registers what it provides with a decorator when it is imported; :func:`discover`
imports every module of a package so that nothing is left out. A module that fails to import
is an error, never a silent omission.

- calibration tests: ``@calibration_test("name")`` on ``fn(stations, votes, leader, rng) -> p``
  (statistics layer); :mod:`analysis.synthetic.calibration` runs every registered test.
- adapters: ``@adapter("name")`` on ``adapt(path, entry, election) -> tables`` (data layer);
  a catalog entry's ``adapter:`` names one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

CALIBRATION_TESTS: dict[str, Callable] = {}
ADAPTERS: dict[str, Callable] = {}


class RegistryError(RuntimeError):
    """A registration clashes, or a module that should register something cannot be imported."""


def _register(table: dict, kind: str, name: str) -> Callable[[Callable], Callable]:
    def decorator(fn: Callable) -> Callable:
        other = table.get(name)
        if (
            other is not None
            and other is not fn
            and (other.__module__, other.__qualname__) != (fn.__module__, fn.__qualname__)
        ):
            raise RegistryError(
                f"{kind} {name!r} registered twice: {other.__module__}.{other.__qualname__} and {fn.__module__}.{fn.__qualname__}"
            )
        table[name] = fn
        return fn

    return decorator


def calibration_test(name: str) -> Callable[[Callable], Callable]:
    """Register ``fn(stations, votes, leader, rng) -> p-value`` as calibration test ``name``."""
    return _register(CALIBRATION_TESTS, "calibration test", name)


def adapter(name: str) -> Callable[[Callable], Callable]:
    """Register ``adapt(path, entry, election)`` as the adapter named ``name`` in the catalog."""
    return _register(ADAPTERS, "adapter", name)


def discover(package: str) -> list[str]:
    """Import every module below ``package``; return their names. Import errors propagate."""
    pkg = importlib.import_module(package)
    names = []
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            raise RegistryError(
                f"{info.name} failed to import ({type(exc).__name__}: {exc}); fix it, it is never skipped"
            ) from exc
        names.append(info.name)
    return names
