"""Readable figure texts: election names instead of ids, Cyrillic names transliterated beside the original."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from analysis.report.plotting import labels, save_figure  # noqa: E402


def test_transliteration_follows_the_wikipedia_romanisation():
    # hand-checked against the Wikipedia system: й -> y, х -> kh, я -> ya, ц -> ts, ий -> y (ending)
    assert labels.transliterate("Хабаровский край") == "Khabarovsky kray"
    assert labels.transliterate("Ямало-Ненецкий автономный округ") == "Yamalo-Nenetsky avtonomny okrug"
    assert labels.transliterate("Пенза") == "Penza"
    assert labels.region_label("Mazowieckie") == "Mazowieckie"


def test_saved_figure_shows_names_not_ids(tmp_path):
    fig, ax = plt.subplots()
    ax.barh(["Москва", "Пенза"], [2, 1])
    ax.set_title("ru2011 beside pl2020r1")
    ax.plot([0, 1], [0, 1], label="kz2011")
    ax.legend()
    save_figure(fig, "ru2011", "nb", "x", root=tmp_path)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "Russia 2011 (Duma) beside Poland 2020, round 1" in texts
    assert "Kazakhstan 2011" in texts
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Moskva (Москва)", "Penza (Пенза)"]
    svg = (tmp_path / "ru2011" / "nb__x.svg").read_text()
    assert "Moskva (Москва)" in svg and "ru2011" not in svg
    plt.close(fig)


def test_scenario_names_and_file_names_are_left_alone():
    assert labels.readable_text("ru2011-like, 30 elections") == "ru2011-like, 30 elections"
    assert labels.readable_text("ru2011copy") == "ru2011copy"


def test_rozenas_figure_names_the_ballots_the_share_is_of():
    # notebook 12 plots t = valid ballots; the axis said "valid + invalid" whatever t was
    import numpy as np
    import pytest

    from analysis.report.plotting import digits as dplot
    from analysis.stats import spikes

    rng = np.random.default_rng(3)
    registered = rng.integers(300, 2000, 600)
    ballots = rng.binomial(registered, 0.6)
    result = spikes.rozenas_spikes(
        rng.binomial(ballots, 0.45), ballots, registered, n_resamples=8, max_components=1, seed=5
    )
    for total, words in (("valid", "% of valid ballots"), ("counted", "% of valid + invalid ballots")):
        fig = dplot.plot_rozenas(result, "t", total=total)
        assert words in fig.axes[0].get_xlabel()
        plt.close(fig)
    with pytest.raises(ValueError, match="total='cast'"):
        dplot.plot_rozenas(result, "t", total="cast")
