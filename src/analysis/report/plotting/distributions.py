"""Figures of notebooks 03_distributions and 04_full_turnout.

Every function draws results computed by ``analysis.stats.distributions`` / ``analysis.stats.full_turnout``
(histograms, fingerprints, tables); the only arithmetic here is display scaling (e.g.
dividing a fingerprint by its total so two elections share one colour scale).
Panels are keyed by a label (the election's short name), in the order given; the election
under study first, the control beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.ticker import FuncFormatter

from analysis.report.plotting import ELECTION_COLOR, filled_stairs, power_of_ten_label, series_colors
from analysis.stats.distributions import Fingerprint, Histogram

VARIABLE_LABELS = {"turnout": "Turnout (%)", "leader_share": "Leader's share of ballots (%)"}
WEIGHT_LABELS = {
    "stations": "polling stations",
    "voters": "voters (valid + invalid ballots)",
    "registered": "registered voters",
}


def plot_histograms(panels: Mapping[str, Mapping[str, Histogram]], title: str, note: str | None = None):
    """Grid of histograms: one row per variable, one column per election.

    ``panels``: {election label: {variable: Histogram}}. Bars are the histogram's counts
    (stations or voters per bin, as the histogram says).
    """
    labels = list(panels)
    variables = list(dict.fromkeys(v for p in panels.values() for v in p))
    fig, axes = plt.subplots(
        len(variables), len(labels), figsize=(5.5 * len(labels), 3.2 * len(variables)), squeeze=False
    )
    for j, (label, color) in enumerate(zip(labels, series_colors(len(labels)))):
        for i, var in enumerate(variables):
            ax = axes[i, j]
            h = panels[label].get(var)
            if h is None:
                ax.set_axis_off()
                continue
            filled_stairs(ax, h.counts, h.edges, facecolor=color, alpha=0.85)
            ax.set_xlim(0, 100.5)
            ax.set_xlabel(VARIABLE_LABELS.get(var, var))
            ax.set_ylabel(f"{WEIGHT_LABELS.get(h.weighting, h.weighting).split(' (')[0]} per {h.resolution:g}-pt bin")
            ax.set_title(f"{label}: {var.replace('_', ' ')}", fontsize=10)
            if h.n_outside:
                ax.text(
                    0.01, 0.97, f"{h.n_outside} beyond 100 % not shown", transform=ax.transAxes, va="top", fontsize=8
                )
    fig.suptitle(title)
    if note:
        fig.text(0.01, -0.01, note, fontsize=8, va="top")
    fig.tight_layout()
    return fig


def plot_region_small_multiples(hists: Mapping[str, Histogram], title: str, ncols: int = 8):
    """Small multiples: one histogram per region (``{region: Histogram}``), own y scale each.

    All panels share one Axes, each shifted to its place in the grid and scaled to its own
    maximum: the same picture as one Axes per region, drawn in a fraction of the time (ninety
    Axes made the figure the slowest part of notebook 03; issue 10, "Speed").
    """
    names = list(hists)
    nrows = max(1, int(np.ceil(len(names) / ncols)))
    any_h = next(iter(hists.values()))
    x_max, gap_x, gap_y = 100.5, 14.0, 0.55  # a panel is x_max wide and 1 high (data units)
    fig, ax = plt.subplots(figsize=(2.1 * ncols, 1.5 * nrows))
    for k, name in enumerate(names):
        row, col = divmod(k, ncols)
        x0, y0 = col * (x_max + gap_x), -row * (1 + gap_y)
        h = hists[name]
        top = float(np.max(h.counts)) if np.size(h.counts) and np.max(h.counts) > 0 else 1.0
        filled_stairs(ax, y0 + h.counts / top, x0 + h.edges, baseline=y0, facecolor=ELECTION_COLOR)
        ax.plot([x0, x0 + x_max], [y0, y0], color="0.4", linewidth=0.6)
        ax.text(x0 + x_max / 2, y0 + 1.04, name if len(name) <= 24 else name[:23] + "…", ha="center", fontsize=7)
        for tick in (0, 50, 100):
            ax.text(x0 + tick, y0 - 0.04, f"{tick}", ha="center", va="top", fontsize=6)
    ax.set_xlim(-gap_x / 2, ncols * (x_max + gap_x) - gap_x / 2)
    ax.set_ylim(-(nrows - 1) * (1 + gap_y) - 0.25, 1.25)
    ax.set_axis_off()
    fig.supxlabel(f"{VARIABLE_LABELS.get(any_h.variable, any_h.variable)}; bins of {any_h.resolution:g} pt", fontsize=9)
    fig.supylabel(
        f"{WEIGHT_LABELS.get(any_h.weighting, any_h.weighting).split(' (')[0]} (own scale per region)", fontsize=9
    )
    fig.suptitle(title, y=1.0)
    fig.subplots_adjust(left=0.03, right=0.995, bottom=0.03, top=0.97)
    return fig


def plot_fingerprints(fingerprints: Mapping[str, Fingerprint], title: str):
    """Klimek et al. (2012) fingerprints side by side: same axes, one shared log colour scale.

    Each panel shows the fraction of its election's (weighted) total per cell, so elections
    of different size share the colour scale.
    """
    labels = list(fingerprints)
    shares = {k: fp.counts / fp.counts.sum() for k, fp in fingerprints.items()}
    positive = np.concatenate([s[s > 0] for s in shares.values()])
    norm = LogNorm(vmin=max(positive.min(), 1e-7), vmax=positive.max())
    fig, axes = plt.subplots(
        1, len(labels), figsize=(5.0 * len(labels) + 1.0, 4.6), squeeze=False, sharex=True, sharey=True
    )
    mesh = None
    for ax, label in zip(axes[0], labels):
        fp = fingerprints[label]
        data = np.ma.masked_equal(shares[label].T, 0)
        mesh = ax.pcolormesh(  # rasterized: one image in the SVG, not a path per cell
            fp.x_edges, fp.y_edges, data, norm=norm, cmap="viridis", shading="flat", rasterized=True
        )
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 100)
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_xlabel(VARIABLE_LABELS["turnout"])
        ax.set_title(label, fontsize=10)
    axes[0, 0].set_ylabel(VARIABLE_LABELS["leader_share"])
    w = next(iter(fingerprints.values())).weighting
    res = next(iter(fingerprints.values())).resolution
    colorbar = fig.colorbar(
        mesh,
        ax=axes[0].tolist(),
        label=f"fraction of {WEIGHT_LABELS.get(w, w).split(' (')[0]} per {res:g}×{res:g}-pt cell (log)",
    )
    colorbar.ax.yaxis.set_major_formatter(FuncFormatter(power_of_ten_label))
    fig.suptitle(title)
    return fig


def plot_comet(points: Mapping[str, tuple], title: str, max_points: int = 30000, seed: int = 0):
    """Kobak-style "comet" scatter of turnout vs leader share, one panel per election.

    ``points``: {label: (turnout, leader_share, registered)} as fractions; marker area
    grows with registered voters. Elections with more than ``max_points`` stations show a
    reproducible random subset (``seed``), noted in the panel.
    """
    labels = list(points)
    fig, axes = plt.subplots(1, len(labels), figsize=(5.0 * len(labels), 4.6), squeeze=False, sharex=True, sharey=True)
    for ax, label, color in zip(axes[0], labels, series_colors(len(labels))):
        t, s, reg = (np.asarray(a, dtype=float) for a in points[label])
        idx = np.arange(t.size)
        if t.size > max_points:
            idx = np.sort(np.random.default_rng(seed).choice(t.size, max_points, replace=False))
            ax.text(
                0.01,
                0.99,
                f"random {max_points:,} of {t.size:,} stations",
                transform=ax.transAxes,
                va="top",
                fontsize=8,
            )
        # rasterized: in the SVG one image instead of 30,000 paths (4 s to write; issue 10, "Speed")
        ax.scatter(
            100 * t[idx],
            100 * s[idx],
            s=np.clip(reg[idx] / 400, 0.2, 12),
            color=color,
            alpha=0.15,
            linewidths=0,
            rasterized=True,
        )
        ax.set_xlim(0, 101)
        ax.set_ylim(0, 101)
        ax.set_xlabel(VARIABLE_LABELS["turnout"])
        ax.set_title(label, fontsize=10)
    axes[0, 0].set_ylabel(VARIABLE_LABELS["leader_share"])
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_observed_expected(by_region: pd.DataFrame, title: str, top: int = 25):
    """Observed vs expected stations at 100 % turnout per region (the ``top`` largest excesses).

    ``by_region``: ``FullTurnoutResult.by_region`` (columns region, observed, expected, excess).
    """
    d = by_region.sort_values(["excess", "region"], ascending=[False, True]).head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(d) + 1.5))
    y = np.arange(len(d))
    ax.barh(y + 0.2, d["observed"], height=0.4, color=ELECTION_COLOR, label="observed")
    ax.barh(y - 0.2, d["expected"], height=0.4, color="#999999", label="expected under the null")
    ax.set_yticks(y, d["region"], fontsize=8)
    ax.set_xlabel("stations at exactly 100 % turnout")
    ax.legend(loc="lower right")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_rates(rates: pd.DataFrame, title: str, xlabel: str = "share of stations at exactly 100 % turnout"):
    """Rates with exact intervals as a dot-and-whisker chart.

    ``rates``: columns ``label``, ``rate``, ``ci_low``, ``ci_high`` and optionally ``group``
    (used for colour: first group = the election, second = the control).
    """
    d = rates.reset_index(drop=True)
    groups = list(dict.fromkeys(d["group"])) if "group" in d else [None]
    colors = dict(zip(groups, series_colors(len(groups))))
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(d) + 1.5))
    y = np.arange(len(d))[::-1]
    for g in groups:
        sel = (d["group"] == g).to_numpy() if g is not None else np.ones(len(d), bool)
        ax.errorbar(
            d.loc[sel, "rate"],
            y[sel],
            xerr=[d.loc[sel, "rate"] - d.loc[sel, "ci_low"], d.loc[sel, "ci_high"] - d.loc[sel, "rate"]],
            fmt="o",
            color=colors[g],
            capsize=3,
            label=g,
        )
    ax.set_yticks(y, d["label"], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(f"{xlabel} (95 % Clopper–Pearson interval)")
    if groups != [None]:
        ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_regional_leader_share(tables: Mapping[str, pd.DataFrame], title: str):
    """Leader's share by region, one panel per election (``{label: frame(region, leader_share_pct)}``)."""
    labels = list(tables)
    height = max(len(t) for t in tables.values()) * 0.22 + 1.5
    fig, axes = plt.subplots(1, len(labels), figsize=(5.0 * len(labels), height), squeeze=False, sharex=True)
    for ax, label, color in zip(axes[0], labels, series_colors(len(labels))):
        d = tables[label].sort_values(["leader_share_pct", "region"], ascending=[True, False])
        y = np.arange(len(d))
        ax.hlines(y, 0, d["leader_share_pct"], color=color, alpha=0.4)
        ax.plot(d["leader_share_pct"], y, "o", color=color)
        ax.set_yticks(y, d["region"], fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("Leader's share of valid votes (%)")
        ax.set_title(label, fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
