"""Adapters: Russian CEC (by meaning of the line text), Polish PKW, generic CSV; real-data totals."""

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from analysis.data import datasets
from analysis.data.adapters import generic_csv, pl_pkw, ru_cec
from analysis.data.adapters.generic_csv import AdapterError
from analysis.stats import measures

# ----------------------------------------------------------------------------- Russian CEC

RU_LINES = [
    # A later year's wording: "включенных в списки" instead of "внесенных в список", "содержащихся".
    "Число избирателей, включенных в списки избирателей",
    "Число избирательных бюллетеней, полученных участковой избирательной комиссией",
    "Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно",
    "Число избирательных бюллетеней, выданных избирателям в помещении для голосования",
    "Число избирательных бюллетеней, выданных избирателям вне помещения для голосования",
    "Число погашенных избирательных бюллетеней",
    "Число избирательных бюллетеней, содержащихся в переносных ящиках для голосования",
    "Число избирательных бюллетеней, содержащихся в стационарных ящиках для голосования",
    "Число недействительных избирательных бюллетеней",
    "Число действительных избирательных бюллетеней",
    "Число утраченных избирательных бюллетеней",
    "Число избирательных бюллетеней, не учтенных при получении",
]
RU_PARTIES = ['1. Политическая партия "ЕДИНАЯ РОССИЯ"', "2. Иванов Иван Иванович"]


def _ru_csv(rows, headers=None):
    headers = headers or (["region", "tik", "uik"] + RU_LINES + RU_PARTIES + ["url"])
    buf = io.StringIO()
    pd.DataFrame(rows, columns=headers).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


RU_ROWS = [
    # region, tik, uik, registered, received, early, in, mobile, cancelled, portable, stationary,
    # invalid, valid, lost, unaccounted, party1, party2, url
    ["Москва", "1 Арбат", 12, 1000, 900, 0, 500, 20, 380, 20, 500, 10, 510, 0, 0, 300, 210, "u"],
    ["Москва", "1 Арбат", 2, 800, 700, 5, 300, 0, 395, 0, 305, 5, 300, 0, 0, 200, 100, "u"],
    ["Территория за пределами РФ", "99 Зарубеж", 8001, 50, 100, 0, 60, 0, 40, 0, 60, 0, 60, 0, 0, 40, 20, "u"],
]


def _ru_entry(**over):
    entry = dict(datasets.load_catalog()["ru2011"])
    entry.pop("member", None)
    entry.update(over)
    return entry


def test_ru_cec_maps_columns_by_meaning_not_position(tmp_path):
    path = tmp_path / "ru.csv"
    # Shuffle the protocol lines: mapping must follow the text, not the position.
    headers = ["region", "tik", "uik"] + RU_LINES + RU_PARTIES + ["url"]
    order = (
        [0, 1, 2]
        + list(np.random.default_rng(3).permutation(np.arange(3, 3 + len(RU_LINES))))
        + list(range(3 + len(RU_LINES), len(headers)))
    )
    rows = [[r[i] for i in order] for r in RU_ROWS]
    path.write_bytes(_ru_csv(rows, [headers[i] for i in order]))
    out = ru_cec.adapt(path, _ru_entry(), "ruX")
    st = out.stations
    # Rows come sorted by region, district, then station number (2 before 12).
    assert list(st["station"]) == ["2", "12", "8001"]
    first = st.iloc[1]
    assert first["registered"] == 1000 and first["ballots_received"] == 900
    assert first["ballots_issued"] == 520 and first["ballots_in_boxes"] == 520
    assert first["valid"] == 510 and first["invalid"] == 10
    assert list(st["station_type"]) == ["ordinary", "ordinary", "abroad"]
    # Absent lines (absentee certificates) are missing, never zero.
    assert "absentee_received" not in st.columns or st["absentee_received"].isna().all()
    v = out.votes
    assert set(v["candidate"]) == {"United Russia", "Иванов Иван Иванович"}
    ur = v[(v["candidate"] == "United Russia") & (v["station"] == "12")]["votes"].iloc[0]
    assert ur == 300
    assert list(out.accounting.query("stage == 'read'")["rows"]) == [3]


def test_ru_cec_unknown_column_is_an_error_not_dropped(tmp_path):
    path = tmp_path / "ru.csv"
    headers = ["region", "tik", "uik"] + RU_LINES + RU_PARTIES + ["url", "Число чего-то нового"]
    path.write_bytes(_ru_csv([r + [1] for r in RU_ROWS], headers))
    with pytest.raises(AdapterError, match="Число чего-то нового"):
        ru_cec.adapt(path, _ru_entry(), "ruX")


