"""Benchmark: one finite-mixture fraud fit (issue 11: <= 60 s for 95,000 stations on 2 cores).

Fits ru2011's prepared stations (pseudo-stations left out; honest means by district, as notebook 09) and prints the station count beside
the CPU and wall seconds of the fit (intervals included) and of the expected-votes step.
Plain script (``make bench``); exits 0 with a note when the data are unavailable.
Run: ``python bench/bench_fraud_mixture.py [election] [honest]`` (defaults ru2011, normal; honest:
``normal`` or ``scale_mixture``, :func:`~analysis.stats.mixture.fit_fraud_mixture`).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from analysis.core import canonical
from analysis.report.notebook import UNAVAILABLE, load_election_measures
from analysis.stats.mixture import expected_fraud_votes, fit_fraud_mixture


def main(election: str = "ru2011", honest: str = "normal") -> None:
    try:
        stations, _, m = load_election_measures(election)
    except UNAVAILABLE as exc:
        print(f"fraud mixture {election}: data unavailable, skipped ({exc})")
        return
    keep = ~np.isin(m.station_type.astype(str), canonical.PSEUDO_STATION_TYPES)
    args = (m.turnout[keep], m.leader_share[keep], m.registered[keep], m.voters[keep])
    # As notebook 09 by default: honest means centred on the district medians.
    region = np.asarray(m.region).astype(str)
    district = np.char.add(region, "|" + stations["district"].astype(str).to_numpy()[m.index])[keep]
    cpu, wall = time.process_time(), time.perf_counter()
    fit = fit_fraud_mixture(*args, unit=district, honest=honest)
    fit_cpu, fit_wall = time.process_time() - cpu, time.perf_counter() - wall
    cpu, wall = time.process_time(), time.perf_counter()
    votes = expected_fraud_votes(fit, *args[:3], voters=args[3])
    post_cpu, post_wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"fraud mixture {election} ({honest} honest model): {fit.n_stations:,} stations; fit {fit_cpu:.1f} s CPU ({fit_wall:.1f} s wall), "
        f"target <= 60 s; expected votes {post_cpu:.1f} s CPU ({post_wall:.1f} s wall); "
        f"fi={fit.fi:.4f} [{fit.fi_low:.4f}, {fit.fi_high:.4f}] fe={fit.fe:.5f} alpha={fit.alpha:.3f} "
        f"tau={fit.tau:.4f} nu={fit.nu:.4f} theta={fit.theta:.3f} rho={fit.rho:.3f} converged={fit.converged}; "
        f"expected fraud votes {votes.expected_fraud_votes:,.0f}"
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
