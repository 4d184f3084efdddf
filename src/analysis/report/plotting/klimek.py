"""Figures of the Klimek fraud-model fit: observed, fitted and their difference.

The function takes a :class:`analysis.stats.klimek.KlimekFitResult`; it computes nothing
statistical.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import SymLogNorm

from analysis.report.plotting import label_synthetic


def klimek_fingerprints(fit, title: str, synthetic: bool = False):
    """Observed and fitted fingerprints (turnout × leader share) and observed − fitted, on one
    colour scale (symmetric-log, so the comet's sparse bins and the peak both show)."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.8), sharey=True, layout="constrained")
    diff = fit.observed - fit.fitted
    vmax = float(max(fit.observed.max(), fit.fitted.max(), np.abs(diff).max()))
    positive = np.concatenate([fit.observed.ravel(), fit.fitted.ravel()])
    positive = positive[positive > 0]
    linthresh = max(float(positive.min()) if positive.size else 1e-5, vmax * 1e-3)
    norm = SymLogNorm(linthresh=linthresh, vmin=-vmax, vmax=vmax, base=10)
    panels = ((fit.observed, "observed"), (fit.fitted, "fitted model"), (diff, "observed − fitted"))
    for ax, (hist, name) in zip(axes, panels):
        im = ax.imshow(hist.T, origin="lower", extent=(0, 100, 0, 100), norm=norm, cmap="RdBu_r", aspect="auto")
        ax.set_xlabel("turnout (%)")
        ax.set_title(name)
    axes[0].set_ylabel("leader share (%)")
    fig.colorbar(im, ax=axes, label="share of stations (difference: blue = fewer observed than fitted)")
    fig.suptitle(
        f"{title}\nKlimek fit fi = {fit.fi:.3f}, fe = {fit.fe:.4f}, α = {fit.alpha:.2f}, θ = {fit.theta:.2f} "
        f"(Hellinger² = {fit.distance:.4f}, {fit.n_stations:,} stations; honest peak: {fit.honest_model})",
        fontsize=10,
    )
    if synthetic:
        label_synthetic(fig)
    return fig
