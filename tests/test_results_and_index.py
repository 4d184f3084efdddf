import json
import math

import numpy as np
import pytest

from analysis.core.results import read_results, write_results
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
