"""Figures of the synthetic-election work: power curves and type-I error (the Klimek fit: plotting.klimek).

Every figure made from synthetic elections is stamped with :func:`label_synthetic`. The
functions take the tables computed by ``analysis.synthetic.calibration``;
they compute nothing statistical.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.report.plotting import label_synthetic

FRAUD_LABELS = {
    "incremental": "incremental fraud: share of stations fi",
    "extreme": "extreme fraud: share of stations fe",
    "rounding": "rounding to integer %: share of stations",
    "protocol_rewrite": "protocol rewriting: share of stations",
    "special_full_turnout": "100 % turnout: share of special stations",
}


def power_curves(curve: pd.DataFrame, scenario: str, alpha: float = 0.05, target: float = 0.8):
    """One panel per fraud type: rejection rate against magnitude, one line per test (synthetic)."""
    data = curve[curve["scenario"] == scenario]
    types = [t for t in FRAUD_LABELS if t in set(data["fraud_type"])]
    ncols = min(3, max(len(types), 1))
    nrows = int(np.ceil(len(types) / ncols)) or 1
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.9 * nrows), squeeze=False)
    tests = sorted(data["test"].unique())
    cmap = plt.get_cmap("tab20")
    for ax, ftype in zip(axes.flat, types):
        sub = data[data["fraud_type"] == ftype]
        for i, test in enumerate(tests):
            g = sub[sub["test"] == test].sort_values("magnitude")
            ax.plot(g["magnitude"], 100 * g["power"], marker="o", ms=3, color=cmap(i % 20), label=test)
            if {"ci_low", "ci_high"} <= set(g):  # Monte Carlo error: the exact 95 % interval of each rate
                ax.fill_between(g["magnitude"], 100 * g["ci_low"], 100 * g["ci_high"], color=cmap(i % 20), alpha=0.08)
        ax.axhline(100 * target, color="grey", ls="--", lw=1)
        ax.axhline(100 * alpha, color="grey", ls=":", lw=1)
        mags = sub["magnitude"].to_numpy(float)
        if (mags > 0).all():
            ax.set_xscale("log")
            ax.set_xlim(mags.min() / 1.3, mags.max() * 1.3)
        else:
            ax.set_xscale("symlog", linthresh=max(mags[mags > 0].min(), 1e-4))
        ax.set_ylim(-3, 103)
        ax.set_xlabel(FRAUD_LABELS[ftype])
        ax.set_ylabel("rejection rate at α (%)")
        ax.set_title(ftype)
    for ax in list(axes.flat)[len(types) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="lower center", ncol=min(len(labels), 5), frameon=False, bbox_to_anchor=(0.5, -0.02)
    )
    fig.suptitle(
        f"Power of each test, {scenario} (synthetic elections; bands: exact 95 % intervals; dashed: 80 %, dotted: α)"
    )
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    label_synthetic(fig)
    return fig


def type1_figure(type1: pd.DataFrame, alpha: float = 0.05, band=(0.035, 0.065)):
    """Type-I error with exact 95 % intervals, test × scenario; the calibrated band shaded (synthetic)."""
    tests = sorted(type1["test"].unique())
    scenarios = sorted(type1["scenario"].unique())
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(tests) * max(len(scenarios), 1) ** 0.5 + 1.6))
    ax.axvspan(
        100 * band[0],
        100 * band[1],
        color="tab:green",
        alpha=0.15,
        label=f"[{100 * band[0]:.1f} %, {100 * band[1]:.1f} %]",
    )
    ax.axvline(100 * alpha, color="grey", lw=1)
    offsets = np.linspace(-0.25, 0.25, len(scenarios)) if len(scenarios) > 1 else [0.0]
    for off, scen in zip(offsets, scenarios):
        sub = type1[type1["scenario"] == scen].set_index("test").reindex(tests)
        y = np.arange(len(tests)) + off
        x = 100 * sub["type1"].to_numpy(float)
        lo = x - 100 * sub["ci_low"].to_numpy(float)
        hi = 100 * sub["ci_high"].to_numpy(float) - x
        ax.errorbar(x, y, xerr=[lo, hi], fmt="o", ms=4, capsize=2, label=scen)
    ax.set_yticks(np.arange(len(tests)), tests)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, 100)
    ax.set_xlabel("rejection rate on clean elections at α = 5 % (%, exact 95 % interval)")
    ax.set_title("Type-I error of every test on SYNTHETIC clean elections")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    label_synthetic(fig)
    return fig
