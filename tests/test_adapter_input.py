"""Messy input files: every case is a clear error naming file and row/column, or an explicit, counted decision.

Each test reproduces one case of issue 13 ("Trustworthy inputs …", items 1–6) that used to
pass silently or crash with a traceback naming no file; the null in each is "the adapter
reads the file as its catalog entry says, or refuses it", never a silent shift or loss.
"""

from __future__ import annotations

import pytest

from analysis.data.adapters import generic_csv, pl_pkw, ru_cec
from analysis.data.adapters.reading import AdapterError
from test_adapters import RU_ROWS, _pl_file, _ru_csv, _ru_entry

GENERIC_HEADER = "Reg;Dist;No;Voters;Issued;Bad;Good;A"
GENERIC_ENTRY = {
    "id": "g",
    "read": {"sep": ";"},
    "columns": {
        "region": "Reg",
        "district": "Dist",
        "station": "No",
        "registered": "Voters",
        "ballots_issued": "Issued",
        "invalid": "Bad",
        "valid": "Good",
    },
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
    with pytest.raises(
        AdapterError,
        match=r"g\.csv: data row 1 \(file line 2\) has 9 fields but the header has 8 \(a trailing delimiter\?\); 2 such row",
    ):
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
    entry = {
        **entry,
        "candidates": {k: v for k, v in entry["candidates"].items() if k != "Rafał Kazimierz TRZASKOWSKI"},
    }
    with pytest.raises(
        AdapterError,
        match=r"pl\.csv: column\(s\) \['Rafał Kazimierz TRZASKOWSKI'\] are not named in the catalog entry for plX",
    ):
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


# ----------------------------------------------------------------------------- 4. empty rows, empty and near-duplicate keys


def test_rows_of_only_delimiters_and_blank_lines_are_not_stations(tmp_path):
    # Before: ";;;;;;;" became a station with empty keys and all counts missing.
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390", ";;;;;;;", "", "North;N1;2;300;200;0;200;200")
    out = generic_csv.adapt(path, GENERIC_ENTRY, "g")
    assert out.stations["station"].tolist() == ["1", "2"]


def test_empty_key_cell_is_a_flagged_row(tmp_path):
    path = _generic(tmp_path, "North;;1;500;400;10;390;390", "North;N1;2;300;200;0;200;200")
    st = generic_csv.adapt(path, GENERIC_ENTRY, "g").stations.set_index("station")
    assert st.loc["1", "flag"] == "empty key: district" and st.loc["2", "flag"] == ""
    path = _generic(tmp_path, ";;;500;400;10;390;390")
    with pytest.raises(AdapterError, match=r"data row 1 \(file line 2\): region, district and station are all empty"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


def test_ru_cec_empty_key_cell_is_flagged_not_turned_into_a_float(tmp_path):
    # An empty uik used to make pyarrow read the column as floats ("12.0") or the key "nan".
    rows = [[r[0], r[1], str(r[2])] + list(r[3:]) for r in RU_ROWS]  # written as in the source: 12, not 12.0
    rows[1][2] = None
    path = tmp_path / "ru.csv"
    path.write_bytes(_ru_csv(rows))
    st = ru_cec.adapt(path, _ru_entry(), "ruX").stations
    assert sorted(st["station"]) == ["", "12", "8001"]
    assert st.set_index("station").loc["", "flag"] == "empty key: station"


@pytest.mark.parametrize(("a", "b"), [("01", "1"), ("r1", "R1"), ("R01", "r1")])
def test_keys_differing_only_in_zeros_or_case_are_refused(tmp_path, a, b):
    # Before: "01" and "1" (or "r1" and "R1") became two stations.
    path = _generic(tmp_path, f"North;N1;{a};500;400;10;390;390", f"North;N1;{b};300;200;0;200;200")
    with pytest.raises(AdapterError, match=r"differ only in leading zeros or letter case.*key_normalise"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")
    # A per-source rule in the catalog says they are one station: then they are a duplicate.
    rule = {"strip_leading_zeros": True, "casefold": True}
    with pytest.raises(
        AdapterError,
        match=r"station region='north', district='n1', station='r?1' after key_normalise appears twice, on data row 1 \(file line 2\) and data row 2 \(file line 3\)",
    ):
        generic_csv.adapt(path, {**GENERIC_ENTRY, "key_normalise": rule}, "g")


def test_key_normalise_rule_is_applied_to_stored_keys(tmp_path):
    path = _generic(tmp_path, "North;N01;007;500;400;10;390;390", "north;N1;8;300;200;0;200;200")
    entry = {**GENERIC_ENTRY, "key_normalise": {"strip_leading_zeros": True, "casefold": True}}
    st = generic_csv.adapt(path, entry, "g").stations
    assert st[["region", "district", "station"]].values.tolist() == [["north", "n1", "7"], ["north", "n1", "8"]]


def test_exact_duplicate_station_names_both_rows(tmp_path):
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390", "North;N1;2;1;1;0;1;1", "North;N1;1;300;200;0;200;200")
    with pytest.raises(
        AdapterError,
        match=r"station region='North', district='N1', station='1' appears twice, on data row 1 \(file line 2\) and data row 3 \(file line 4\)",
    ):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


# ----------------------------------------------------------------------------- 5. row accounting


def _accounting(out):
    return {(r.stage, r.reason): r.rows for r in out.accounting.itertuples()}


def test_accounting_counts_physical_rows_and_why_some_are_not_stations(tmp_path):
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390", ";;;;;;;", "", "North;N1;2;300;200;0;200;200", ";;;;;;;")
    acc = _accounting(generic_csv.adapt(path, GENERIC_ENTRY, "g"))
    assert acc[("read", "")] == 5 and acc[("kept", "")] == 2 and acc[("dropped", "")] == 3
    assert acc[("dropped", "blank line")] == 1 and acc[("dropped", "only delimiters (no value in any column)")] == 2


def test_a_row_lost_by_the_parser_is_an_error(tmp_path, monkeypatch):
    # Before: "read" was the number of rows the parser returned, so read = kept + dropped held
    # by construction. Now it is counted from the file; a parser that loses a row is caught.
    path = tmp_path / "ru.csv"
    path.write_bytes(_ru_csv(RU_ROWS))
    read_csv = ru_cec.pd.read_csv
    monkeypatch.setattr(ru_cec.pd, "read_csv", lambda *a, **k: read_csv(*a, **k).iloc[:-1])
    with pytest.raises(
        AdapterError, match=r"ru\.csv: the CSV parser returned 2 data rows where the csv module reads 3 non-blank rows"
    ):
        ru_cec.adapt(path, _ru_entry(), "ruX")


def test_a_row_lost_between_reading_and_the_tables_is_an_error(tmp_path, monkeypatch):
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390", "North;N1;2;300;200;0;200;200")
    read = generic_csv.read_csv_text

    def losing(*args, **kwargs):
        rows = read(*args, **kwargs)
        return type(rows)(**{**rows.__dict__, "frame": rows.frame.iloc[:1]})

    monkeypatch.setattr(generic_csv, "read_csv_text", losing)
    with pytest.raises(
        AdapterError,
        match=r"row accounting does not add up: 2 data rows read from the file, 1 kept as stations \+ 0 dropped",
    ):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


# ----------------------------------------------------------------------------- 6. degenerate files and numbers


def test_header_only_file_is_an_error_not_an_empty_election(tmp_path):
    path = _generic(tmp_path)
    with pytest.raises(AdapterError, match=r"g\.csv: no stations: the file has a header but no data rows"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")
    path = _generic(tmp_path, ";;;;;;;")
    with pytest.raises(AdapterError, match=r"no stations: .*1 dropped"):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")
    ru = tmp_path / "ru.csv"
    ru.write_bytes(_ru_csv(RU_ROWS).split(b"\n")[0] + b"\n")
    with pytest.raises(AdapterError, match=r"ru\.csv: no stations"):
        ru_cec.adapt(ru, _ru_entry(), "ruX")
    path, entry = _pl_file(tmp_path)
    header, _ = _pl_lines(path)
    _pl_write(path, header, [])
    with pytest.raises(AdapterError, match=r"pl\.csv: no stations"):
        pl_pkw.adapt(path, entry, "plX")


@pytest.mark.parametrize("adapter", ["generic", "ru", "pl"])
def test_empty_file_is_a_one_line_error(tmp_path, adapter):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    run = {
        "generic": lambda: generic_csv.adapt(path, GENERIC_ENTRY, "g"),
        "ru": lambda: ru_cec.adapt(path, _ru_entry(), "ruX"),
        "pl": lambda: pl_pkw.adapt(path, _pl_file(tmp_path)[1], "plX"),
    }[adapter]
    with pytest.raises(AdapterError, match=r"^empty\.csv: the file is empty \(no header line\)$"):
        run()


def test_truncated_zip_is_a_one_line_error(tmp_path):
    import zipfile

    full = tmp_path / "full.zip"
    with zipfile.ZipFile(full, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("g.csv", "\n".join([GENERIC_HEADER] + [f"North;N1;{i};500;400;10;390;390" for i in range(1, 2000)]))
    data = full.read_bytes()
    middle = len(data) // 3
    damaged = data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :]
    for broken in (data[: len(data) // 2], data[:-30], damaged):
        path = tmp_path / "cut.zip"
        path.write_bytes(broken)
        with pytest.raises(AdapterError) as err:
            generic_csv.adapt(path, {**GENERIC_ENTRY, "member": "g.csv"}, "g")
        assert "cut.zip: not a readable zip archive" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(AdapterError, match=r"full\.zip: is a zip archive; name the CSV file inside it with `member:`"):
        generic_csv.adapt(full, GENERIC_ENTRY, "g")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("99999999999999999999", r"99999999999999999999 is past the 64-bit integer range"),
        ("9223372036854775808", r"9223372036854775808 is past the 64-bit integer range"),
        ("١٢٣", r"'١٢٣' is not a non-negative integer \(non-ASCII digits\)"),
        ("１２", r"'１２' is not a non-negative integer \(non-ASCII digits\)"),
    ],
)
def test_bad_numbers_name_file_row_and_column(tmp_path, value, message):
    path = _generic(tmp_path, "North;N1;1;500;400;10;390;390", f"North;N1;2;{value};200;0;200;200")
    with pytest.raises(AdapterError, match=r"g\.csv: data row 2 \(file line 3\), column 'Voters': " + message):
        generic_csv.adapt(path, GENERIC_ENTRY, "g")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("99999999999999999999", r"1e\+20 is too large to be a count read exactly"),
        ("١٢٣", r"'١٢٣' is not a non-negative integer \(non-ASCII digits\)"),
    ],
)
def test_ru_cec_bad_numbers_name_file_row_and_column(tmp_path, value, message):
    # pyarrow reads a number past int64 as a float (1e20 cast back to int64 wrapped to a negative count).
    rows = [list(r) for r in RU_ROWS]
    rows[1][3] = value
    path = tmp_path / "ru.csv"
    path.write_bytes(_ru_csv(rows))
    with pytest.raises(
        AdapterError,
        match=r"ru\.csv: data row 2 \(file line 3\), column 'Число избирателей, включенных в списки избирателей': "
        + message,
    ):
        ru_cec.adapt(path, _ru_entry(), "ruX")


def test_cli_prepare_gives_one_line_error_naming_the_file(tmp_path):
    import os
    import subprocess
    import sys

    import yaml

    from test_datasets import make_root

    root = make_root(tmp_path)
    (root / "data" / "raw" / "tl2030" / "results.csv").write_bytes(b"")
    catalog = root / "config" / "datasets.yml"
    entries = yaml.safe_load(catalog.read_text(encoding="utf-8"))
    del entries["tl2030"]["sha256"]  # a local file without a checksum: nothing else catches it
    catalog.write_text(yaml.safe_dump(entries), encoding="utf-8")
    env = {**os.environ, "ELECTION_FORENSICS_ROOT": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "analysis.data.datasets", "prepare", "tl2030"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == ["tl2030: error: results.csv: the file is empty (no header line)"]
