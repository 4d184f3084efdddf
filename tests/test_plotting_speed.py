"""The cheaper drawing paths of analysis.report.plotting draw what matplotlib's own calls draw."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from analysis.report.plotting import filled_stairs, save_figure  # noqa: E402


def _limits(ax):
    ax.figure.canvas.draw()
    return np.r_[ax.dataLim.bounds, ax.get_xlim(), ax.get_ylim()]


def test_filled_stairs_has_the_limits_of_ax_stairs():
    values, edges = np.array([3.0, 0.0, 7.5, 2.0]), np.array([-40.0, -1.0, 0.5, 20.0, 900.0])
    for baseline, scale in ((0.0, "linear"), (-2.0, "linear"), (0.0, "symlog")):
        fig, (ours, theirs) = plt.subplots(1, 2)
        filled_stairs(ours, values, edges, baseline=baseline, facecolor="C0")
        theirs.stairs(values, edges, baseline=baseline, fill=True, color="C0", linewidth=0)
        for ax in (ours, theirs):
            ax.set_xscale(scale)  # after the step, as the notebooks' figures do: the view follows lazily
        np.testing.assert_allclose(_limits(ours), _limits(theirs), rtol=1e-12)
        plt.close(fig)


def test_saved_png_is_the_tight_savefig(tmp_path):
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    axes[0].plot([0, 1], [0, 1000])
    axes[1].hist(np.arange(100) % 7, bins=7)
    axes[1].set_title("a title wider than its panel, to move the tight box")
    fig.suptitle("suptitle")
    fig.tight_layout()
    png, svg = save_figure(fig, "ru2011", "nb", "x", root=tmp_path)
    fig.savefig(tmp_path / "reference.png", bbox_inches="tight", metadata={"Software": None})
    assert png.read_bytes() == (tmp_path / "reference.png").read_bytes()
    assert svg.read_text().count("<svg") == 1
    plt.close(fig)
