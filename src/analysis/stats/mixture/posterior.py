"""Per-station posterior probabilities of fraud and expected fraudulent votes (Mebane 2016)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.core.results import FlatResult
from analysis.stats.mixture.fit import FraudMixtureResult
from analysis.stats.mixture.model import (
    DEFAULT_NODES,
    MixtureParameters,
    _take,
    clip_rates,
    fraud_nodes,
    honest_density,
)


@dataclass(frozen=True)
class StationPosterior:
    """Per-station posterior quantities at given parameters.

    Attributes
    ----------
    p_incremental, p_extreme : numpy.ndarray
        Posterior probabilities that the station belongs to the incremental or extreme fraud
        component (Bayes' rule with the mixture weights as priors).
    manufactured, stolen : numpy.ndarray
        Expected votes added from non-voters (``registered × (t − t0)``) and moved from the
        opposition (``registered × (t0 (1 − v0) − t (1 − v))``), averaged over the posterior of
        component and fraud intensity.
    """

    p_incremental: np.ndarray
    p_extreme: np.ndarray
    manufactured: np.ndarray
    stolen: np.ndarray

    @property
    def fraud_votes(self) -> np.ndarray:
        return self.manufactured + self.stolen


def station_posterior(
    params: MixtureParameters, t, v, registered, *, nodes: int = DEFAULT_NODES, noise=None, chunk: int = 1024
) -> StationPosterior:
    """Posterior fraud probabilities and expected fraudulent votes of each station.

    ``t, v`` are rates inside (0, 1) (:func:`~analysis.stats.mixture.model.clip_rates`);
    ``noise`` as in :func:`~analysis.stats.mixture.model.honest_moments`.

    Examples
    --------
    >>> p = MixtureParameters(0.2, 0.0, 2.0, 0.6, 0.5, 0.1, 0.1, 0.3)
    >>> post = station_posterior(p, np.array([0.55, 0.9]), np.array([0.5, 0.8]), np.array([1000, 1000]))
    >>> bool(post.p_incremental[0] < 0.5 < post.p_incremental[1])
    True
    """
    t, v = np.asarray(t, dtype=float), np.asarray(v, dtype=float)
    registered = np.asarray(registered, dtype=float)
    out = {name: np.empty_like(t) for name in ("pi", "pe", "man", "sto")}
    f0 = honest_density(t, v, params, noise)
    for start in range(0, t.size, chunk):
        b = slice(start, start + chunk)
        q = fraud_nodes(t[b], v[b], params, nodes=nodes, noise=_take(noise, b))
        inc, ext = params.fi * q.incremental, params.fe * q.extreme
        total = np.maximum((1.0 - params.fi - params.fe) * f0[b] + inc.sum(axis=1) + ext.sum(axis=1), 1e-300)
        added = t[b, None] - q.t0
        moved = q.t0 * (1.0 - q.v0) - (t[b] * (1.0 - v[b]))[:, None]
        out["pi"][b] = inc.sum(axis=1) / total
        out["pe"][b] = ext.sum(axis=1) / total
        out["man"][b] = registered[b] * ((inc + ext) * added).sum(axis=1) / total
        out["sto"][b] = registered[b] * ((inc + ext) * moved).sum(axis=1) / total
    return StationPosterior(out["pi"], out["pe"], out["man"], out["sto"])


@dataclass(frozen=True)
class FraudVotesResult(FlatResult):
    """Expected fraudulent votes of an election under the fitted model, with delta-method intervals.

    Attributes
    ----------
    expected_fraud_votes, expected_fraud_votes_low, expected_fraud_votes_high : float
        Sum over stations of the expected manufactured + stolen votes, and its interval.
    expected_manufactured_votes, expected_stolen_votes : float
        The two parts (each with ``_low`` and ``_high``, the same delta method).
    expected_incremental_stations, expected_extreme_stations : float
        Sums of the posterior probabilities (expected numbers of stations in each component).
    confidence_level : float
    stations : StationPosterior
        The per-station quantities.
    """

    expected_fraud_votes: float
    expected_fraud_votes_low: float
    expected_fraud_votes_high: float
    expected_manufactured_votes: float
    expected_manufactured_votes_low: float
    expected_manufactured_votes_high: float
    expected_stolen_votes: float
    expected_stolen_votes_low: float
    expected_stolen_votes_high: float
    expected_incremental_stations: float
    expected_extreme_stations: float
    confidence_level: float
    stations: StationPosterior


def expected_fraud_votes(
    fit: FraudMixtureResult,
    turnout,
    leader_share,
    registered,
    voters=None,
    *,
    nodes: int = DEFAULT_NODES,
) -> FraudVotesResult:
    """Per-station posteriors and the election's expected fraudulent votes (Mebane 2016).

    The intervals of the total and of its two parts are the delta method: their gradients in
    the parameters (forward differences) with the fit's inverse observed information (of
    the unrestricted fit); lower bounds are clipped at 0.
    Parameters the fit left unidentified (NaN covariance) do not contribute.

    Parameters
    ----------
    fit : FraudMixtureResult
        The fitted model (:func:`~analysis.stats.mixture.fit.fit_fraud_mixture`).
    turnout, leader_share, registered : array_like
        The stations that were fitted, in the same order.
    voters : array_like, optional
        Ballots counted (for the same half-ballot clipping and count variance as the fit).
    nodes : int
        Gauss–Legendre nodes per panel.

    Returns
    -------
    FraudVotesResult

    References
    ----------
    Mebane, W. R. (2016). Election forensics: frauds tests and observation-level frauds
    probabilities. Midwest Political Science Association.

    Examples
    --------
    >>> from analysis.stats.mixture import fit_fraud_mixture, simulate
    >>> true = MixtureParameters(0.2, 0.02, 2.0, 0.6, 0.45, 0.08, 0.1, 0.15)
    >>> sim = simulate(true, 1500, seed=3)
    >>> t, v = sim.turnout, sim.leader_share
    >>> res = expected_fraud_votes(fit_fraud_mixture(t, v), t, v, np.full(1500, 1000))
    >>> bool(res.expected_fraud_votes_low <= res.expected_fraud_votes <= res.expected_fraud_votes_high)
    True
    """
    t, v = clip_rates(turnout, leader_share, registered, voters)
    registered = np.asarray(registered, dtype=float)
    params = fit.parameters
    noise = fit.honest_context
    post = station_posterior(params, t, v, registered, nodes=nodes, noise=noise)
    sums = np.array([post.fraud_votes.sum(), post.manufactured.sum(), post.stolen.sum()])
    vec = params.vector()
    identified = np.isfinite(np.diag(fit.covariance))
    grad = np.zeros((3, vec.size))
    for j in np.flatnonzero(identified):
        h = 1e-5 * max(abs(vec[j]), 0.01)
        shifted = vec.copy()
        shifted[j] = shifted[j] + h if shifted[j] + h <= (1.0 if j < 2 else np.inf) else shifted[j] - h
        moved = station_posterior(MixtureParameters.from_vector(shifted), t, v, registered, nodes=nodes, noise=noise)
        moved_sums = np.array([moved.fraud_votes.sum(), moved.manufactured.sum(), moved.stolen.sum()])
        grad[:, j] = (moved_sums - sums) / (shifted[j] - vec[j])
    cov = np.where(np.isfinite(fit.covariance), fit.covariance, 0.0)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grad, cov, grad), 0.0))
    z = stats.norm.ppf(0.5 + fit.confidence_level / 2)
    low, high = np.maximum(sums - z * se, 0.0), sums + z * se
    return FraudVotesResult(
        expected_fraud_votes=float(sums[0]),
        expected_fraud_votes_low=float(low[0]),
        expected_fraud_votes_high=float(high[0]),
        expected_manufactured_votes=float(sums[1]),
        expected_manufactured_votes_low=float(low[1]),
        expected_manufactured_votes_high=float(high[1]),
        expected_stolen_votes=float(sums[2]),
        expected_stolen_votes_low=float(low[2]),
        expected_stolen_votes_high=float(high[2]),
        expected_incremental_stations=float(post.p_incremental.sum()),
        expected_extreme_stations=float(post.p_extreme.sum()),
        confidence_level=fit.confidence_level,
        stations=post,
    )


def fitted_fingerprint(params: MixtureParameters, bins: int = 50, *, sub: int = 4, nodes: int = DEFAULT_NODES):
    """Cell probabilities of the fitted mixture on a ``bins`` × ``bins`` turnout × leader-share grid.

    Each cell's probability is the density averaged over ``sub`` × ``sub`` midpoints times the
    cell area (rows: turnout, columns: leader share; sums to about 1).

    Examples
    --------
    >>> p = MixtureParameters(0.2, 0.01, 2.0, 0.6, 0.5, 0.1, 0.1, 0.2)
    >>> round(float(fitted_fingerprint(p, 20).sum()), 2)
    1.0
    """
    n = bins * sub
    grid = (np.arange(n) + 0.5) / n
    t, v = (a.ravel() for a in np.meshgrid(grid, grid, indexing="ij"))
    q = fraud_nodes(t, v, params, nodes=nodes)
    f = (1.0 - params.fi - params.fe) * honest_density(t, v, params)
    f = f + params.fi * q.incremental.sum(axis=1) + params.fe * q.extreme.sum(axis=1)
    return f.reshape(bins, sub, bins, sub).mean(axis=(1, 3)) / bins**2
