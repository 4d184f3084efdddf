"""Figures of notebooks 05_digits and 06_integer_spikes.

Every function draws results computed by ``analysis.stats.digits`` / ``analysis.stats.spikes`` (digit
frequencies, Monte Carlo null statistics, 0.1-point histograms); the only arithmetic here is
display scaling (frequencies as shares). Panels are keyed by a label (the election's short
name), the election under study first, the control beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from analysis.report.notebook import fmt_p
from analysis.report.plotting import ELECTION_COLOR, NULL_COLOR, filled_stairs, series_colors
from analysis.stats.digits import BENFORD_SECOND, DigitTestResult


def plot_digit_frequencies(panels: Mapping[str, Mapping[str, DigitTestResult]], title: str):
    """Last-digit and second-digit frequencies against their textbook nulls.

    ``panels``: {label: {"last": last-digit chi-square result, "second": _2BL result}}; the
    results' ``digit_counts`` are drawn as shares, the uniform (0.1) and Benford
    second-digit probabilities as the reference.
    """
    labels = list(panels)
    fig, axes = plt.subplots(2, len(labels), figsize=(5.2 * len(labels), 6.4), squeeze=False)
    digits = np.arange(10)
    for j, (label, color) in enumerate(zip(labels, series_colors(len(labels)))):
        for i, (kind, null, null_name) in enumerate(
            (("last", np.full(10, 0.1), "uniform"), ("second", BENFORD_SECOND, "Benford"))
        ):
            ax = axes[i, j]
            r = panels[label].get(kind)
            if r is None or r.n_used == 0:
                ax.set_axis_off()
                continue
            share = r.digit_counts / r.digit_counts.sum()
            ax.bar(digits, share, color=color, alpha=0.85, label=f"observed (n = {r.n_used:,})")
            ax.plot(digits, null, "o--", color="black", ms=4, lw=1, label=f"{null_name} null")
            ax.set_xticks(digits)
            ax.set_ylim(0, max(share.max(), null.max()) * 1.25)
            ax.set_xlabel("last digit" if kind == "last" else "second significant digit")
            ax.set_ylabel("share of counts")
            ax.set_title(
                f"{label}: {kind} digit ({r.filter_applied})\n"
                f"textbook p = {fmt_p(r.pvalue, 2)}, size-aware p = {fmt_p(r.pvalue_sizeaware, 2)}",
                fontsize=9,
            )
            ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_null_distributions(panels: Mapping[str, tuple], title: str, ncols: int = 3):
    """Monte Carlo null distributions with the observed value.

    ``panels``: {panel title: (null draws, observed, x label)} or
    (null draws, observed, x label, extra) where ``extra`` is a dict of named reference
    values drawn as dotted lines (e.g. the exact null mean, the 99.9th percentile).
    """
    names = list(panels)
    ncols = min(ncols, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.8 * ncols, 3.4 * nrows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        draws, observed, xlabel, *rest = panels[name]
        extra = rest[0] if rest else {}
        draws = np.asarray(draws, dtype=float)
        draws = draws[np.isfinite(draws)]
        counts, edges = np.histogram(draws, bins=40)  # one filled step, not 40 bar patches
        filled_stairs(ax, counts, edges, facecolor=NULL_COLOR, alpha=0.8, label=f"null ({draws.size} draws)")
        ax.axvline(observed, color="crimson", lw=2, label=f"observed = {observed:,.4g}")
        for (label, value), style in zip(extra.items(), (":", "-.", "--")):
            ax.axvline(value, color="black", ls=style, lw=1, label=f"{label} = {value:,.4g}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("draws")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.set_axis_off()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_integer_histograms(panels: Mapping[str, Mapping[str, tuple]], title: str, xlim=(20, 100)):
    """Histograms of turnout and leader share at 0.1-point resolution, integer bins marked.

    ``panels``: {label: {"turnout" | "leader_share": (bin centres in %, counts)}}, as from
    :func:`analysis.stats.spikes.percentage_histogram`. Bins centred on an integer percentage are
    drawn dark, the others light, so integer spikes stand out.
    """
    labels = list(panels)
    variables = [v for v in ("turnout", "leader_share") if any(v in p for p in panels.values())]
    fig, axes = plt.subplots(
        len(variables), len(labels), figsize=(6.5 * len(labels), 3.2 * len(variables)), squeeze=False
    )
    names = {"turnout": "Turnout (%)", "leader_share": "Leader's share of valid + invalid ballots (%)"}
    for j, (label, color) in enumerate(zip(labels, series_colors(len(labels)))):
        for i, var in enumerate(variables):
            ax = axes[i, j]
            if var not in panels[label]:
                ax.set_axis_off()
                continue
            centres, counts = panels[label][var]
            centres = np.asarray(centres)
            integer = np.isclose(centres, np.round(centres), atol=1e-9)
            ax.vlines(centres[~integer], 0, counts[~integer], color=color, alpha=0.35, lw=0.6)
            ax.vlines(
                centres[integer], 0, counts[integer], color="crimson", lw=0.9, label="bins centred on an integer %"
            )
            ax.set_xlim(*xlim)
            ax.set_xlabel(names[var])
            ax.set_ylabel("stations per 0.1-pt bin")
            ax.set_title(f"{label}: {var.replace('_', ' ')} ({int(np.sum(counts)):,} stations)", fontsize=10)
            ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


_SHARE_OF = {"counted": "valid + invalid", "valid": "valid"}  # Rozenas' t: the ballots the share is of


def plot_rozenas(result, title: str, xlim=(0, 100), total: str = "counted"):
    """Rozenas' RKD picture: the observed kernel density of the vote share against the upper
    envelope of the resampled densities, spike bins (observed above the envelope) marked.
    ``total``: the ballots the share is of (``"counted"``: valid + invalid, or ``"valid"``)."""
    if total not in _SHARE_OF:
        raise ValueError(f"total={total!r}: expected one of {', '.join(_SHARE_OF)}")
    fig, ax = plt.subplots(figsize=(11, 4))
    x = 100 * result.grid
    ax.plot(
        x,
        result.resampled_max,
        color=NULL_COLOR,
        lw=0.8,
        label=f"maximum over {result.n_resamples} resamples of the smooth null",
    )
    ax.plot(x, result.observed_density, color=ELECTION_COLOR, lw=0.8, label="observed")
    spikes_at = result.spike_bins
    ax.plot(
        x[spikes_at],
        result.observed_density[spikes_at],
        "v",
        color="crimson",
        ms=5,
        label=f"spike: observed above every resample ({int(spikes_at.sum())} points)",
    )
    ax.set_xlim(*xlim)
    ax.set_xlabel(f"leader's vote share (% of {_SHARE_OF[total]} ballots)")
    ax.set_ylabel(f"kernel density (bandwidth {result.bandwidth:.0e})")
    ax.set_title(
        f"{title}\nF = {result.spike_share_pct:.2f} % of {result.n_stations:,} stations in spikes "
        f"(excess over the resampled mean at the spike points)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
