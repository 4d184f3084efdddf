"""Benchmark: load + canonicalize ru2011 from the zip (target <= 5 s), reload from parquet (target <= 0.5 s).

Plain script (``make bench``): needs the ru2011 file (ELECTION_DATA_MIRROR or data/raw/external);
prints the figures, exits 0 with a note when the dataset is unavailable.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from analysis.core import paths
from analysis.data import datasets

ELECTION = "ru2011"
TARGET_CANON_S = 5.0
TARGET_RELOAD_S = 0.5
REPEATS = 3


def main() -> int:
    entry = datasets.election_dataset(ELECTION)
    if datasets.local_file(entry) is None:
        print(f"bench_load: skipped: {datasets.how_to_get(entry)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(paths.CONFIG, root / "config")
        canon, reload = [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            datasets.prepare(ELECTION, strict=True, root=root)  # zip -> adapter -> schema check -> parquet
            canon.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            stations, votes = datasets.load_stations(ELECTION, root=root)
            reload.append(time.perf_counter() - t0)
    best_canon, best_reload = min(canon), min(reload)
    print(f"bench_load {ELECTION}: {len(stations):,} stations, {len(votes):,} vote rows")
    print(
        f"  zip -> canonical tables -> parquet: best {best_canon:.2f} s of {REPEATS} "
        f"(all: {', '.join(f'{t:.2f}' for t in canon)}); target <= {TARGET_CANON_S} s: "
        f"{'OK' if best_canon <= TARGET_CANON_S else 'SLOW'}"
    )
    print(
        f"  reload from parquet:               best {best_reload:.3f} s of {REPEATS} "
        f"(all: {', '.join(f'{t:.3f}' for t in reload)}); target <= {TARGET_RELOAD_S} s: "
        f"{'OK' if best_reload <= TARGET_RELOAD_S else 'SLOW'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
