"""Adapters, issue 13: Poland 2020 round 2 (a second clean control, item 15), the voters added to
the roll on election day that the catalog names per source (`added_on_day`, item 15), and the
catalog's errata (protocol errors flagged on their station row)."""

import zipfile

import numpy as np
import pandas as pd
import pytest

from analysis.core import config
from analysis.data import catalog, datasets
from analysis.data.adapters import generic_csv
from analysis.data.adapters.generic_csv import AdapterError
from analysis.stats import measures


@pytest.mark.dataset
def test_pl2020r2_canonical_totals(processed_election, mirror):
    # The README (section 4) gives the format, not totals: the totals below are summed from
    # the raw file with a plain pandas read (independent of the adapter) and agree with PKW's
    # published round-2 figures, turnout 68.18 % (68.19 % here: the file's abroad stations are
    # a little short, as in round 1) and Duda 51.03 % of valid votes.
    stations, votes = processed_election("pl2020r2")
    with zipfile.ZipFile(f"{mirror}/pl2020_president_r2.csv.zip") as zf:
        raw = pd.read_csv(
            zf.open("wyniki_gl_na_kand_po_obwodach_utf8.csv"), sep=";", encoding="utf-8-sig", na_values=["-"]
        )
    assert len(stations) == len(raw) == 27_231
    flagged = stations["flag"] != ""
    # 4 military contingents abroad ("-" everywhere, as in round 1) and the catalog's 2 errata.
    assert flagged.sum() == 6 and stations["flag"].str.startswith("erratum: ").sum() == 2
    assert stations["registered"].sum() == raw["Liczba wyborców uprawnionych do głosowania"].sum() == 30_267_989
    assert stations["ballots_issued"].sum() == raw["Liczba kart wyjętych z urny"].sum() == 20_638_465
    assert stations["valid"].sum() == 20_458_480
    duda = np.nansum(measures.leader_votes(stations, votes, "Duda"))
    assert duda == raw["Andrzej Sebastian DUDA"].sum() == 10_440_388
    assert np.nansum(measures.leader_votes(stations, votes, "Trzaskowski")) == 10_018_092
    assert sorted(votes["candidate"].unique()) == ["Duda", "Trzaskowski"]
    assert abs(100 * 20_638_465 / 30_267_989 - 68.18) < 0.01 and round(100 * duda / 20_458_480, 2) == 51.03
    certificate = raw["Liczba wyborców głosujących na podstawie zaświadczenia o prawie do głosowania"].sum()
    assert stations["certificate_voters"].sum() == stations["added_on_day"].sum() == certificate


SMALL_CANON = ["region", "district", "station", "registered", "ballots_issued", "invalid", "valid"]
SMALL_ENTRY = {
    "read": {"sep": ";"},
    "station_type": "ordinary",
    "candidates": {"A": "A"},
    "columns": dict(zip(SMALL_CANON, ["Reg", "Dist", "No", "Voters", "Issued", "Bad", "Good"])),
    "extras": {"certificate_voters": "Cert"},
}


def _small_csv(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Reg;Dist;No;Voters;Issued;Bad;Good;Cert;A\nN;N1;1;100;80;2;78;30;78\nN;N1;2;100;60;0;60;-;60\n")
    return path


def test_added_on_day_copies_the_catalog_named_extra(tmp_path):
    # Issue 13, item 15: the catalog names, per source, the count of voters added to the roll
    # on election day (`added_on_day:`); the stations table carries it as `added_on_day`.
    path, entry = _small_csv(tmp_path), SMALL_ENTRY
    plain = generic_csv.adapt(path, entry, "g").stations
    assert plain["added_on_day"].isna().all()  # the source's count is there, but nobody said what it is
    st = generic_csv.adapt(path, {**entry, "added_on_day": "certificate_voters"}, "g").stations
    assert st["added_on_day"].tolist() == [30, pd.NA] and str(st["added_on_day"].dtype) == "Int64"
    cols = list(st.columns)
    assert cols.index("added_on_day") == cols.index("impossible_counts") + 1
    with pytest.raises(AdapterError, match="text column"):
        generic_csv.adapt(path, {**entry, "text_extras": {"note": "Cert"}, "extras": {}, "added_on_day": "note"}, "g")
    # The catalog check names the key, the entry and the file when the extra does not exist.
    typo = {**entry, "adapter": "generic_csv", "added_on_day": "certifcate_voters"}
    with pytest.raises(config.ConfigError, match=r"entry 'g'.*'added_on_day': 'certifcate_voters' is not a key of"):
        catalog.check_entry("g", typo, "datasets.yml", generic_csv.ENTRY_KEYS)
    real = datasets.load_catalog()
    named = [real[e]["added_on_day"] for e in ("ru2011", "pl2020r1", "pl2020r2")]
    assert named == ["absentee_voted", "certificate_voters", "certificate_voters"]


def test_errata_flag_their_station_and_must_name_one(tmp_path):
    # A protocol error the catalog documents is flagged on its row (so every analysis leaves
    # it out and counts it); an erratum naming no station, or giving no reason, is an error.
    path, entry = _small_csv(tmp_path), SMALL_ENTRY
    erratum = {"region": "N", "district": "N1", "station": "1", "reason": "registered = the ballots (roll: 140)"}
    out = generic_csv.adapt(path, {**entry, "errata": [erratum]}, "g")
    assert out.stations["flag"].tolist() == ["erratum: registered = the ballots (roll: 140)", ""]
    acc = {(r.stage, r.reason): r.rows for r in out.accounting.itertuples()}
    assert acc[("flagged", "erratum: registered = the ballots (roll: 140)")] == 1
    with pytest.raises(AdapterError, match=r"erratum for station \['N', 'N1', '3'\] names no station"):
        generic_csv.adapt(path, {**entry, "errata": [{**erratum, "station": "3"}]}, "g")
    for bad, match in (({**erratum, "reason": ""}, "needs reason"), ({**erratum, "reason": "a; b"}, "contain ';'")):
        with pytest.raises(config.ConfigError, match=match):
            catalog.check_entry("g", {**entry, "adapter": "generic_csv", "errata": [bad]}, "x", generic_csv.ENTRY_KEYS)


@pytest.mark.dataset
def test_certificate_voters_do_not_excuse_votes_over_registered(processed_election):
    # pl2020r1's one station with more votes than registered voters (a resort: 2,196 registered,
    # 2,200 ballots) has 1,324 certificate voters; they are already counted in the roll, so the
    # rule stays "votes > registered" whatever the added voters (tables.impossible_counts).
    pl, _ = processed_election("pl2020r1")
    flagged = pl[pl["impossible_counts"] != ""]
    assert flagged["impossible_counts"].tolist() == ["votes > registered"]
    assert flagged["added_on_day"].tolist() == [1324]
