"""Module-level work units for tests/test_execution.py (workers import them by name)."""

import os
import time

import numpy as np


def seeded_sum(seed_sequence):
    return float(np.random.default_rng(seed_sequence).normal(size=1000).sum())


def fail_on_three(x):
    if x == 3:
        raise ValueError("unit 3 is broken")
    return x


def spin_and_record(folder):
    """Record this worker's pid, then burn CPU for a minute (an interrupted calibration)."""
    with open(os.path.join(folder, f"{os.getpid()}.pid"), "w") as fh:
        fh.write("x")
    end = time.time() + 60
    while time.time() < end:
        pass


def add_dependencies(x, deps):
    """A task of a graph: its payload plus its dependencies' results, with the worker's pid."""
    return x + sum(d[0] for d in deps), os.getpid()