def test_ru_cec_bad_value_names_file_row_and_column(tmp_path):
    path = tmp_path / "ru.csv"
    rows = [list(r) for r in RU_ROWS]
    rows[1][12] = "3O0"  # letter O in a count
    path.write_bytes(_ru_csv(rows))
    with pytest.raises(AdapterError) as err:
        ru_cec.adapt(path, _ru_entry(), "ruX")
    msg = str(err.value)
    assert "ru.csv" in msg and "data row 2" in msg and "действительных" in msg


def test_ru_cec_reads_zip_member(tmp_path):
    path = tmp_path / "ru.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("2031.csv", _ru_csv(RU_ROWS))
    out = ru_cec.adapt(path, _ru_entry(member="2031.csv"), "ruX")
    assert len(out.stations) == 3
    with pytest.raises(AdapterError, match="no member"):
        ru_cec.adapt(path, _ru_entry(member="2011.csv"), "ruX")


# ----------------------------------------------------------------------------- Polish PKW


def _pl_file(tmp_path, rows_extra=None):
    entry = datasets.load_catalog()["pl2020r1"]
    cols = entry["columns"]
    names = {
        "Województwo": "dolnośląskie",
        "Kod TERYT": "020101",
        cols["ballots_received"]: 1000,
        cols["registered"]: 1200,
        cols["ballots_cancelled"]: 300,
        cols["ballots_issued_in_station"]: 700,
        cols["ballots_issued"]: 710,
        "Liczba kart nieważnych": 4,
        "Liczba głosów nieważnych": 6,
        cols["valid"]: 700,
        entry["extras"]["ballots_issued_postal"]: 10,
    }
    headers = list(
        dict.fromkeys(
            ["Numer obwodu", "Typ obwodu"]
            + [h for spec in cols.values() for h in ([spec] if isinstance(spec, str) else spec)]
            + list(entry["extras"].values())
            + list(entry["text_extras"].values())
            + list(entry["candidates"])
        )
    )
    cands = list(entry["candidates"])

    def row(number, kind, dash=False):
        r = {}
        for h in headers:
            if h == "Numer obwodu":
                r[h] = number
            elif h == "Typ obwodu":
                r[h] = kind
            elif h in names:
                r[h] = names[h]
            elif h in cands:
                r[h] = 700 // len(cands) + (700 % len(cands) if h == cands[2] else 0)
            elif h in entry["text_extras"].values():
                r[h] = "x"
            else:
                r[h] = 0
            if (
                dash
                and h not in ("Numer obwodu", "Typ obwodu", "Symbol kontrolny", "Siedziba")
                and not isinstance(r[h], str)
            ):
                r[h] = "-"
            if dash and h in ("Województwo", "Kod TERYT", "Gmina", "Powiat"):
                r[h] = ""
        return r

    rows = [row(2, "stały"), row(1, "zakład karny"), row(53, "zagranica", dash=True)]
    df = pd.DataFrame(rows, columns=headers)
    text = df.to_csv(sep=";", index=False, quoting=1, lineterminator="\r\n")
    path = tmp_path / "pl.csv"
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    entry = dict(entry)
    entry.pop("member")
    return path, entry


