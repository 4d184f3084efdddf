"""Messy input files: every case is a clear error naming file and row/column, or an explicit, counted decision.

Each test reproduces one case of issue 13 ("Trustworthy inputs …", items 1–6) that used to
pass silently or crash with a traceback naming no file; the null in each is "the adapter
reads the file as its catalog entry says, or refuses it", never a silent shift or loss.
"""

from __future__ import annotations

import pytest
from test_adapters import RU_ROWS, _pl_file, _ru_csv, _ru_entry

from analysis.data.adapters import generic_csv, pl_pkw, ru_cec
from analysis.data.adapters.reading import AdapterError

GENERIC_HEADER = "Reg;Dist;No;Voters;Issued;Bad;Good;A"
GENERIC_ENTRY = {
    "id": "g",
    "read": {"sep": ";"},
    "columns": {"region": "Reg", "district": "Dist", "station": "No", "registered": "Voters",
                "ballots_issued": "Issued", "invalid": "Bad", "valid": "Good"},
    "candidates": {"A": "Alice"},
    "station_type": "ordinary",
}


def _generic(tmp_path, *rows, header=GENERIC_HEADER, name="g.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _pl_lines(path):
    """The Polish test file as (BOM, header, data lines)."""
    text = path.read_bytes().decode("utf-8-sig")
    header, *lines = text.rstrip("\r\n").split("\r\n")
    return header, lines


def _pl_write(path, header, lines):
    path.write_bytes("\ufeff".encode() + ("\r\n".join([header, *lines]) + "\r\n").encode("utf-8"))


# ----------------------------------------------------------------------------- 1. trailing delimiter


def test_generic_trailing_delimiter_is_an_error_not_a_shift(tmp_path):
    # Before: pandas took the first column as the index and every value moved one column left
    # (region = district, station = registered, …), and the rows passed the schema.
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390;", "North;N1;2;300;200;0;200;200;")
    with pytest.raises(AdapterError, match=r"g\.csv: data row 1 \(file line 2\) has 9 fields but the header has 8 \(a trailing delimiter\?\); 2 such row"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


def test_generic_short_row_is_an_error(tmp_path):
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390", "North;N1;2;300;200;0;200")
    with pytest.raises(AdapterError, match=r"data row 2 \(file line 3\) has 7 fields but the header has 8"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


def test_pl_pkw_trailing_delimiter_is_an_error(tmp_path):
    path, entry = _pl_file(tmp_path)
    header, lines = _pl_lines(path)
    _pl_write(path, header, [lines[0], lines[1] + ";", lines[2]])
    with pytest.raises(AdapterError, match=r"pl\.csv: data row 2 \(file line 3\) has \d+ fields .*trailing delimiter"):
        pl_pkw.adapt(path, entry, "plX")


def test_ru_cec_trailing_delimiter_is_an_error(tmp_path):
    path = tmp_path / "ru.csv"
    lines = _ru_csv(RU_ROWS).decode("utf-8").splitlines()
    path.write_text("\n".join(lines[:2] + [lines[2] + ","] + lines[3:]) + "\n", encoding="utf-8")
    with pytest.raises(AdapterError, match=r"ru\.csv: data row 2 \(file line 3\) has 19 fields but the header has 18"):
        ru_cec.adapt(path, _ru_entry(), "ruX")


def test_quoted_newline_keeps_rows_and_lines_apart(tmp_path):
    # A quoted field spanning two lines is one row; an error further down names the right file line.
    path = _generic(tmp_path, 'North;"N1\nsecond line";1;500;400;10;390;390', "North;N1;2;300;x;0;200;200")
    with pytest.raises(AdapterError, match=r"data row 2 \(file line 4\), column 'Issued': 'x'"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


def test_duplicate_header_names_are_an_error(tmp_path):
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390", header="Reg;Dist;No;Voters;Issued;Bad;Good;Good")
    with pytest.raises(AdapterError, match=r"header names column\(s\) \['Good'\] more than once"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


# ----------------------------------------------------------------------------- 2. unlisted columns


def test_pl_pkw_candidate_missing_from_catalog_is_an_error_not_dropped(tmp_path):
    # Before: the votes of a candidate the catalog did not list vanished without a word.
    path, entry = _pl_file(tmp_path)
    entry = {**entry, "candidates": {k: v for k, v in entry["candidates"].items() if k != "Rafał Kazimierz TRZASKOWSKI"}}
    with pytest.raises(AdapterError, match=r"pl\.csv: column\(s\) \['Rafał Kazimierz TRZASKOWSKI'\] are not named in the catalog entry for plX"):
        pl_pkw.adapt(path, entry, "plX")
    # Listed under ignore: it is a deliberate, visible decision.
    out = pl_pkw.adapt(path, {**entry, "ignore": ["Rafał Kazimierz TRZASKOWSKI"]}, "plX")
    assert "Trzaskowski" not in set(out.votes["candidate"])


def test_generic_unlisted_column_is_an_error(tmp_path):
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;350;40", header=GENERIC_HEADER + ";B")
    with pytest.raises(AdapterError, match=r"column\(s\) \['B'\] are not named in the catalog entry for g"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")
    out = generic_csv.adapt(path, {**GENERIC_ENTRY, "ignore": ["B"]}, "g")
    assert list(out.votes["candidate"]) == ["Alice"]


def test_generic_empty_unnamed_last_column_passes(tmp_path):
    # A delimiter at the end of every line, the header's too: the unnamed column holds nothing.
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390;", header=GENERIC_HEADER + ";")
    assert len(generic_csv.adapt(path, GENERIC_ENTRY, "g").stations) == 1
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390;7", header=GENERIC_HEADER + ";")
    with pytest.raises(AdapterError, match=r"column\(s\) \[''\] are not named"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


def test_generic_extras_are_counts_and_text_extras_text(tmp_path):
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390;12;a", header=GENERIC_HEADER + ";Postal;Note")
    entry = {**GENERIC_ENTRY, "extras": {"postal": "Postal"}, "text_extras": {"note": "Note"}}
    st = generic_csv.adapt(path, entry, "g").stations
    assert str(st["postal"].dtype) == "Int64" and st["postal"].tolist() == [12] and st["note"].tolist() == ["a"]
