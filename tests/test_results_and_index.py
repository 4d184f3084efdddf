import json
import math

import numpy as np
import pytest

from analysis.core.results import add_results, failure_reason, mark_failed, read_results, write_results
from analysis.report import index


def test_write_results_is_flat_sorted_and_plain(tmp_path):
    path = write_results(
        "e", "nb", {"b": np.int64(3), "a": np.float64(0.5), "c": "text", "d": float("nan")}, root=tmp_path
    )
    text = path.read_text()
    assert list(json.loads(text)) == ["a", "b", "c", "d"]
    assert read_results("e", "nb", root=tmp_path) == {"a": 0.5, "b": 3, "c": "text", "d": None}
    again = write_results("e", "nb", {"d": float("nan"), "c": "text", "a": 0.5, "b": 3}, root=tmp_path)
    assert again.read_text() == text


def test_write_results_rejects_nested_values(tmp_path):
    with pytest.raises(TypeError, match="'x'"):
        write_results("e", "nb", {"x": [1, 2]}, root=tmp_path)


def test_format_value():
    assert index.format_value(9200298) == "9,200,298"
    assert index.format_value(0.8998873) == "0.8999"
    assert index.format_value(None) == "—"
    assert index.format_value(math.nan) == "—"
    assert index.format_value(1.2e-5) == "1.2e-05"


def test_index_lists_numbers_questions_links_and_skips(tmp_path):
    reports = tmp_path
    write_results("ru2011", "02_protocols", {"fail_boxes_gt_issued": 18}, root=reports / "results")
    write_results(
        "pl2020r1",
        "02_protocols",
        {"status": "skipped", "reason": "no mirror: set ELECTION_DATA_MIRROR"},
        root=reports / "results",
    )
    (reports / "notebooks" / "ru2011").mkdir(parents=True)
    (reports / "notebooks" / "ru2011" / "02_protocols.html").write_text("<html></html>")
    (reports / "figures" / "ru2011").mkdir(parents=True)
    (reports / "figures" / "ru2011" / "02_protocols__discrepancies.png").write_bytes(b"png")
    page = index.build_index(reports)
    assert "fail_boxes_gt_issued" in page and ">18<" in page
    assert 'href="notebooks/ru2011/02_protocols.html"' in page
    assert 'src="figures/ru2011/02_protocols__discrepancies.png"' in page
    assert "Skipped: no mirror: set ELECTION_DATA_MIRROR" in page
    assert page.index('id="ru2011"') < page.index('id="pl2020r1"')  # configured order


def test_add_results_adds_keys_but_never_changes_a_number(tmp_path):
    write_results("e", "nb", {"b": 2, "a": 1}, root=tmp_path)
    add_results("e", "nb", {"provenance_x": "y", "a": 1}, root=tmp_path)
    path = tmp_path / "e" / "nb.json"
    assert list(json.loads(path.read_text())) == ["a", "b", "provenance_x"]
    with pytest.raises(ValueError, match="key\\(s\\) b already hold other values"):
        add_results("e", "nb", {"b": 3}, root=tmp_path)
    assert read_results("e", "nb", root=tmp_path)["b"] == 2


def test_failure_marker_replaces_the_results_until_the_next_results(tmp_path):
    write_results("e", "nb", {"a": 1}, root=tmp_path)
    mark_failed("e", "nb", "e/nb failed in cell 3: ValueError: x", root=tmp_path)
    assert not (tmp_path / "e" / "nb.json").exists()
    assert failure_reason("e", "nb", root=tmp_path) == "e/nb failed in cell 3: ValueError: x"
    write_results("e", "nb", {"a": 2}, root=tmp_path)  # a later run's results clear the marker
    assert failure_reason("e", "nb", root=tmp_path) is None


def _with_provenance(numbers: dict, parameters: dict, nondefault: str = "") -> dict:
    return {
        **numbers,
        "provenance_parameters": json.dumps(parameters, sort_keys=True),
        "provenance_parameters_nondefault": nondefault,
        "provenance_git_commit": "0123456789abcdef0123456789abcdef01234567",
        "provenance_git_dirty": True,
        "provenance_dataset_sha256": "fd8aeceeebe92664872cf6fcaa43a11c2bf3f4914d9667bbd9bf2df6972cbd8f",
    }


def test_index_marks_parameters_off_the_defaults_and_off_the_rest_of_the_page(tmp_path):
    results = tmp_path / "results"
    usual = {"alpha": 0.05, "seed": 20110403, "n_sims": 499}
    write_results("ru2011", "05_digits", _with_provenance({"x": 1}, {**usual, "election": "ru2011"}), root=results)
    write_results(
        "kz2011", "05r_kz2011_digits", _with_provenance({"x": 2}, {**usual, "election": "kz2011"}), root=results
    )
    odd = {**usual, "alpha": 0.01, "n_sims": 99, "election": "pl2020r1"}
    write_results("pl2020r1", "05_digits", _with_provenance({"x": 3}, odd, "alpha,n_sims"), root=results)
    page = index.build_index(tmp_path)
    assert "Run with non-default parameters: alpha=0.01, n_sims=99" in page
    assert page.count("Run with non-default parameters") == 1
    top = page[: page.index('id="overview-heading"')]
    assert "Results on this page were made with different parameters" in top
    # alpha is shared: compared across all three; n_sims is 05_digits' own: compared with ru2011's 05_digits
    assert '<code>alpha</code> = 0.01 in <a href="#pl2020r1-05_digits">pl2020r1/05_digits</a> (elsewhere 0.05)' in top
    assert '<code>n_sims</code> = 99 in <a href="#pl2020r1-05_digits">pl2020r1/05_digits</a> (elsewhere 499)' in top
    assert "<code>seed</code>" not in top and "<code>election</code>" not in top
    # provenance keys are collapsed apart from the key numbers
    assert "How these results were made: commit 0123456789 with uncommitted changes" in page
    assert "1 key numbers" in page


def test_index_without_differences_has_no_parameter_note(tmp_path):
    params = {"alpha": 0.05, "election": "ru2011"}
    write_results("ru2011", "05_digits", _with_provenance({"x": 1}, params), root=tmp_path / "results")
    page = index.build_index(tmp_path)
    assert "different parameters" not in page and "non-default parameters" not in page
    write_results("pl2020r1", "05_digits", {"x": 1}, root=tmp_path / "results")  # written outside the pipeline
    assert "No provenance recorded" in index.build_index(tmp_path)


def test_index_shows_failed_runs_and_their_tests(tmp_path):
    results = tmp_path / "results"
    write_results("ru2011", "03_distributions", {"alpha": 0.05}, root=results)
    mark_failed("ru2011", "04_full_turnout", "ru2011/04_full_turnout interrupted: KeyboardInterrupt: ", root=results)
    page = index.build_index(tmp_path)
    assert "1 run(s) failed or were interrupted" in page
    assert 'class="entry failed" id="ru2011-04_full_turnout"' in page
    assert "Run failed: ru2011/04_full_turnout interrupted" in page
    row = page[page.index('<tr data-test="turnout_100_excess"') :]
    assert "run failed" in row[: row.index("</tr>")]  # not "n/a": the test applies, its run failed
