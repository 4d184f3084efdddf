"""Shpilkin's estimate of the leader's excess votes from the turnout dependence of the others' votes.

Source: S. Shpilkin's analyses of the 2007-2011 Russian elections (summarised in D. Kobak,
S. Shpilkin & M. S. Pshenichnikov (2016), "Integer percentages as electoral falsification
fingerprints", *Annals of Applied Statistics* 10(1), 54-73, section 1 and figure 1, and in
Kobak, Shpilkin & Pshenichnikov (2016), "Statistical fingerprints of electoral fraud?",
*Significance* 13(4), 20-23).

Model. Stations are binned by turnout. In a clean election the votes for the leader and for
the other parties are distributed over turnout in the same way, so their ratio does not depend
on turnout. Ballot stuffing for the leader (and officials writing in turnout for the leader)
moves stations to higher turnout and adds votes only to the leader. The others' votes are taken
as undistorted: the clean turnout peak is the mode of their (smoothed) distribution over
turnout, and above it the leader's clean votes in each bin are the others' votes there times
the leader-to-others ratio at the peak. What the leader has above that is the excess:

    E = Σ_{bins above the peak} (L_k − r O_k),     r = L / O in a window around the peak,

and the excess ballots (turnout, in votes) the same with all ballots counted T in place of L.
The leader's clean share is (L − E) / (T − E_T). Negative contributions are kept (the estimate
is signed), so on a clean election it scatters around zero; a leader whose share falls (rises)
with turnout for honest reasons gives a negative (positive) estimate — the method's known
limitation, which estimating region by region (:func:`shpilkin_by_region`) reduces.

Uncertainty: percentile bootstrap over stations (Efron & Tibshirani 1993, ch. 13), the peak and
ratio re-estimated in every resample, vectorised over resamples (binned sums of multinomially
reweighted stations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage, sparse

from analysis.core.results import FlatResult
from analysis.stats import measures


@dataclass(frozen=True)
class ShpilkinResult(FlatResult):
    """Shpilkin's excess-vote estimate with percentile-bootstrap intervals (NaN without bootstrap).

    Attributes
    ----------
    excess_votes : float
        The leader's votes above the clean curve (signed).
    excess_votes_low, excess_votes_high : float
        Its percentile-bootstrap interval.
    excess_turnout : float
        Ballots counted above the clean curve (votes); ``_low`` / ``_high`` its interval.
    excess_turnout_points : float
        ``excess_turnout`` as percentage points of the registered voters.
    clean_share : float
        The leader's share of the ballots counted once the excess is removed; ``_low`` /
        ``_high`` its interval.
    leader_share : float
        The leader's observed share of the ballots counted.
    excess_share : float
        ``excess_votes`` as a fraction of the ballots counted.
    peak_turnout : float
        The clean turnout peak (fraction).
    peak_ratio : float
        The leader-to-others ratio ``r`` at the peak.
    n_stations, n_bootstrap : int
        Stations used and bootstrap resamples.
    bin_edges : numpy.ndarray
        Turnout bin edges (fractions).
    leader_by_bin, others_by_bin, clean_leader_by_bin : numpy.ndarray
        Leader's and others' votes per turnout bin, and the leader's clean curve.
    bootstrap : numpy.ndarray
        (3, n_bootstrap): excess votes, excess turnout and clean share of each resample.
    """

    excess_votes: float
    excess_votes_low: float
    excess_votes_high: float
    excess_turnout: float
    excess_turnout_low: float
    excess_turnout_high: float
    excess_turnout_points: float
    clean_share: float
    clean_share_low: float
    clean_share_high: float
    leader_share: float
    excess_share: float
    peak_turnout: float
    peak_ratio: float
    n_stations: int
    n_bootstrap: int
    bin_edges: np.ndarray
    leader_by_bin: np.ndarray
    others_by_bin: np.ndarray
    clean_leader_by_bin: np.ndarray
    bootstrap: np.ndarray


def _estimate(sums: np.ndarray, centres: np.ndarray, smoothing_bins: float, halfwidth: float):
    """Peak, ratios and excesses from binned sums ``(..., 3, K)`` (leader, others, ballots)."""
    lead, oth, tot = sums[..., 0, :], sums[..., 1, :], sums[..., 2, :]
    smooth = ndimage.gaussian_filter1d(oth, smoothing_bins, axis=-1, mode="constant") if smoothing_bins > 0 else oth
    peak = centres[np.argmax(smooth, axis=-1)]
    window = np.abs(centres - peak[..., None]) <= halfwidth + 1e-12
    above = centres > peak[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        o_win = np.sum(oth * window, axis=-1)
        r = np.sum(lead * window, axis=-1) / o_win
        q = np.sum(tot * window, axis=-1) / o_win
    excess = np.sum((lead - r[..., None] * oth) * above, axis=-1)
    excess_t = np.sum((tot - q[..., None] * oth) * above, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        clean = (lead.sum(-1) - excess) / (tot.sum(-1) - excess_t)
    return peak, r, excess, excess_t, clean


def shpilkin_estimate(
    registered,
    leader_votes,
    other_votes,
    invalid=None,
    *,
    bin_width: float = 0.005,
    smoothing: float = 0.02,
    peak_halfwidth: float = 0.02,
    min_registered: int = 0,
    min_stations: int = 20,
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    chunk: int = 25,
) -> ShpilkinResult:
    """Shpilkin's excess votes for the leader, excess turnout and the leader's clean share.

    The model (module docstring): the other parties' votes are undistorted; above the clean
    turnout peak (the mode of the others' votes over turnout) the leader's clean votes are the
    others' votes times the leader-to-others ratio at the peak. Zero excess is the clean
    election; the estimate is signed.

    Parameters
    ----------
    registered, leader_votes, other_votes : array_like
        Per station: registered voters, the leader's votes, all other candidates' votes.
    invalid : array_like, optional
        Invalid ballots per station (counted in turnout, not in either candidate group).
    bin_width : float
        Width of the turnout bins (fraction).
    smoothing : float
        Width (fraction of turnout) of the Gaussian kernel smoothing the others' histogram
        before its mode is taken; it keeps integer-percentage spikes from being the peak.
    peak_halfwidth : float
        Half-width of the turnout window around the peak in which the ratio is measured.
    min_registered : int
        Stations with fewer registered voters, none registered, or missing values are left out.
    min_stations : int
        Fewer usable stations than this is an error (the peak is not identified).
    n_bootstrap : int
        Percentile-bootstrap resamples over stations (0: no intervals).
    confidence : float
        Confidence level of the intervals.
    seed : int
        Seed of the bootstrap.
    chunk : int
        Resamples drawn at a time (memory: ``chunk`` × stations integers; no effect on results).

    Returns
    -------
    ShpilkinResult
        The estimates, their intervals and the binned curves.

    References
    ----------
    Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as electoral
    falsification fingerprints. *Annals of Applied Statistics* 10(1), 54-73 (section 1,
    figure 1: Shpilkin's estimate); Efron, B. & Tibshirani, R. J. (1993), *An Introduction to
    the Bootstrap*, ch. 13.

    Examples
    --------
    A clean election (the leader's share does not depend on turnout) has no excess:

    >>> rng = np.random.default_rng(0)
    >>> reg = rng.integers(500, 2000, 5000)
    >>> ballots = rng.binomial(reg, np.clip(rng.normal(0.55, 0.08, 5000), 0, 1))
    >>> lead = rng.binomial(ballots, 0.4)
    >>> r = shpilkin_estimate(reg, lead, ballots - lead)
    >>> bool(abs(r.excess_share) < 0.01), round(r.peak_turnout, 1)
    (True, 0.6)
    """
    reg = np.asarray(registered, dtype=float)
    lead = np.asarray(leader_votes, dtype=float)
    oth = np.asarray(other_votes, dtype=float)
    inv = np.zeros_like(reg) if invalid is None else np.asarray(invalid, dtype=float)
    if not (reg.shape == lead.shape == oth.shape == inv.shape):
        raise ValueError("registered, leader_votes, other_votes and invalid must have the same length")
    tot = lead + oth + inv
    ok = np.isfinite(reg) & np.isfinite(tot) & (reg > 0) & (reg >= min_registered)
    if ok.sum() < max(min_stations, 1):
        raise ValueError(f"only {int(ok.sum())} usable stations: too few for Shpilkin's estimate")
    reg, lead, oth, tot = reg[ok], lead[ok], oth[ok], tot[ok]
    n_bins = int(np.ceil(1.0 / bin_width))
    edges = np.linspace(0.0, n_bins * bin_width, n_bins + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    # Turnout above 100 % (voters added on the day) goes to the last bin.
    # (A rounding guard keeps a turnout on a bin edge, 0.6 / 0.1 = 5.999…, in the bin it opens.)
    b = np.minimum(np.floor(np.clip(tot / reg, 0.0, 1.0) / bin_width + 1e-9).astype(np.int64), n_bins - 1)
    values = np.stack([lead, oth, tot])  # (3, n)
    sums = np.stack([np.bincount(b, weights=v, minlength=n_bins) for v in values])
    args = (centres, smoothing / bin_width, peak_halfwidth)
    peak, r, excess, excess_t, clean = (float(a) for a in _estimate(sums, *args))

    boot = np.full((3, 0), np.nan)
    ci = np.full((3, 2), np.nan)
    if n_bootstrap > 0:
        n = reg.size
        # Binned sums of a resample are W @ A: W the (resamples × stations) multiplicities,
        # A the sparse (stations × 3 bins) values — one sparse product per chunk of resamples.
        rows = np.repeat(np.arange(n), 3)
        cols = (np.arange(3)[None, :] * n_bins + b[:, None]).ravel()
        a = sparse.csr_matrix((values.T.ravel(), (rows, cols)), shape=(n, 3 * n_bins))
        rng = np.random.default_rng(seed)
        out = []
        for start in range(0, n_bootstrap, chunk):
            m = min(chunk, n_bootstrap - start)
            idx = rng.integers(0, n, (m, n)) + (np.arange(m) * n)[:, None]
            w = np.bincount(idx.ravel(), minlength=m * n).reshape(m, n).astype(float)
            sb = np.asarray((a.T @ w.T).T).reshape(m, 3, n_bins)
            out.append(np.stack(_estimate(sb, *args)[2:]))
        boot = np.concatenate(out, axis=1)
        tail = 50 * (1 - confidence)
        ci = np.nanpercentile(boot, [tail, 100 - tail], axis=1).T
    clean_curve = np.where(centres > peak, r * sums[1], sums[0])
    return ShpilkinResult(
        excess,
        float(ci[0, 0]),
        float(ci[0, 1]),
        excess_t,
        float(ci[1, 0]),
        float(ci[1, 1]),
        100.0 * excess_t / reg.sum(),
        clean,
        float(ci[2, 0]),
        float(ci[2, 1]),
        float(lead.sum() / tot.sum()),
        excess / float(tot.sum()),
        peak,
        r,
        int(reg.size),
        int(n_bootstrap),
        edges,
        sums[0],
        sums[1],
        clean_curve,
        boot,
    )


def _table_counts(stations: pd.DataFrame, votes: pd.DataFrame, leader: str, ordinary_only: bool):
    lead = measures.leader_votes(stations, votes, leader)
    keep = np.ones(len(stations), bool)
    if ordinary_only and "station_type" in stations:
        keep = (stations["station_type"].astype(str) == "ordinary").to_numpy()
    reg = measures._as_float(stations["registered"])
    valid = measures._as_float(stations["valid"])
    invalid = measures._as_float(stations["invalid"])
    return keep, reg, lead, valid - lead, invalid


def shpilkin_tables(stations, votes, leader: str, *, ordinary_only: bool = True, **kwargs) -> ShpilkinResult:
    """:func:`shpilkin_estimate` on canonical tables (turnout = valid + invalid over registered).

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical stations and long votes tables.
    leader : str
        The leader's name in ``votes["candidate"]``.
    ordinary_only : bool
        Leave out special stations (abroad, institutions) where station types are known.
    **kwargs
        Keyword arguments of :func:`shpilkin_estimate`.

    Returns
    -------
    ShpilkinResult

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), 54-73.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 3000
    >>> reg = rng.integers(500, 2000, n)
    >>> valid = rng.binomial(reg, 0.55)
    >>> lead = rng.binomial(valid, 0.4)
    >>> key = pd.DataFrame({"election": "x", "region": "r", "district": "d", "station": [str(i) for i in range(n)]})
    >>> st = key.assign(registered=reg, valid=valid, invalid=0)
    >>> votes = pd.concat([key.assign(candidate="A", votes=lead), key.assign(candidate="B", votes=valid - lead)])
    >>> shpilkin_tables(st, votes, "A").n_stations
    3000
    """
    keep, reg, lead, oth, inv = _table_counts(stations, votes, leader, ordinary_only)
    return shpilkin_estimate(reg[keep], lead[keep], oth[keep], inv[keep], **kwargs)


def shpilkin_by_region(
    stations, votes, leader: str, *, min_stations: int = 100, ordinary_only: bool = True, **kwargs
) -> pd.DataFrame:
    """Shpilkin's estimate in every region separately (each with its own clean peak and ratio).

    A region's own peak removes the between-region part of a turnout–share correlation (regions
    with high turnout and a high leader share, for honest reasons or not, no longer count as
    one national excess); what remains is the within-region excess.

    Parameters
    ----------
    stations, votes : pandas.DataFrame
        Canonical stations and long votes tables.
    leader : str
        The leader's name.
    min_stations : int
        Regions with fewer usable stations get NaN (their peak is not identified).
    ordinary_only : bool
        As in :func:`shpilkin_tables`.
    **kwargs
        Keyword arguments of :func:`shpilkin_estimate` (``n_bootstrap`` gives per-region
        intervals; resamples are drawn within each region).

    Returns
    -------
    pandas.DataFrame
        One row per region: ``region``, ``n_stations``, ``excess_votes`` (+ ``_low`` /
        ``_high``), ``excess_turnout``, ``leader_share``, ``clean_share``, ``peak_turnout``;
        largest excess first.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016), *Annals of Applied Statistics* 10(1), 54-73.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 4000
    >>> reg = rng.integers(500, 2000, n)
    >>> valid = rng.binomial(reg, 0.55)
    >>> lead = rng.binomial(valid, 0.4)
    >>> key = pd.DataFrame({"election": "x", "region": np.repeat(["r1", "r2"], n // 2), "district": "d",
    ...                     "station": [str(i) for i in range(n)]})
    >>> st = key.assign(registered=reg, valid=valid, invalid=0)
    >>> votes = pd.concat([key.assign(candidate="A", votes=lead), key.assign(candidate="B", votes=valid - lead)])
    >>> shpilkin_by_region(st, votes, "A")["region"].tolist() in (["r1", "r2"], ["r2", "r1"])
    True
    """
    keep, reg, lead, oth, inv = _table_counts(stations, votes, leader, ordinary_only)
    region = stations["region"].astype(str).to_numpy()
    rows = []
    for name in pd.unique(region[keep]):
        sel = keep & (region == name)
        row = {"region": name, "n_stations": int(sel.sum())}
        try:
            r = shpilkin_estimate(reg[sel], lead[sel], oth[sel], inv[sel], min_stations=min_stations, **kwargs)
            row.update({k: getattr(r, k) for k in _REGION_COLUMNS})
        except ValueError:
            row.update(dict.fromkeys(_REGION_COLUMNS, np.nan))
        rows.append(row)
    table = pd.DataFrame(rows, columns=["region", "n_stations", *_REGION_COLUMNS])
    return table.sort_values("excess_votes", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


_REGION_COLUMNS = (
    "excess_votes",
    "excess_votes_low",
    "excess_votes_high",
    "excess_turnout",
    "leader_share",
    "clean_share",
    "peak_turnout",
)
