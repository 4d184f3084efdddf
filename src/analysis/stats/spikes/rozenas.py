"""Rozenas's resampled kernel-density (RKD) estimate of the share of stations with coarse vote shares.

References
----------
Rozenas, A. (2017). Detecting election fraud from irregularities in vote-share
distributions. *Political Analysis* 25(1), 41-56. Section 4: the resampled kernel-density
(RKD) method; his R package ``spikes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.core.execution import map_units
from analysis.core.results import FlatResult
from analysis.stats.montecarlo import mc_pvalue
from analysis.stats.spikes.betabinomial import BetaBinomialMixture, select_beta_binomial_mixture
from analysis.stats.spikes.rkd import (
    KDE_FUNCTIONS,
    PosteriorResampler,
    _bin_shares,
    _kde_on_grid,  # noqa: F401  (tests check the exact kernel sum here)
    _kde_on_grid_binned,  # noqa: F401
    run_envelopes,
)

ROZENAS_SOURCE = "Rozenas (2017), Political Analysis 25(1), 41-56, section 4 (resampled kernel density)"
NULLS = ("posterior", "bootstrap")
ROZENAS_REFERENCE_RU2011_PCT = 0.97  # Rozenas (2017): F for United Russia 2011, 95,045 stations


@dataclass(frozen=True)
class RozenasResult(FlatResult):
    """Resampled kernel-density (RKD) estimate of the share of stations with coarse vote shares.

    Attributes
    ----------
    statistic : float
        F, the percentage of stations in spikes (also ``spike_share_pct``).
    pvalue : float
        Monte Carlo p-value of F against the F of ``null_spike_share_pct`` (one-sided,
        (1 + #{null F >= F}) / (n_null + 1)) with the parametric-bootstrap null; NaN with the
        posterior-draw null (not exchangeable with the data) or without null draws. A
        calibration of the estimate added here, not part of Rozenas's method.
    spike_share_pct : float
        F.
    n_stations, n_excluded : int
        Stations used, and left out (no ballots, or counts out of range).
    bandwidth, n_resamples, grid_size
        The settings.
    grid, observed_density, resampled_max, observed_share, resampled_mean_share, spike_bins : numpy.ndarray
        The densities and bin shares on the grid, and where the observed density beats
        every resample.
    null_spike_share_pct : numpy.ndarray
        F of the null's draws: bootstrap pseudo-data through the whole procedure, or posterior
        resamples against the data's envelope (``null``).
    null : str
        Which null: 'bootstrap' or 'posterior'.
    spike_share_other_kde_pct : float
        F with the other density computation (exact / binned).
    turnout_model, vote_model : BetaBinomialMixture
        The fitted smooth null.
    source : str
        The paper.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ballots = rng.integers(300, 900, 200)
    >>> r = rozenas_spikes(rng.binomial(ballots, 0.5), ballots, ballots + 100, n_resamples=10,
    ...                    max_components=1, n_null=3, seed=1)
    >>> sorted(r.as_dict("spike_"))[:4]
    ['spike_bandwidth', 'spike_grid_size', 'spike_n_excluded', 'spike_n_resamples']
    """

    statistic: float  # F: percentage of stations in spikes
    pvalue: float  # against the null draws' F
    spike_share_pct: float
    n_stations: int
    n_excluded: int
    bandwidth: float
    n_resamples: int
    grid_size: int
    grid: np.ndarray = field(repr=False)  # vote shares at which the densities are evaluated
    observed_density: np.ndarray = field(repr=False)  # Gaussian KDE of the observed shares
    resampled_max: np.ndarray = field(repr=False)  # upper envelope of the resampled KDEs
    observed_share: np.ndarray = field(repr=False)  # share of stations in each grid bin
    resampled_mean_share: np.ndarray = field(repr=False)  # mean over resamples
    spike_bins: np.ndarray = field(repr=False)  # bins where the observed KDE beats every resample
    null_spike_share_pct: np.ndarray = field(repr=False, default=None)  # F of pseudo-data drawn from the null
    spike_share_other_kde_pct: float = float("nan")  # F with the other density computation (exact / binned)
    turnout_model: BetaBinomialMixture = field(repr=False, default=None)
    vote_model: BetaBinomialMixture = field(repr=False, default=None)
    source: str = ROZENAS_SOURCE
    null: str = "posterior"  # which draws null_spike_share_pct holds (NULLS)

    @property
    def excess_stations(self) -> float:
        """Stations in spikes: F / 100 times the stations used."""
        return self.spike_share_pct / 100 * self.n_stations


def _spike_share_pct(shares_2d, envelope, mean_share, kde_fn, grid_size: int, bandwidth: float) -> np.ndarray:
    """F of each row of shares against one envelope and mean bin share (per cent)."""
    above = kde_fn(shares_2d, grid_size, bandwidth) > envelope
    return 100.0 * np.sum(np.maximum(_bin_shares(shares_2d, grid_size) - mean_share, 0.0) * above, axis=1)


def _bootstrap_resampler(rng, registered, turnout_model, vote_model) -> PosteriorResampler:
    """Pseudo-data from the fitted mixtures (t ~ turnout mixture(N), v ~ vote mixture(t), the same
    N; stations drawing t = 0 left out, as in the data) and their posterior resampler."""
    ballots = turnout_model.draw(rng, registered)
    votes = vote_model.draw(rng, ballots)
    ok = ballots > 0
    return PosteriorResampler.from_models(votes[ok], ballots[ok], registered[ok], turnout_model, vote_model)


def _select_mixture(counts: tuple) -> BetaBinomialMixture:
    """Work unit: the mixture of (k, n, max_components), fitted (turnout and votes fit in parallel)."""
    k, n, max_components = counts
    return select_beta_binomial_mixture(k, n, max_components=max_components)


def rozenas_spikes(
    votes,
    ballots,
    registered,
    *,
    n_resamples: int = 1000,
    bandwidth: float = 1e-4,
    grid_size: int = 1001,
    max_components: int = 5,
    seed=None,
    chunk: int = 16,
    models: tuple | None = None,
    fit_stations: int | None = 10_000,
    kde: str = "binned",
    other_kde: bool = True,
    n_null: int = 20,
    null: str = "posterior",
    n_jobs: int = 1,
    scheduler: str | None = "local",
) -> RozenasResult:
    """Resampled kernel-density (RKD) estimate of the share of stations with coarse vote shares.

    The method of Rozenas (2017, Political Analysis 25(1), section 4; his R package ``spikes``).

    Data per station: ``registered`` (N), ``ballots`` (t, those who voted), ``votes`` (v, for the
    party studied); vote share v / t. Steps:

    1. Smooth null: turnout t ~ BetaBinomial mixture(N) and votes v ~ BetaBinomial mixture(t),
       each fitted by maximum likelihood with the number of components chosen as in the package
       (:func:`select_beta_binomial_mixture`, at most ``max_components``).
    2. Resampling from that null, conditional on each station: pick a component with its
       posterior probability, draw the turnout rate from its posterior
       Beta(t + alpha, N - t + beta) and t* ~ Binomial(N, rate), then the support rate from
       Beta(v + alpha', t - v + beta') and v* ~ Binomial(t*, rate); share v* / t* (0 if t* = 0).
       Station sizes, hence the arithmetic of small denominators (1/2, 2/3 ...), are kept, so
       coarse shares occur in the resamples as often as numerics alone produce them.
    3. Gaussian kernel density (``bandwidth``, default 1e-4 as in the package) of the observed and
       of each resampled share on ``grid_size`` points of [0, 1]; the envelope is the maximum
       over the ``n_resamples`` resamples.
    4. F = 100 * sum over grid bins (width 1 / (grid_size - 1)) where the observed density
       exceeds the envelope, of max(0, observed share of stations in the bin - mean resampled
       share).

    ``kde="binned"`` computes the densities as R's ``density()`` does (:func:`_kde_on_grid_binned`),
    ``"exact"`` sums the Gaussian kernels (:func:`_kde_on_grid`); with bw = 1e-4, below R's
    lattice step, the two differ (the binned one counts stations within about 0.002 of a point,
    the exact one within about 0.0003), and F with the other one is returned as
    ``spike_share_other_kde_pct`` from the same resamples.

    Null hypothesis: shares come from the smooth beta-binomial model (no fraud); then F is near
    0 but not 0: in each of the ``grid_size`` bins the observed density beats the maximum of R
    resamples with probability about 1 / (R + 1) by chance, and such a bin then adds its
    positive excess. F is an estimate; it shrinks as ``n_resamples`` grows (a higher envelope).
    Its calibration is not in Rozenas' package; ``null`` chooses it:

    * ``"bootstrap"``: a parametric bootstrap (Davison & Hinkley 1997, section 4.2.3). ``n_null``
      pseudo-data sets are drawn from the fitted mixtures (t ~ turnout mixture(N) with every
      station's N, v ~ vote mixture(t); the mixtures are kept fixed, not refitted, so the
      uncertainty of the fit is not in the null) and each goes through the whole procedure: its
      own posterior resamples, envelope, mean and F. Under the model the data and the
      pseudo-data are exchangeable, so ``pvalue`` = (1 + #{null F >= F}) / (n_null + 1) is a
      Monte Carlo p-value; its p-values are uniform on clean synthetic elections that are not
      beta-binomial mixtures (tests/test_rozenas.py). Cost: n_null + 1 full runs. It is exact
      only if the fitted mixtures describe the clean data: on the clean pl2020 rounds with t =
      ballots counted the data's F was above all 19 draws (of 100 resamples) in 3 of 8 runs,
      against a nominal 1 in 20 (with t = valid ballots in none of 8). The misfit is in the tiny
      stations (unanimous institutions at 100 % and coarse fractions): on the stations with at
      least 100 registered voters (Kobak et al.'s filter, which notebook 06 applies to this
      test) 6 runs on the two rounds gave p = 0.25-0.65 (19 draws of 20 resamples).
    * ``"posterior"`` (default): ``n_null`` further posterior resamples scored against the data's
      envelope and mean, at the cost of n_null resamples. These are not exchangeable with the data
      by construction (each is drawn around the data and adds posterior and binomial spread to
      them), so their rank is no p-value: ``pvalue`` is NaN and their F is a reference level only.
      Measured (19 draws of 100 resamples), their mean F is close to the bootstrap's on clean
      synthetic elections of 25,000 stations (0.37-0.45 % against 0.32-0.42 %) and on pl2020
      with t = ballots counted (0.33-0.47 % against 0.32-0.39 %).

    Randomness only through ``seed``: chunks of ``chunk`` resamples draw from their own
    ``SeedSequence`` children (each bootstrap draw from its own child of the null's), so the
    numbers do not depend on ``n_jobs`` (the stream changed in December 2026, with the chunked
    layout and again with the single-precision beta rates of
    :class:`~analysis.stats.spikes.rkd.PosteriorResampler`: F differs from earlier versions' by
    Monte Carlo noise only). ``models`` = (turnout mixture, vote mixture) skips the fits;
    otherwise they are fitted on ``fit_stations`` stations drawn at random (all when None): the
    mixtures only set the prior of each station's posterior rate, which the station's own counts
    dominate, and EM on 95,000 stations costs minutes.

    Parameters
    ----------
    votes, ballots, registered : array_like of int
        v, t and N per station; stations without ``0 < t <= N`` and ``0 <= v <= t`` are left
        out (counted in ``n_excluded``). Which ballots t counts is the caller's choice and
        moves F: valid + invalid (the leader-share denominator of this package) or valid
        ballots (the input with which R's ``spikes`` 1.1 gives F = 0.88-0.97 % on ru2011);
        notebook 06 shows both (its parameter ``spike_total``).
    n_resamples : int, optional
        Resamples of the envelope (default 1000, as in the package).
    bandwidth : float, optional
        Gaussian kernel bandwidth (default 1e-4, as in the package).
    grid_size : int, optional
        Points of [0, 1] at which densities are compared (default 1001).
    max_components : int, optional
        Most mixture components (default 5).
    seed : int, numpy.random.Generator or None, optional
        Seed of ``numpy.random.default_rng``: it draws the fit subsample, and its
        ``SeedSequence`` spawns one child per chunk of resamples and one for the null draws.
    chunk : int, optional
        Resamples held at once and drawn from one ``SeedSequence`` child (default 16); the draws
        depend on it, not on ``n_jobs``.
    models : tuple of BetaBinomialMixture, optional
        (turnout mixture, vote mixture): skip the fits.
    fit_stations : int or None, optional
        Stations the mixtures are fitted on (default 10,000; None: all).
    kde : {'binned', 'exact'}, optional
        Density computation (default 'binned', as R's ``density()``).
    other_kde : bool, optional
        Also compute the other density's envelope for ``spike_share_other_kde_pct`` (default
        True); False skips it (NaN) and about a tenth of the work.
    n_null : int, optional
        Draws of the null scored like the data (default 20).
    null : {'posterior', 'bootstrap'}, optional
        Which null (default 'posterior': cheap, a reference level without p-value; 'bootstrap':
        the calibrated parametric bootstrap, ``n_null`` full runs).
    n_jobs : int, optional
        Worker processes over chunks of resamples (:func:`analysis.core.execution.map_units`;
        default 1: this process). The results do not depend on it: each chunk has its own seed,
        and chunks combine exactly (maximum of densities, integer bin counts).
    scheduler : str or None, optional
        Backend of :func:`~analysis.core.execution.map_units` (default ``'local'``: processes on
        this machine; None: ``$SCHEDULER``).

    Returns
    -------
    RozenasResult

    References
    ----------
    Rozenas (2017), Political Analysis 25(1), 41-56, section 4 (the RKD method and F).
    Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application, section
    4.2.3 (parametric bootstrap tests) and eq. 4.11 (the Monte Carlo p-value).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> registered = rng.integers(300, 2500, 400)
    >>> ballots = rng.binomial(registered, 0.6)
    >>> votes = rng.binomial(ballots, 0.5)
    >>> r = rozenas_spikes(votes, ballots, registered, n_resamples=20, max_components=1, n_null=4, seed=1)
    >>> r.n_stations, r.grid.size, r.null_spike_share_pct.size, 0 <= r.statistic < 100
    (400, 1001, 4, True)
    >>> b = rozenas_spikes(votes, ballots, registered, n_resamples=10, max_components=1, n_null=4, null="bootstrap", seed=1)
    >>> b.null, b.pvalue in (0.2, 0.4, 0.6, 0.8, 1.0)
    ('bootstrap', True)
    """
    if null not in NULLS:
        raise ValueError(f"null={null!r}: expected one of {NULLS}")
    if kde not in KDE_FUNCTIONS:
        raise ValueError(f"kde={kde!r}: expected 'binned' (as R's density) or 'exact'")
    v = np.asarray(votes, dtype=np.int64)
    t = np.asarray(ballots, dtype=np.int64)
    big_n = np.asarray(registered, dtype=np.int64)
    if not (v.shape == t.shape == big_n.shape):
        raise ValueError("rozenas_spikes: votes, ballots and registered must have the same shape")
    keep = (t > 0) & (v >= 0) & (v <= t) & (t <= big_n)
    if not keep.any():
        raise ValueError("rozenas_spikes: no station with 0 < ballots <= registered and 0 <= votes <= ballots")
    n_excluded = int((~keep).sum())
    v, t, big_n = v[keep], t[keep], big_n[keep]
    rng = np.random.default_rng(seed)
    if models is None:
        fit = np.arange(v.size)
        if fit_stations is not None and fit_stations < v.size:
            fit = np.sort(rng.choice(v.size, fit_stations, replace=False))
        pairs = [(t[fit], big_n[fit], max_components), (v[fit], t[fit], max_components)]  # turnout, votes
        models, _ = map_units(_select_mixture, pairs, scheduler=scheduler, n_workers=min(n_jobs, 2), progress=False)
    m_t, m_v = models
    kde_fn = KDE_FUNCTIONS[kde]
    kdes = (kde, "exact" if kde == "binned" else "binned") if other_kde else (kde,)
    share = v / t
    obs_density = kde_fn(share[None, :], grid_size, bandwidth)[0]
    obs_share = _bin_shares(share[None, :], grid_size)[0]
    # one SeedSequence child per chunk of resamples (the last for the null draws): the same draws
    # whichever process runs a chunk and however chunks are grouped into work units
    sizes = [min(chunk, n_resamples - start) for start in range(0, n_resamples, chunk)]
    streams = rng.bit_generator.seed_seq.spawn(len(sizes) + 1)
    resamplers = [PosteriorResampler.from_models(v, t, big_n, m_t, m_v)]
    runs = [list(zip(streams[:-1], sizes))]
    if null == "bootstrap":
        # parametric bootstrap: pseudo-data from the fitted mixtures (same N, mixtures kept fixed),
        # then the whole procedure on each pseudo-data set, its own resamples and envelope
        for child in streams[-1].spawn(n_null):
            data_seed, chunk_seed = child.spawn(2)
            resamplers.append(_bootstrap_resampler(np.random.default_rng(data_seed), big_n, m_t, m_v))
            runs.append(list(zip(chunk_seed.spawn(len(sizes)), sizes)))
    scored = run_envelopes(resamplers, runs, grid_size, bandwidth, kdes, n_jobs=n_jobs, scheduler=scheduler)
    envelopes, mean_share = scored[0]
    env = envelopes[0]
    spike_bins = obs_density > env
    excess = np.maximum(obs_share - mean_share, 0.0)
    f_pct = float(100.0 * excess[spike_bins].sum())
    f_other = float("nan")
    if other_kde:
        obs_other = KDE_FUNCTIONS[kdes[1]](share[None, :], grid_size, bandwidth)[0]
        f_other = float(100.0 * excess[obs_other > envelopes[1]].sum())
    if null == "bootstrap":
        null_f = np.array(
            [
                _spike_share_pct((r.votes / r.ballots)[None, :], e[0], m, kde_fn, grid_size, bandwidth)[0]
                for r, (e, m) in zip(resamplers[1:], scored[1:])
            ]
        )
    else:  # posterior draws scored against the data's envelope and mean: a reference level only
        null_rng = np.random.default_rng(streams[-1])
        null_f = np.empty(n_null)
        for start in range(0, n_null, chunk):
            y = resamplers[0].draw_shares(null_rng, min(chunk, n_null - start))
            null_f[start : start + y.shape[0]] = _spike_share_pct(y, env, mean_share, kde_fn, grid_size, bandwidth)
    return RozenasResult(
        statistic=f_pct,
        pvalue=mc_pvalue(f_pct, null_f, "greater") if null == "bootstrap" and n_null else float("nan"),
        spike_share_pct=f_pct,
        n_stations=int(v.size),
        n_excluded=n_excluded,
        bandwidth=float(bandwidth),
        n_resamples=int(n_resamples),
        grid_size=int(grid_size),
        grid=np.linspace(0.0, 1.0, grid_size),
        observed_density=obs_density,
        resampled_max=env,
        observed_share=obs_share,
        resampled_mean_share=mean_share,
        spike_bins=spike_bins,
        turnout_model=m_t,
        vote_model=m_v,
        null_spike_share_pct=null_f,
        spike_share_other_kde_pct=f_other,
        null=null,
    )
