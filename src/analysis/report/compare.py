"""Compare two results trees (``reports/results``) key by key: what a refactor must leave unchanged.

Usage::

    python -m analysis.report.compare BEFORE AFTER [--rename kz2011/03_distributions=kz2011/03r_x]
        [--ignore-key provenance_*] [--rtol 0]

Every ``<election>/<notebook>.json`` of BEFORE is matched with the same path in AFTER (or the
path named by ``--rename``). The command prints one line per difference (missing file, key
missing or added, value changed, with both values) and a summary, and exits 1 when anything
differs. Keys matching an ``--ignore-key`` pattern (fnmatch) are left out on both sides, e.g.
provenance fields that name the code version.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import sys
from pathlib import Path


def _same(a, b, rtol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a == b
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or (rtol > 0 and math.isclose(a, b, rel_tol=rtol, abs_tol=0.0))


def compare_trees(
    before: Path, after: Path, *, rename: dict[str, str] | None = None, ignore: tuple[str, ...] = (), rtol: float = 0.0
) -> list[str]:
    """Differences between two results trees, one line each (empty: identical)."""
    rename = rename or {}
    lines: list[str] = []
    for old in sorted(before.rglob("*.json")):
        rel = old.relative_to(before).with_suffix("").as_posix()
        new_rel = rename.get(rel, rel)
        new = after / f"{new_rel}.json"
        if not new.exists():
            lines.append(f"{rel}: no {new_rel}.json in {after}")
            continue
        a = json.loads(old.read_text(encoding="utf-8"))
        b = json.loads(new.read_text(encoding="utf-8"))
        keep = lambda k: not any(fnmatch.fnmatch(k, p) for p in ignore)  # noqa: E731
        for key in sorted(set(a) | set(b)):
            if not keep(key):
                continue
            if key not in b:
                lines.append(f"{rel}: key {key!r} missing after ({a[key]!r})")
            elif key not in a:
                lines.append(f"{rel}: key {key!r} added ({b[key]!r})")
            elif not _same(a[key], b[key], rtol):
                lines.append(f"{rel}: {key}: {a[key]!r} -> {b[key]!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.report.compare", description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rename", action="append", default=[], help="OLD=NEW, paths as <election>/<notebook>")
    parser.add_argument("--ignore-key", action="append", default=[], help="fnmatch pattern of keys to leave out")
    parser.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for numbers (default: exact)")
    args = parser.parse_args(argv)
    rename = dict(item.split("=", 1) for item in args.rename)
    diffs = compare_trees(args.before, args.after, rename=rename, ignore=tuple(args.ignore_key), rtol=args.rtol)
    for line in diffs:
        print(line)
    n_files = len(list(args.before.rglob("*.json")))
    print(f"{n_files} results files compared: {'identical' if not diffs else f'{len(diffs)} difference(s)'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
