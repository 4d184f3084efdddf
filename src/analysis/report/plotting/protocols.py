"""Figures of the protocol arithmetic checks (``analysis.stats.protocols`` results; nothing recomputed here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from analysis.report.plotting import filled_stairs, plt, power_of_ten_label
from analysis.stats.protocols import IDENTITIES


def _identity_titles():
    return [(i.name, i.formula, i.kind) for i in IDENTITIES]


def plot_discrepancies(checks, election_title: str):
    """Histogram of the non-zero discrepancies of every identity (symmetric log x axis)."""
    idents = _identity_titles()
    ncols = 4
    nrows = int(np.ceil(len(idents) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax, (name, formula, kind) in zip(axes.flat, idents):
        failed = checks.failed[name].fillna(False).to_numpy(dtype=bool)
        d = checks.discrepancy[name].to_numpy(dtype=float, na_value=np.nan)[failed]
        n_eval = int(checks.failed[name].notna().sum())
        ax.set_title(f"{formula}\n{failed.sum():,} of {n_eval:,} evaluable stations fail", fontsize=8)
        ax.set_xlabel("left − right side (ballots)" if kind == "equality" else "excess (ballots)", fontsize=8)
        ax.set_ylabel("stations")
        if n_eval == 0 or not failed.any():
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        if n_eval == 0:
            ax.text(
                0.5,
                0.5,
                "not evaluable:\nthe source lacks these lines",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            continue
        if d.size == 0:
            ax.text(0.5, 0.5, "no station fails", ha="center", va="center", transform=ax.transAxes)
            continue
        lim = max(1.0, float(np.abs(d).max()))
        edges = np.unique(
            np.concatenate(
                [-np.logspace(0, np.log10(lim) + 0.01, 15)[::-1], [-0.5, 0.5], np.logspace(0, np.log10(lim) + 0.01, 15)]
            )
        )
        counts, _ = np.histogram(d, bins=edges)  # one filled step, not a bar patch per bin
        filled_stairs(ax, counts, edges, facecolor="tab:red", alpha=0.8)
        ax.set_xscale("symlog", linthresh=1)
        ax.xaxis.set_major_formatter(FuncFormatter(power_of_ten_label))
    for ax in list(axes.flat)[len(idents) :]:
        ax.axis("off")
    fig.suptitle(
        f"{election_title}: protocol arithmetic, distribution of discrepancies at failing stations", fontsize=11
    )
    fig.tight_layout()
    return fig


def plot_region_failure_rates(by_region: pd.DataFrame, election_title: str, max_regions: int = 25):
    """Failure rate by region for every identity that fails somewhere (the regions with most failures)."""
    names = [n for n, _, _ in _identity_titles() if by_region.loc[by_region["identity"] == n, "n_failed"].sum() > 0]
    formulas = {n: f for n, f, _ in _identity_titles()}
    if not names:
        fig, ax = plt.subplots(figsize=(7, 2.5))
        ax.axis("off")
        ax.text(0.5, 0.5, f"{election_title}: no station fails any protocol identity", ha="center", va="center")
        return fig
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 0.28 * max_regions + 1.8), squeeze=False)
    for ax, name in zip(axes.flat, names):
        sub = by_region[(by_region["identity"] == name) & (by_region["n_failed"] > 0)]
        sub = sub.sort_values(["n_failed", "region"], ascending=[False, True], kind="mergesort").head(max_regions)
        sub = sub.iloc[::-1]
        ax.barh(sub["region"].astype(str), 100 * sub["fail_rate"].astype(float), color="tab:red", alpha=0.8)
        for y, (rate, n) in enumerate(zip(sub["fail_rate"], sub["n_failed"])):
            ax.text(100 * float(rate), y, f" {int(n)}", va="center", fontsize=7)
        ax.set_xlabel("stations failing (% of evaluable)")
        ax.set_title(formulas[name], fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    fig.suptitle(
        f"{election_title}: protocol failures by region\n(regions with failures, at most {max_regions}, most failing stations first; labels = stations)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def plot_dec_vs_pec(comparison, election_title: str = "Kazakhstan 2011"):
    """Footnote 121: DEC summary − PEC protocol, per PEC and item, with the net shift to the incumbent."""
    items = comparison.items
    stations = comparison.stations
    order = list(
        dict.fromkeys(
            sorted(
                items["item"].astype(str), key=lambda s: (s in ("invalid", "cancelled"), s != comparison.incumbent, s)
            )
        )
    )
    fig, ax = plt.subplots(figsize=(max(7, 1.9 * len(stations) + 2), 4.5))
    width = 0.8 / max(1, len(order))
    fixed = {comparison.incumbent: "tab:blue", "invalid": "dimgray", "cancelled": "silver"}
    colors = {it: fixed.get(it) for it in order}
    cmap = plt.get_cmap("Oranges")
    others = [it for it in order if colors[it] is None]
    for k, it in enumerate(others):
        colors[it] = cmap(0.45 + 0.5 * k / max(1, len(others) - 1))
    labels = [f"PEC {p}\n{d}" for p, d in zip(stations["pec"], stations["dec"])]
    for j, it in enumerate(order):
        vals = []
        for p, d in zip(stations["pec"], stations["dec"]):
            row = items[
                (items["pec"].astype(str) == p) & (items["dec"].astype(str) == d) & (items["item"].astype(str) == it)
            ]
            v = row["difference"].iloc[0] if len(row) else pd.NA
            vals.append(np.nan if pd.isna(v) else float(v))
        x = np.arange(len(stations)) + (j - (len(order) - 1) / 2) * width
        ax.bar(x, vals, width=width, color=colors[it], label=it, edgecolor="black", linewidth=0.3)
        for xi, v in zip(x, vals):
            if v == 0:  # a zero difference would otherwise look like a missing figure
                ax.text(xi, 0, "0", ha="center", va="bottom", fontsize=7, color=colors[it])
    for i, shift in enumerate(stations["net_shift"]):
        if not pd.isna(shift):
            ax.text(
                i,
                0.03,
                f"net shift to {comparison.incumbent}:\n{shift:+,.0f} votes",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
                color="tab:blue",
                weight="bold",
            )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(stations)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("DEC summary − PEC protocol (votes / ballots)")
    ax.set_title(
        f"{election_title}: DEC summaries vs PEC protocols obtained by observers (OSCE/ODIHR, footnote 121)\n"
        "no bar = the report gives no figure",
        fontsize=10,
    )
    ax.legend(fontsize=8, ncol=3, loc="upper left")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 0.25 * (hi - lo), hi + 0.15 * (hi - lo))
    fig.tight_layout()
    return fig


def plot_review_vs_reference(review: pd.DataFrame, reference_label: str, election_title: str = "Kazakhstan 2011"):
    """Share of reviewed PEC protocols failing each formula, beside the rate on a reference election."""
    import textwrap

    sub = review[review["level"] == "PEC"].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(10, 0.9 * len(sub) + 2.2))
    y = np.arange(len(sub))
    ax.barh(
        y - 0.2,
        100 * sub["fail_rate"].astype(float),
        height=0.4,
        color="tab:red",
        label=f"{election_title}: PEC protocols reviewed by observers",
    )
    ref = 100 * sub["reference_rate"].astype(float)
    ax.barh(
        y + 0.2, ref.fillna(0), height=0.4, color="tab:gray", label=f"{reference_label}: all stations, same identity"
    )
    for yi, (r, n, nrev) in enumerate(zip(ref, sub["n_failed"], sub["n_reviewed"])):
        ax.text(
            0 if pd.isna(r) else r,
            yi + 0.2,
            " no counterpart in its protocol" if pd.isna(r) else f" {r:.2f} %",
            va="center",
            fontsize=7,
        )
        ax.text(100 * float(n) / float(nrev), yi - 0.2, f" {int(n)} of {int(nrev)}", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels(["\n".join(textwrap.wrap(str(f), 48)) for f in sub["formula"]], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("protocols failing (%)")
    ax.set_title(
        f"Protocol arithmetic failures: {election_title} (observers' review)\nvs {reference_label} (all stations)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1, frameon=False)
    fig.tight_layout()
    return fig
