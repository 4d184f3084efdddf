"""The index page and a report view, loaded in headless Chromium (issue: checked in a real browser).

Builds a small reports tree (two elections' results, one executed notebook rendered as full
notebook and report view, a figure) and asserts: no console errors, every link and image
resolves, the verdict table has one row per configured test. Skipped, with the reason, only
where Chromium or its driver is not installed (.ci/run installs them).
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

from analysis.core.results import write_results  # noqa: E402
from analysis.report import browser, index, verdicts  # noqa: E402
from analysis.report.render import export_html  # noqa: E402

pytestmark = pytest.mark.skipif(
    browser.find_browser() is None, reason="Chromium not installed (apt-get install chromium chromium-driver)"
)


def _reports(tmp_path):
    reports = tmp_path / "reports"
    write_results(
        "ru2011",
        "06_integer_spikes",
        {
            "integer_observed_either": 17803,
            "integer_exact_pvalue_either": 2e-18,
            "integer_excess_either": 1006.7,
            "integer_null_sd_either": 109.3,
        },
        root=reports / "results",
    )
    write_results(
        "pl2020r1",
        "06_integer_spikes",
        {"integer_observed_either": 900, "integer_exact_pvalue_either": 0.58},
        root=reports / "results",
    )
    folder = reports / "notebooks" / "ru2011"
    folder.mkdir(parents=True)
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Integer percentages\n\n**Question:** Too many round percentages?"),
            new_code_cell(
                "print('17,803 stations')", outputs=[new_output("stream", name="stdout", text="17,803 stations\n")]
            ),
        ]
    )
    nbformat.write(nb, folder / "06_integer_spikes.ipynb")
    export_html(folder / "06_integer_spikes.ipynb")
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    (reports / "figures" / "ru2011").mkdir(parents=True)
    fig.savefig(reports / "figures" / "ru2011" / "06_integer_spikes__histogram.png")
    fig.savefig(reports / "figures" / "ru2011" / "06_integer_spikes__histogram.svg")
    plt.close(fig)
    (reports / "index.html").write_text(index.build_index(reports), encoding="utf-8")
    return reports


def test_index_and_report_view_in_chromium(tmp_path):
    reports = _reports(tmp_path)
    pages = browser.report_pages(reports)
    assert [p.name for p in pages] == ["index.html", "06_integer_spikes.report.html"]
    shots = {pages[0].resolve(): tmp_path / "shots" / "index.png", pages[1].resolve(): tmp_path / "shots" / "view.png"}
    checks = browser.check_pages(pages, shots)
    for check in checks:
        assert check.ok, check.problems()
        assert check.screenshot.stat().st_size > 10_000  # a real picture, not a blank file
    n_tests = len(verdicts.load_specs())
    assert checks[0].verdict_rows == {"verdicts-ru2011": n_tests, "verdicts-pl2020r1": n_tests}


def test_the_check_catches_broken_pages(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><body><a href="missing.html">x</a><a href="#nowhere">y</a>'
        '<img src="nope.png"><script>console.error("boom")</script></body></html>'
    )
    (check,) = browser.check_pages([page])
    assert not check.ok
    assert any("boom" in m for m in check.console_errors)
    assert any(u.endswith("missing.html") for u in check.broken_links)
    assert any(u.endswith("#nowhere") for u in check.broken_links)
    assert any(u.endswith("nope.png") for u in check.broken_images)


def test_lazy_images_below_the_fold_are_loaded_before_judging(tmp_path):
    fig, ax = plt.subplots(figsize=(2, 2))
    fig.savefig(tmp_path / "ok.png")
    plt.close(fig)
    page = tmp_path / "tall.html"
    page.write_text('<html><body><div style="height:6000px">tall</div><img loading="lazy" src="ok.png"></body></html>')
    (check,) = browser.check_pages([page])
    assert check.ok, check.problems()
