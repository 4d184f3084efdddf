"""The machinery of Rozenas's resampled kernel-density (RKD) estimate: densities on the grid and
posterior-predictive resamples, in chunks that can run in separate processes.

:func:`~analysis.stats.spikes.rozenas.rozenas_spikes` is the estimate; this module holds the parts
it repeats for every resample: the Gaussian kernel densities (:func:`_kde_on_grid_binned` as R's
``density()``, :func:`_kde_on_grid` the exact sum), the draws from the fitted beta-binomial null
(:class:`PosteriorResampler`) and one work unit of the envelope (:func:`envelope_unit`), run
through :func:`analysis.core.execution.map_units`. Every chunk of resamples draws from its own
``numpy.random.SeedSequence`` child, and the unit results combine exactly (a maximum and integer
bin counts), so the envelope does not depend on how the chunks are grouped or on the number of
worker processes.

References
----------
Rozenas, A. (2017). Detecting election fraud from irregularities in vote-share
distributions. *Political Analysis* 25(1), 41-56, section 4; his R package ``spikes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.core.execution import map_units
from analysis.stats.spikes.betabinomial import BetaBinomialMixture


def _kde_on_grid(shares_2d: np.ndarray, grid_size: int, bandwidth: float) -> np.ndarray:
    """Gaussian KDE of each row of ``shares_2d`` at grid points g / (grid_size - 1), exactly but
    summing only kernels within 6 bandwidths (neglected weight < phi(6) = 6e-9 per station)."""
    rows, n = shares_2d.shape
    step = 1.0 / (grid_size - 1)
    reach = int(np.ceil(6 * bandwidth / step))
    nearest = np.rint(shares_2d / step).astype(np.int64)
    z_nearest = ((nearest * step - shares_2d) / bandwidth).ravel()
    flat = (nearest + (grid_size * np.arange(rows))[:, None]).ravel()
    nearest = nearest.ravel()
    out = np.zeros(rows * grid_size)
    half_step = 0.5 * step / bandwidth  # the nearest point is at most this many bandwidths away
    for off in range(-reach, reach + 1):
        # evaluate only the kernels within 6 bandwidths of the point: with bw = 1e-4 and 1,001
        # points every station at its nearest point, about a tenth at each neighbour
        shift = off * step / bandwidth
        if abs(shift) + half_step <= 6 and off == 0:
            out += np.bincount(flat, weights=np.exp(-0.5 * z_nearest**2), minlength=rows * grid_size)
            continue
        z = z_nearest + shift
        idx = np.flatnonzero((np.abs(z) <= 6) & (nearest + off >= 0) & (nearest + off < grid_size))
        out += np.bincount(flat[idx] + off, weights=np.exp(-0.5 * z[idx] ** 2), minlength=rows * grid_size)
    return (out / (n * bandwidth * np.sqrt(2 * np.pi))).reshape(rows, grid_size)


def _kde_on_grid_binned(shares_2d: np.ndarray, grid_size: int, bandwidth: float) -> np.ndarray:
    """Gaussian KDE on the grid computed the way R's ``density(from = 0, to = 1)`` does it, which
    the ``spikes`` package calls: linear binning of the data onto 2^ceil(log2(grid_size)) points
    (at least 512) of [-4 bw, 1 + 4 bw], convolution with the kernel sampled on that lattice,
    then linear interpolation to the grid_size output points. With bw = 1e-4 below the lattice
    step (about 1e-3) this is in effect a histogram with triangular (linear-binning) weights:
    each station counts at the grid points within about two steps of its share."""
    rows, n = shares_2d.shape
    n_lat = max(512, 1 << int(np.ceil(np.log2(grid_size))))
    lo, up = -4 * bandwidth, 1 + 4 * bandwidth
    step = (up - lo) / (n_lat - 1)
    if shares_2d.size and (shares_2d.min() < 0 or shares_2d.max() > 1):
        raise ValueError("vote shares must lie in [0, 1]")
    pos = shares_2d * (1.0 / step) - lo / step  # > 0, and < n_lat - 1 for shares in [0, 1]
    left = pos.astype(np.int64)
    frac = pos - left
    left += (n_lat * np.arange(rows))[:, None]
    size = rows * n_lat + 1
    left = left.ravel()
    upper = np.bincount(left, weights=frac.ravel(), minlength=size)  # the weight frac goes one point up
    mass = np.bincount(left, minlength=size) - upper  # 1 - frac stays: one weighted bincount, not two
    mass[1:] += upper[:-1]
    mass = mass[:-1]
    mass = mass.reshape(rows, n_lat) / n
    reach = int(np.ceil(6 * bandwidth / step))  # lags beyond 6 bw carry < 2e-8 of the kernel's peak
    lags = np.arange(-reach, reach + 1)
    kernel = np.exp(-0.5 * (lags * step / bandwidth) ** 2) / (bandwidth * np.sqrt(2 * np.pi))
    dens = np.zeros_like(mass)
    for lag, kv in zip(lags, kernel):
        if lag >= 0:
            dens[:, lag:] += kv * mass[:, : n_lat - lag]
        else:
            dens[:, :lag] += kv * mass[:, -lag:]
    lattice = np.linspace(lo, up, n_lat)
    grid = np.linspace(0.0, 1.0, grid_size)
    # linear interpolation, vectorized over rows
    i = np.clip(np.searchsorted(lattice, grid, side="right") - 1, 0, n_lat - 2)
    f = (grid - lattice[i]) / (lattice[i + 1] - lattice[i])
    return dens[:, i] * (1 - f) + dens[:, i + 1] * f


KDE_FUNCTIONS = {"binned": _kde_on_grid_binned, "exact": _kde_on_grid}


def _bin_counts(shares_2d: np.ndarray, grid_size: int) -> np.ndarray:
    """Stations of each row in bins of width 1 / (grid_size - 1) centred on the grid (rows x grid_size, int)."""
    rows = shares_2d.shape[0]
    nearest = np.rint(shares_2d * (grid_size - 1)).astype(np.intp)
    nearest += (grid_size * np.arange(rows))[:, None]
    return np.bincount(nearest.ravel(), minlength=rows * grid_size).reshape(rows, grid_size)


def _bin_shares(shares_2d: np.ndarray, grid_size: int) -> np.ndarray:
    """Share of each row's stations in bins of width 1 / (grid_size - 1) centred on the grid."""
    return _bin_counts(shares_2d, grid_size) / shares_2d.shape[1]


