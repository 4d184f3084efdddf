"""Figure of Shpilkin's estimate: the leader's and the others' votes by turnout, and the clean curve.

The function takes a :class:`analysis.stats.shpilkin.ShpilkinResult`; it computes nothing
statistical.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from analysis.report.plotting import label_synthetic


def shpilkin_curves(result, title: str, leader: str = "leader", synthetic: bool = False):
    """Votes per turnout bin for the leader and the others, the leader's clean curve above the
    peak, and the excess shaded between them."""
    edges = 100 * result.bin_edges
    centres = 0.5 * (edges[:-1] + edges[1:])
    scale = 1.0 / (edges[1] - edges[0])  # votes per percentage point of turnout
    fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
    ax.plot(centres, scale * result.others_by_bin, color="tab:blue", lw=1.2, label="all other candidates")
    ax.plot(centres, scale * result.leader_by_bin, color="tab:red", lw=1.2, label=leader)
    above = centres > 100 * result.peak_turnout
    clean = np.where(above, scale * result.clean_leader_by_bin, np.nan)
    ax.plot(centres, clean, color="black", lw=1.2, ls="--", label=f"{leader}, clean (others × {result.peak_ratio:.2f})")
    ax.fill_between(
        centres, clean, scale * result.leader_by_bin, where=above, color="tab:red", alpha=0.25, label="excess (signed)"
    )
    ax.axvline(100 * result.peak_turnout, color="grey", lw=1, ls=":", label="clean turnout peak")
    ax.set_xlim(0, 100)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("turnout (%)")
    ax.set_ylabel("votes per 1 % of turnout")
    lo, hi = result.excess_votes_low, result.excess_votes_high
    ci = f" [{lo / 1e6:.2f}, {hi / 1e6:.2f}] M" if np.isfinite(lo) else ""
    ax.set_title(
        f"{title}\nShpilkin's excess: {result.excess_votes / 1e6:.2f} M votes{ci}; leader's share "
        f"{100 * result.leader_share:.1f} % observed, {100 * result.clean_share:.1f} % clean",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper right")
    if synthetic:
        label_synthetic(fig)
    return fig
