"""Monte Carlo nulls shared by the tests: binomial redraws of station counts and the MC p-value.

``binomial_redraws`` is the size-aware null of the digit and integer-percentage tests: each
station's count is redrawn as Binomial(size, observed rate), so a test statistic's null
distribution reflects the station sizes actually observed (Mebane 2006; Kobak, Shpilkin &
Pshenichnikov 2016). ``mc_pvalue`` is the Monte Carlo p-value with the +1 correction of
Davison & Hinkley (1997, eq. 4.11), never below 1 / (n_sims + 1).
"""

from __future__ import annotations

import numpy as np


def binomial_redraws(counts, sizes, n_sims: int, rng, chunk: int | None = None):
    """Yield chunks of redrawn counts, each row Binomial(sizes, counts / sizes) per station."""
    counts = np.asarray(counts, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    rate = np.divide(counts, sizes, out=np.zeros(counts.shape), where=sizes > 0)
    if chunk is None:
        chunk = max(1, min(n_sims, 2_000_000 // max(1, counts.size)))
    done = 0
    while done < n_sims:
        m = min(chunk, n_sims - done)
        yield rng.binomial(sizes, rate, size=(m, counts.size))
        done += m


def mc_pvalue(observed: float, draws: np.ndarray, alternative: str) -> float:
    draws = draws[np.isfinite(draws)]
    if draws.size == 0 or not np.isfinite(observed):
        return float("nan")
    ge = (1 + np.sum(draws >= observed)) / (draws.size + 1)
    if alternative == "greater":
        return float(ge)
    le = (1 + np.sum(draws <= observed)) / (draws.size + 1)
    return float(min(1.0, 2 * min(ge, le)))
