"""Kazakhstan 2011 figures: vote share by region (dot plot) and the four candidates nationally.

The functions draw tables computed by ``analysis.data.kz2011`` (``vote_share_by_region``,
``national_votes``); they compute nothing themselves.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from analysis.report.plotting import CONTROL_COLOR, ELECTION_COLOR, PALETTE

CANDIDATE_COLORS = {
    "Nazarbayev": ELECTION_COLOR,
    "Kasymov": CONTROL_COLOR,
    "Akhmetbekov": "#c51b7d",
    "Yeleusizov": PALETTE[2],
}
DEFAULT_TITLE = "Kazakhstan, early presidential election, 3 April 2011"


def plot_vote_share_by_region(shares: pd.DataFrame, leader: str = "Nazarbayev", title: str = DEFAULT_TITLE):
    """Dot plot of each candidate's share of the region's valid votes.

    ``shares``: columns ``region``, ``candidate``, ``share_pct`` (one row per region and
    candidate). The leader gets its own panel because its share (~90-98 %) and the others'
    (~0.5-4 %) differ by two orders of magnitude. Regions are ordered by the leader's share.
    """
    lead = shares[shares["candidate"] == leader].sort_values(["share_pct", "region"], ascending=[True, False])
    order = list(lead["region"])
    ypos = {r: i for i, r in enumerate(order)}
    others = [c for c in CANDIDATE_COLORS if c != leader and c in set(shares["candidate"])]
    others += sorted(set(shares["candidate"]) - set(others) - {leader})

    fig, (ax_lead, ax_rest) = plt.subplots(
        1, 2, figsize=(11, 0.32 * len(order) + 1.8), sharey=True, gridspec_kw={"width_ratios": [1, 1.3]}
    )
    ax_lead.scatter(
        lead["share_pct"],
        [ypos[r] for r in lead["region"]],
        color=CANDIDATE_COLORS.get(leader, "k"),
        s=36,
        label=leader,
        zorder=3,
    )
    ax_lead.set_xlabel(f"{leader}: share of the region's valid votes (%)")
    ax_lead.set_title(leader)
    for cand in others:
        sub = shares[shares["candidate"] == cand]
        ax_rest.scatter(
            sub["share_pct"],
            [ypos[r] for r in sub["region"]],
            color=CANDIDATE_COLORS.get(cand),
            s=30,
            label=cand,
            zorder=3,
        )
    ax_rest.set_xlabel("share of the region's valid votes (%)")
    ax_rest.set_title("Other candidates")
    ax_rest.set_xlim(left=0)
    ax_rest.legend(loc="upper right", frameon=True, fontsize=9, title="candidate")
    ax_lead.set_yticks(range(len(order)))
    ax_lead.set_yticklabels(order)
    ax_lead.set_ylabel("region (ordered by the leader's share)")
    fig.suptitle(f"{title}\nVote share by region (official results, OSCE/ODIHR final report annex)", fontsize=11)
    fig.tight_layout()
    return fig


def plot_national_candidates(national: pd.DataFrame, title: str = DEFAULT_TITLE):
    """Horizontal bars of each candidate's national share of valid votes, labelled with votes.

    ``national``: columns ``candidate``, ``votes``, ``share_pct``.
    """
    df = national.sort_values("share_pct", ascending=True)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    colors = [CANDIDATE_COLORS.get(c, "grey") for c in df["candidate"]]
    ax.barh(df["candidate"], df["share_pct"], color=colors)
    for y, (votes, share) in enumerate(zip(df["votes"], df["share_pct"])):
        ax.text(share + 1, y, f"{share:.2f} %  ({int(votes):,} votes)", va="center", fontsize=9)
    ax.set_xlim(0, 118)
    ax.set_xlabel("share of national valid votes (%)")
    ax.set_ylabel("candidate")
    ax.set_title(f"{title}\nThe four candidates nationally (sum of the 16 regions)", fontsize=11)
    fig.tight_layout()
    return fig