def test_pl_pkw_bom_semicolons_crlf_and_dash_rows(tmp_path):
    path, entry = _pl_file(tmp_path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in path.read_bytes()
    out = pl_pkw.adapt(path, entry, "plX")
    st = out.stations
    assert len(st) == 3  # nothing dropped
    dash = st[st["station"] == "53"].iloc[0]
    # Its voivodeship and TERYT cells are empty too (as for PKW's military contingents abroad).
    assert dash["flag"] == 'missing: all numeric columns are "-"; empty key: region, district'
    assert pd.isna(dash["registered"]) and dash["station_type"] == "abroad"
    ok = st[st["station"] == "2"].iloc[0]
    # Ballots cast = ballots taken from the box (column 25), not the in-person issued (15).
    assert ok["ballots_issued"] == 710 and ok["ballots_in_boxes"] == 710
    assert ok["ballots_issued_in_station"] == 700 and ok["ballots_issued_postal"] == 10
    assert ok["invalid"] == 10 and ok["valid"] == 700  # invalid papers + invalid votes
    assert st.set_index("station").loc["1", "station_type"] == "institution"
    flagged = out.accounting.query("stage == 'flagged'")
    assert list(flagged["rows"]) == [1]
    duda = out.votes[(out.votes["candidate"] == "Duda") & (out.votes["station"] == "53")]["votes"]
    assert duda.isna().all()  # missing votes stay missing, the row is kept


# ----------------------------------------------------------------------------- generic CSV


def test_generic_csv_column_map(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(
        "Reg;Dist;No;Type;Voters;Issued;Bad;Good;A;B\nNorth;N1;1;H;100;80;2;78;50;28\nNorth;N1;2;;90;-;-;-;-;-\n",
        encoding="utf-8",
    )
    entry = {
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
        "candidates": {"A": "Alice", "B": "Bob"},
        "station_type": {"column": "Type", "map": {"H": "institution"}, "default": "ordinary"},
    }
    out = generic_csv.adapt(path, entry, "g")
    st = out.stations.set_index("station")
    assert st.loc["1", "ballots_issued"] == 80 and pd.isna(st.loc["1", "ballots_received"])
    assert st.loc["1", "station_type"] == "institution" and st.loc["2", "station_type"] == "ordinary"
    assert st.loc["2", "flag"] == "missing: ballots_issued, invalid, valid, votes for Alice, votes for Bob"
    assert st.loc["1", "flag"] == ""
    assert list(out.votes["candidate"]) == ["Alice", "Bob", "Alice", "Bob"]
    entry["columns"]["valid"] = "Valid votes"
    with pytest.raises(AdapterError, match="Valid votes"):
        generic_csv.adapt(path, entry, "g")


# ----------------------------------------------------------------------------- real data


@pytest.mark.dataset
def test_ru2011_canonical_totals(processed_election):
    stations, votes = processed_election("ru2011")
    assert len(stations) == 95_225
    assert stations["registered"].sum() == 109_229_337
    assert stations["valid"].sum() == 64_615_252
    assert stations["invalid"].sum() == 1_033_438
    assert stations["ballots_issued"].sum() == 65_766_594
    assert stations["ballots_in_boxes"].sum() == 65_648_690
    ur = measures.leader_votes(stations, votes, "United Russia")
    assert ur.sum() == 32_371_737
    assert (stations["station_type"] == "abroad").sum() == 376
    assert stations.loc[stations["station_type"] == "abroad", "registered"].sum() == 336_998
    assert (stations["flag"] == "").all()


@pytest.mark.dataset
def test_pl2020r1_canonical_totals(processed_election):
    stations, votes = processed_election("pl2020r1")
    assert len(stations) == 27_229
    flagged = stations["flag"] != ""
    assert flagged.sum() == 4
    # The 4 military contingents abroad: no numbers, no voivodeship, no TERYT code.
    assert (stations.loc[flagged, "flag"] == 'missing: all numeric columns are "-"; empty key: region, district').all()
    with_data = stations[~flagged]
    assert len(with_data) == 27_225 and with_data["registered"].notna().all()
    assert stations["registered"].sum() == 30_204_241
    assert stations["ballots_issued"].sum() == 19_486_433
    assert stations["valid"].sum() == 19_425_034
    assert np.nansum(measures.leader_votes(stations, votes, "Duda")) == 8_450_341
    assert np.nansum(measures.leader_votes(stations, votes, "Trzaskowski")) == 5_917_256


def test_ru_cec_empty_cell_is_missing_and_flagged(tmp_path):
    path = tmp_path / "ru.csv"
    rows = [list(r) for r in RU_ROWS]
    rows[0][13] = None  # "lost" left empty at one station
    path.write_bytes(_ru_csv(rows))
    st = ru_cec.adapt(path, _ru_entry(), "ruX").stations.set_index("station")
    assert pd.isna(st.loc["12", "lost"]) and st.loc["2", "lost"] == 0
    assert st.loc["12", "flag"] == "missing: lost"
    rows[0][13] = 1.5
    path.write_bytes(_ru_csv(rows))
    with pytest.raises(AdapterError, match="data row 1 .*утраченных"):
        ru_cec.adapt(path, _ru_entry(), "ruX")


# ----------------------------------------------------------------------------- impossible counts (issue 13, item 7)


def test_impossible_counts_are_flagged_on_the_station_row(tmp_path):
    # Before: such rows passed unmarked; only notebook 02 counted them. Each row below breaks
    # one protocol identity that holds for any real count (null: none of them can be true).
    path = tmp_path / "g.csv"
    path.write_text(
        "Reg;Dist;No;Voters;Issued;Box;Bad;Good;A\n"
        "N;N1;1;100;80;80;2;78;78\n"  # consistent
        "N;N1;2;100;120;120;10;110;110\n"  # 120 votes, 100 registered
        "N;N1;3;0;5;5;0;5;5\n"  # nobody registered, 5 votes
        "N;N1;4;100;80;79;2;78;78\n"  # 80 counted, 79 in the boxes
        "N;N1;5;100;-;-;-;-;-\n",  # missing: no comparison made
        encoding="utf-8",
    )
    entry = {
        "id": "g",
        "read": {"sep": ";"},
        "station_type": "ordinary",
        "candidates": {"A": "A"},
        "columns": {
            "region": "Reg",
            "district": "Dist",
            "station": "No",
            "registered": "Voters",
            "ballots_issued": "Issued",
            "ballots_in_boxes": "Box",
            "invalid": "Bad",
            "valid": "Good",
        },
    }
    out = generic_csv.adapt(path, entry, "g")
    st = out.stations.set_index("station")
    assert st["impossible_counts"].to_dict() == {
        "1": "",
        "2": "votes > registered",
        "3": "registered = 0 with votes",
        "4": "valid + invalid != ballots in boxes",
        "5": "",
    }
    assert (st["flag"] == ["", "", "", "", st.loc["5", "flag"]]).all() and st.loc["5", "flag"].startswith("missing:")
    acc = {(r.stage, r.reason): r.rows for r in out.accounting.itertuples()}
    assert acc[("impossible", "votes > registered")] == 1 and acc[("impossible_total", "")] == 3
    assert list(out.stations.columns).index("impossible_counts") == list(out.stations.columns).index("flag") + 1


@pytest.mark.dataset
def test_impossible_counts_in_the_real_elections(processed_election):
    ru, _ = processed_election("ru2011")
    assert (ru["impossible_counts"] == "").all()
    pl, _ = processed_election("pl2020r1")
    flagged = pl[pl["impossible_counts"] != ""]
    # One resort station: 2,196 registered, 1,324 voting by certificate, 2,200 ballots counted.
    assert flagged[["region", "district", "station", "impossible_counts"]].values.tolist() == [
        ["zachodniopomorskie", "320905", "5", "votes > registered"]
    ]


# ----------------------------------------------------------------------------- ru_cec options of the 2004-2024 panel (issue 10)

PANEL_HEADERS = ["region", "oik", "tik", "uik", RU_LINES[0], RU_LINES[8], RU_LINES[9], "1. ЕДИНАЯ РОССИЯ", "2. КПРФ"]
PANEL_ROWS = [
    ["Курская область", "ОИК №109", "Курская", "УИК №1", 100, 0, 50, 30, 20],
    ["Курская область", "ОИК №109", "Дистанционное электронное голосование", "", 900, 1, 500, 400, 100],
    ["Курская область", "ОИК №110", "Дистанционное электронное голосование", "", 800, 0, 400, 300, 100],
    ["Курская область", "ОИК №110", "Курская", "УИК №8003", 50, 0, 40, 20, 20],
]
PANEL_ENTRY = {
    "keys": {"region": "^region$", "district": "^tik$", "station": ["^uik$", "^oik$"]},
    "text_extras": {"oik": "^oik$"},
    "station_type_rules": [
        {"station_type": "electronic", "where": {"district": "^дистанционное электронное"}},
        {"station_type": "abroad", "where": {"station": "^(уик №)?8\\d{3}$", "oik": "110"}},
    ],
    "candidate_names": {"единая россия": "United Russia", "кпрф": "CPRF"},
}


def test_ru_cec_key_fallback_text_extras_and_station_type_rules(tmp_path):
    # A key named by a list takes the first non-empty column (2021's electronic-voting rows have
    # no uik); rules type stations by pattern on keys or text extras, the first match winning.
    path = tmp_path / "ru.csv"
    path.write_bytes(_ru_csv(PANEL_ROWS, PANEL_HEADERS))
    st = ru_cec.adapt(path, _ru_entry(**PANEL_ENTRY), "ruX").stations
    assert st[["district", "station", "station_type", "oik"]].values.tolist() == [
        ["Дистанционное электронное голосование", "ОИК №109", "electronic", "ОИК №109"],
        ["Дистанционное электронное голосование", "ОИК №110", "electronic", "ОИК №110"],
        ["Курская", "УИК №1", "ordinary", "ОИК №109"],
        ["Курская", "УИК №8003", "abroad", "ОИК №110"],
    ]
    assert (st["flag"] == "").all()
    bad_rule = {**PANEL_ENTRY, "station_type_rules": [{"station_type": "abroad", "where": {"sik": "x"}}]}
    with pytest.raises(AdapterError, match="tests 'sik'"):
        ru_cec.adapt(path, _ru_entry(**bad_rule), "ruX")


def test_ru_cec_valid_from_candidates_and_fixed_key_values(tmp_path):
    # A referendum file has no valid line (valid = sum of the answers); a file aggregated by
    # region has no tik / uik (fixed key values name its pseudo-stations).
    path = tmp_path / "ev.csv"
    headers = [
        "region",
        RU_LINES[0],
        "Число бюллетеней, содержащихся в ящиках для голосования",
        RU_LINES[8],
        "ДА",
        "НЕТ",
    ]
    path.write_bytes(_ru_csv([["Москва", 100, 60, 2, 50, 8], ["Крым", 10, 5, 0, 5, 0]], headers))
    entry = _ru_entry(
        keys={"region": "^region$"},
        key_values={"district": "ДЭГ", "station": "1"},
        columns={"registered": RU_LINES[0].lower(), "ballots_in_boxes": "в ящиках", "invalid": "^число недейств"},
        valid_from_candidates=True,
        candidate_pattern="^(ДА|НЕТ)$",
        candidate_names={"^да$": "YES", "^нет$": "NO"},
        default_station_type="electronic",
    )
    out = ru_cec.adapt(path, entry, "ruX")
    st = out.stations
    assert st[["region", "district", "station", "valid", "station_type"]].values.tolist() == [
        ["Крым", "ДЭГ", "1", 5, "electronic"],
        ["Москва", "ДЭГ", "1", 58, "electronic"],
    ]
    assert (st["impossible_counts"] == "").all()
    both = {**entry, "keys": {"region": "^region$", "station": "^region$"}}
    with pytest.raises(AdapterError, match="'station' must be named in exactly one"):
        ru_cec.adapt(path, both, "ruX")


def test_ru_cec_reads_counts_that_are_empty_only_late_in_the_file(tmp_path):
    # 2024: the regions without data come last, after pyarrow's first block typed the count
    # columns as integers (pandas then fails to cast); the counts are read as text instead.
    path = tmp_path / "ru.csv"
    rows = [["Москва", "1 Арбат", i] + list(RU_ROWS[0][3:]) for i in range(30_000)]
    rows.append(["Херсонская область", "Т", 5] + [""] * 14 + ["u"])
    path.write_bytes(_ru_csv(rows))
    assert path.stat().st_size > 2**21  # several of pyarrow's 1 MiB blocks
    st = ru_cec.adapt(path, _ru_entry(), "ruX").stations
    last = st[st["region"] == "Херсонская область"].iloc[0]
    assert last["flag"] == 'missing: all numeric columns are ""' and pd.isna(last["registered"])
    assert st["registered"].sum() == 30_000 * 1000


def test_supplements_append_their_stations_to_the_dataset(tmp_path):
    from analysis.data.adapters.combine import combine_tables

    main, extra = tmp_path / "main.csv", tmp_path / "extra.csv"
    main.write_bytes(_ru_csv(RU_ROWS))
    extra.write_bytes(_ru_csv([["Москва", "ДЭГ", 1] + list(RU_ROWS[0][3:])]))
    parts = [ru_cec.adapt(p, _ru_entry(), "ruX") for p in (main, extra)]
    out = combine_tables(parts, ["main", "extra"])
    assert out.stations[["region", "district", "station"]].values.tolist()[:2] == [
        ["Москва", "1 Арбат", "2"],
        ["Москва", "1 Арбат", "12"],
    ]
    assert len(out.stations) == 4 and out.stations.iloc[2]["district"] == "ДЭГ"
    assert (
        out.votes[["district", "station"]].drop_duplicates().values.tolist()
        == out.stations[["district", "station"]].values.tolist()
    )
    assert list(out.accounting.query("stage == 'read'")[["source", "rows"]].itertuples(index=False, name=None)) == [
        ("main", 3),
        ("extra", 1),
    ]
    with pytest.raises(AdapterError, match="more than one source file"):
        combine_tables([parts[0], parts[0]], ["a", "b"])


def test_supplements_must_name_other_file_entries(tmp_path):
    from analysis.core.config import ConfigError

    (tmp_path / "config").mkdir()
    entry = {"adapter": "ru_cec", "file": "x.csv", "sha256": "0" * 64, "keys": {}, "columns": {}}
    (tmp_path / "config" / "datasets.yml").write_text(
        f"a: {dict(entry, supplements=['b', 'kz'])}\nb: {entry}\nkz: {{adapter: kz2011_osce, embedded: true}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"supplements \['kz'\]"):
        datasets.load_catalog(tmp_path)