@dataclass(frozen=True)
class PosteriorResampler:
    """Draws of (t*, v*) from Rozenas's smooth null, conditional on each station's counts.

    Per station and resample: a component of the turnout mixture with its posterior probability,
    a rate from its posterior Beta(t + alpha, N - t + beta), t* ~ Binomial(N, rate); then a
    component of the vote mixture, a rate from Beta(v + alpha', t - v + beta') and
    v* ~ Binomial(t*, rate). ``*_cum`` holds the cumulative posterior probabilities of all but
    the last component ((components - 1) x stations); a one-component mixture draws no component.
    Built by :meth:`from_models`; picklable (sent to worker processes).
    """

    votes: np.ndarray
    ballots: np.ndarray
    registered: np.ndarray
    turnout_cum: np.ndarray
    vote_cum: np.ndarray
    turnout_alpha: np.ndarray
    turnout_beta: np.ndarray
    vote_alpha: np.ndarray
    vote_beta: np.ndarray

    @classmethod
    def from_models(
        cls, votes, ballots, registered, turnout_model: BetaBinomialMixture, vote_model: BetaBinomialMixture
    ):
        """The resampler of stations (v, t, N) under the fitted mixtures (turnout t of N, votes v of t)."""

        def cum(model, k, n):
            resp = np.cumsum(model.responsibilities(k, n), axis=1)
            return np.ascontiguousarray(resp[:, :-1].T, dtype=np.float32)

        return cls(
            votes,
            ballots,
            registered,
            cum(turnout_model, ballots, registered),
            cum(vote_model, votes, ballots),
            np.asarray(turnout_model.alpha, np.float32),
            np.asarray(turnout_model.beta, np.float32),
            np.asarray(vote_model.alpha, np.float32),
            np.asarray(vote_model.beta, np.float32),
        )

    @staticmethod
    def _posterior_rates(rng, cum, alpha, beta, k, n, m):
        """m draws per station of the posterior rate Beta(k + alpha_c, n - k + beta_c), c drawn
        with its posterior probability by inverting the cumulative probabilities with one uniform.

        The beta variate is X / (X + Y) with X ~ Gamma(k + alpha_c), Y ~ Gamma(n - k + beta_c)
        (numpy's own ``beta`` does the same, one pair at a time) drawn in single precision: the
        rate is exact to float32 rounding (relative 6e-8, far below one count in 1 / n of the
        binomial that uses it) and the whole draw costs about 10 % less than ``Generator.beta``."""
        size = (m, k.size)
        comp = np.zeros(size, dtype=np.uint8)  # at most 256 components; one component: no draw
        if cum.shape[0]:
            u = rng.random(size, dtype=np.float32)
            for below in cum:
                comp += u > below
        a = alpha.take(comp)
        a += k.astype(np.float32)
        b = beta.take(comp)
        b += (n - k).astype(np.float32)
        x = rng.standard_gamma(a, dtype=np.float32, out=a)
        y = rng.standard_gamma(b, dtype=np.float32, out=b)
        y += x
        x /= y
        return x

    def draw_counts(self, rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        """(t*, v*): m resamples of every station (m x stations each)."""
        t, v, big_n = self.ballots, self.votes, self.registered
        rate_t = self._posterior_rates(rng, self.turnout_cum, self.turnout_alpha, self.turnout_beta, t, big_n, m)
        t_star = rng.binomial(big_n, rate_t)
        rate_v = self._posterior_rates(rng, self.vote_cum, self.vote_alpha, self.vote_beta, v, t, m)
        return t_star, rng.binomial(t_star, rate_v)

    def draw_shares(self, rng: np.random.Generator, m: int) -> np.ndarray:
        """v* / t* (0 where t* = 0): m resamples of every station's vote share."""
        t_star, v_star = self.draw_counts(rng, m)
        return v_star / np.maximum(t_star, 1)  # v* = 0 where t* = 0


@dataclass(frozen=True)
class EnvelopeUnit:
    """Chunks of resamples run together: one chunk of ``sizes[i]`` resamples per seed ``seeds[i]``."""

    resampler: PosteriorResampler
    seeds: tuple
    sizes: tuple
    grid_size: int
    bandwidth: float
    kdes: tuple  # names in KDE_FUNCTIONS whose envelope is wanted


def envelope_unit(unit: EnvelopeUnit) -> tuple[np.ndarray, np.ndarray]:
    """(envelopes: per KDE of ``unit.kdes`` the maximum density over the unit's resamples at each
    grid point (kdes x grid_size), bin counts: stations per grid bin summed over them (int))."""
    env = np.zeros((len(unit.kdes), unit.grid_size))
    counts = np.zeros(unit.grid_size, dtype=np.int64)
    for seed, m in zip(unit.seeds, unit.sizes):
        shares = unit.resampler.draw_shares(np.random.default_rng(seed), m)
        for row, name in enumerate(unit.kdes):
            np.maximum(env[row], KDE_FUNCTIONS[name](shares, unit.grid_size, unit.bandwidth).max(axis=0), out=env[row])
        counts += _bin_counts(shares.reshape(1, -1), unit.grid_size)[0]  # all resamples as one row
    return env, counts


def run_envelopes(
    resamplers, streams, grid_size: int, bandwidth: float, kdes: tuple, *, n_jobs: int = 1, scheduler=None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Envelope and mean bin share of every run: ``resamplers[i]`` resampled in chunks of
    ``streams[i]`` = [(SeedSequence child, resamples), ...]. All runs' chunks go to one
    :func:`~analysis.core.execution.map_units` call (with ``n_jobs`` > 1 about 4 units per worker
    in all); returns per run (envelopes kdes x grid_size, mean share of stations per grid bin)."""
    per_run = 1 if n_jobs == 1 else max(1, -(-4 * n_jobs // len(resamplers)))
    units, owner = [], []
    for i, (resampler, run) in enumerate(zip(resamplers, streams)):
        for g in np.array_split(np.arange(len(run)), min(len(run), per_run)):
            units.append(
                EnvelopeUnit(
                    resampler, tuple(run[j][0] for j in g), tuple(run[j][1] for j in g), grid_size, bandwidth, kdes
                )
            )
            owner.append(i)
    parts, _ = map_units(envelope_unit, units, scheduler=scheduler, n_workers=n_jobs, progress=False)
    out = []
    for i, (resampler, run) in enumerate(zip(resamplers, streams)):
        mine = [p for p, o in zip(parts, owner) if o == i]
        n_draws = sum(m for _, m in run) * resampler.votes.size
        out.append((np.max([p[0] for p in mine], axis=0), np.sum([p[1] for p in mine], axis=0) / n_draws))
    return out
