"""Report view: the same executed notebook rendered with code hidden, linked to the full notebook."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.report.render import export_html, report_view_path


def _executed(tmp_path):
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# A title\n\n**Question:** Was it clean?"),
        new_code_cell(
            "secret_variable_name = 41 + 1\nprint(secret_variable_name)",
            outputs=[
                new_output("stream", name="stdout", text="42 stations at 100 %\n"),
                new_output("stream", name="stderr", text="DeprecationWarning: noise\n"),
            ],
            execution_count=1,
            metadata={"execution": {"iopub.execute_input": "2026-11-30T10:00:00Z"}},
        ),
        new_markdown_cell("## Conclusions"),
    ]
    path = tmp_path / "05_digits.ipynb"
    nbformat.write(nb, path)
    return path


def test_report_view_hides_code_and_links_both_ways(tmp_path):
    full, report = export_html(_executed(tmp_path))
    assert report == report_view_path(tmp_path / "05_digits.ipynb") == tmp_path / "05_digits.report.html"
    full_html, report_html = full.read_text(), report.read_text()
    assert "secret_variable_name" in full_html
    assert "secret_variable_name" not in report_html
    assert "42 stations at 100 %" in report_html and "Was it clean?" in report_html
    assert "DeprecationWarning" not in report_html
    assert 'href="05_digits.html"' in report_html and 'href="05_digits.report.html"' in full_html


def test_rendering_is_deterministic(tmp_path):
    path = _executed(tmp_path)
    first = [p.read_bytes() for p in export_html(path)]
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["execution"]["iopub.execute_input"] = "2027-01-01T00:00:00Z"  # a later run
    nbformat.write(nb, path)
    assert [p.read_bytes() for p in export_html(path)] == first


def test_pages_fetch_nothing_from_the_internet(tmp_path):
    for page in export_html(_executed(tmp_path)):
        text = page.read_text()
        assert "cdnjs" not in text and 'src="http' not in text, page
