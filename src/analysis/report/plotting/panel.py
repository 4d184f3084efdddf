"""Figures of the panel of elections (notebook 10_panel): they take the panel's tables, never recompute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm

from analysis.report.plotting import CONTROL_COLOR, ELECTION_COLOR, NULL_COLOR
from analysis.report.plotting.distributions import VARIABLE_LABELS
from analysis.stats.distributions import Fingerprint

VERDICT_COLORS = {
    "anomalous": "#c0392b",
    "not calibrated": "#e69f00",
    "uncalibrated": "#b8b8b8",
    "no evidence": "#2e86c1",
    "n/a": "#f2f2f2",
    "—": "#ffffff",
}


def plot_fingerprint_grid(fingerprints: Mapping[str, Fingerprint], title: str, controls: Sequence[str] = (), ncols=4):
    """Small multiples of fingerprints on one log colour scale (share of each election's weight per cell)."""
    names = list(fingerprints)
    shares = {k: fp.counts / fp.counts.sum() for k, fp in fingerprints.items()}
    positive = np.concatenate([s[s > 0] for s in shares.values()])
    norm = LogNorm(vmin=max(positive.min(), 1e-7), vmax=positive.max())
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.2 * ncols + 1, 3.2 * nrows), squeeze=False, sharex=True, sharey=True
    )
    mesh = None
    for ax, name in zip(axes.flat, names):
        fp = fingerprints[name]
        mesh = ax.pcolormesh(fp.x_edges, fp.y_edges, np.ma.masked_equal(shares[name].T, 0), norm=norm, cmap="viridis")
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_title(name + (" (control)" if name in controls else ""), fontsize=9)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(VARIABLE_LABELS["turnout"], fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel(VARIABLE_LABELS["leader_share"], fontsize=8)
    fp0 = next(iter(fingerprints.values()))
    fig.colorbar(mesh, ax=axes.ravel().tolist(), label=f"share of {fp0.weighting} per {fp0.resolution:g}-pt cell (log)")
    fig.suptitle(title)
    return fig


def plot_integer_series(series: pd.DataFrame, published: pd.Series, title: str):
    """Integer-percentage excess ("either") per election with the null's 99.9 % band; published values beside."""
    x = np.arange(len(series))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(series) + 2), 4.2))
    ax.bar(x, series["integer_band_either"], color=NULL_COLOR, alpha=0.35, label="null 99.9th percentile − null mean")
    ax.plot(x, series["integer_excess_either"], "o-", color=ELECTION_COLOR, label="excess (ours, notebook 06)")
    pub = published.reindex(series.index)
    ax.plot(x, pub, "s", mfc="none", ms=9, color=CONTROL_COLOR, label="Kobak et al. (published)")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, series.index, rotation=30, ha="right")
    ax.set_ylabel("stations with an integer turnout or leader share\nabove the binomial null mean")
    ax.legend(fontsize=8)
    ax.set_title(title)
    return fig


def plot_time_series(series: pd.DataFrame, title: str):
    """Three panels over the elections: 100 % turnout (observed vs expected), leader votes from turnout ≥ 90 %,
    turnout–leader-share correlation."""
    x = np.arange(len(series))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    axes[0].plot(x, series["n_turnout_100"], "o-", color=ELECTION_COLOR, label="observed")
    axes[0].plot(x, series["expected_turnout_100"], "s--", color=NULL_COLOR, label="expected (null)")
    axes[0].set_yscale("symlog", linthresh=10)
    axes[0].set_ylabel("stations at exactly 100 % turnout")
    axes[0].legend(fontsize=8)
    axes[1].plot(x, 100 * series["leader_votes_share_turnout_ge_90"], "o-", color=ELECTION_COLOR)
    axes[1].set_ylabel("% of the leader's votes from turnout ≥ 90 %")
    axes[2].plot(x, series["corr_turnout_leader"], "o-", color=ELECTION_COLOR)
    axes[2].axhline(0, color="black", lw=0.8)
    axes[2].set_ylabel("correlation of turnout and leader share")
    for ax in axes:
        ax.set_xticks(x, series.index, rotation=40, ha="right", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_verdict_heatmap(
    matrix: pd.DataFrame,
    labels: Mapping[str, str],
    title: str,
    controls: Sequence[str] = (),
    uncertified: pd.DataFrame | None = None,
):
    """Tests (rows) × elections (columns) coloured by verdict; the clean controls' columns marked.

    ``uncertified`` (same shape, bool): cells whose test the committed calibration study does not
    certify on that election's scenario get a small "u" in their corner.
    """
    words = list(VERDICT_COLORS)
    codes = matrix.apply(lambda col: col.map(lambda v: words.index(v) if v in words else words.index("—")))
    cmap = ListedColormap([VERDICT_COLORS[w] for w in words])
    norm = BoundaryNorm(np.arange(len(words) + 1) - 0.5, cmap.N)
    fig, ax = plt.subplots(figsize=(1.0 * matrix.shape[1] + 5, 0.45 * matrix.shape[0] + 2))
    ax.imshow(codes.to_numpy(dtype=float), cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), [c + ("\n(control)" if c in controls else "") for c in matrix.columns],
                  rotation=40, ha="right", fontsize=8)  # fmt: skip
    ax.set_yticks(range(matrix.shape[0]), [labels.get(t, t) for t in matrix.index], fontsize=8)
    ax.grid(False)
    for (i, j), word in np.ndenumerate(matrix.to_numpy()):
        ax.text(j, i, {"anomalous": "!", "no evidence": "·"}.get(word, ""), ha="center", va="center", color="white")
    if uncertified is not None:
        flags = uncertified.reindex(index=matrix.index, columns=matrix.columns).fillna(False).to_numpy(dtype=bool)
        for i, j in zip(*np.nonzero(flags & (matrix.to_numpy() != "—"))):
            ax.text(j + 0.42, i - 0.3, "u", ha="right", va="top", fontsize=7, color="black")
    handles = [plt.Rectangle((0, 0), 1, 1, color=VERDICT_COLORS[w]) for w in words[:-1]]
    names = list(words[:-1])
    if uncertified is not None:
        handles.append(plt.Line2D([], [], linestyle="none", marker="$u$", color="black"))
        names.append("u: type-I not certified\nby the committed study")
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, title="verdict")
    ax.set_title(title)
    return fig
