"""Figures of the finite-mixture fraud model: observed vs fitted fingerprint, posterior map."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm


def fingerprint_posterior(observed, fitted, posterior_map, fit, title: str):
    """Three panels on the turnout × leader-share square: the observed fingerprint (share of
    stations per cell), the fitted model's cell probabilities (same log colour scale), and the
    mean posterior probability of fraud (incremental + extreme) of the stations in each cell.

    Parameters
    ----------
    observed, fitted : numpy.ndarray
        ``bins`` × ``bins`` cell shares (rows: turnout, columns: leader share), each summing to 1.
    posterior_map : numpy.ndarray
        Mean posterior fraud probability per cell (NaN where no station).
    fit : FraudMixtureResult
        The fit (for the title).
    title : str
        Figure title (the election).
    """
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), sharey=True, layout="constrained")
    both = np.concatenate([observed.ravel(), fitted.ravel()])
    pos = both[both > 0]
    norm = LogNorm(vmin=max(pos.min(), pos.max() * 1e-5), vmax=pos.max()) if pos.size else None
    extent = (0, 100, 0, 100)
    for ax, hist, name in ((axes[0], observed, "observed"), (axes[1], fitted, "fitted mixture")):
        im = ax.imshow(
            np.ma.masked_less_equal(hist.T, 0), origin="lower", extent=extent, norm=norm, cmap="viridis", aspect="auto"
        )
        ax.set_title(name)
    fig.colorbar(im, ax=axes[:2], label="share of stations", shrink=0.9)
    pm = axes[2].imshow(
        np.ma.masked_invalid(posterior_map.T),
        origin="lower",
        extent=extent,
        vmin=0,
        vmax=1,
        cmap="magma_r",
        aspect="auto",
    )
    axes[2].set_title("posterior P(fraud) of the stations")
    fig.colorbar(pm, ax=axes[2], label="mean P(incremental or extreme)", shrink=0.9)
    for ax in axes:
        ax.set_xlabel("turnout (%)")
    axes[0].set_ylabel("leader share (%)")
    fig.suptitle(
        f"{title}\nfinite mixture (ML): fi = {fit.fi:.3f}, fe = {fit.fe:.4f}, α = {fit.alpha:.2f}, "
        f"θ = {fit.theta:.3f} ({fit.n_stations:,} stations)",
        fontsize=10,
    )
    return fig
