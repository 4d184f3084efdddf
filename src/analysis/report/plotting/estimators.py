"""Figure of the estimators' calibration on synthetic elections: estimate against truth, with intervals.

Takes the per-election rows of :func:`analysis.synthetic.estimators.simulate_estimates`;
computes nothing statistical.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.report.plotting import label_synthetic

ESTIMATOR_TITLES = {
    "klimek": "Klimek fit",
    "fm": "finite mixture",
    "shpilkin": "Shpilkin's excess votes",
}


def estimate_vs_truth(rows: pd.DataFrame):
    """One panel per estimator: each election's estimate (dot) and interval (bar) against its truth.

    Scenarios are colours; the diagonal is an unbiased estimate. Panels where the truth is a
    share of stations (Klimek, mixture) are on the share scale, Shpilkin's in votes.
    """
    names = list(dict.fromkeys(rows["estimator"]))
    scenarios = list(dict.fromkeys(rows["scenario"]))
    colours = dict(zip(scenarios, plt.rcParams["axes.prop_cycle"].by_key()["color"] * 3))
    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names), 4.4), squeeze=False)
    for ax, name in zip(axes[0], names):
        data = rows[rows["estimator"] == name]
        # Elections of one scenario share a truth (fi, fe): a small spread keeps their bars apart.
        span = max(float(np.nanmax(data["truth"])) - float(np.nanmin(data["truth"])), 1e-9)
        for scen in scenarios:
            g = data[data["scenario"] == scen]
            if g.empty:
                continue
            jitter = (np.arange(len(g)) - (len(g) - 1) / 2) * 0.01 * span
            x = g["truth"].to_numpy(float) + jitter
            y = g["estimate"].to_numpy(float)
            lo = np.where(np.isfinite(g["low"]), y - g["low"], 0.0)
            hi = np.where(np.isfinite(g["high"]), g["high"] - y, 0.0)
            ax.errorbar(x, y, yerr=[np.maximum(lo, 0), np.maximum(hi, 0)], fmt="o", ms=4, capsize=2, lw=1,
                        color=colours[scen], label=f"{scen} ({g['quantity'].iloc[0]})")  # fmt: skip
        finite = np.r_[data["truth"], data["estimate"]].astype(float)
        finite = finite[np.isfinite(finite)]
        if finite.size:
            lim = (min(finite.min(), 0.0), finite.max() * 1.05 + 1e-12)
            ax.plot(lim, lim, color="0.5", lw=1, ls="--", zorder=0)
        ax.set_title(ESTIMATOR_TITLES.get(name, name))
        ax.set_xlabel("truth (injected)")
        ax.set_ylabel("estimate with its interval")
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    label_synthetic(fig)
    return fig
