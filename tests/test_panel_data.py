"""Russian federal elections 2004-2024 from their catalog entries: totals, pseudo-stations, leaders.

Source of every expected figure: ``$ELECTION_DATA_MIRROR/README.md`` section 3 (rows and
registered voters of each file, recomputed there from the files) and ``ru_README_source.md``
(the maintainers' notes: which stations explain a gap to the CEC's total). Null of each test:
the catalog entry (patterns, names, station-type rules) reads the file exactly as the README
describes it; a wrongly worded pattern, a dropped row or a mis-typed station makes it fail.

Each dataset is prepared once per module into a temporary root (no election YAML needed: a
catalog id stands for itself), and the preparation time is reported.
"""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core import paths
from analysis.data import datasets

pytestmark = pytest.mark.dataset

# id -> (rows in the file, registered voters in the file, leader): README section 3.
README = {
    "ru2004": (95_779, 108_064_342, "Putin"),
    "ru2007": (96_193, 109_148_196, "United Russia"),
    "ru2008": (96_612, 107_222_016, "Medvedev"),
    "ru2016": (96_871, 110_061_200, "United Russia"),
    "ru2020": (96_765, 107_999_611, "YES"),
    "ru2021": (96_325, 109_204_662, "United Russia"),
    "ru2024": (94_214, 99_764_974, "Putin"),
}
# ru2024: electronic voting aggregated by region in its own file (README: 29 regions, 8,434,406).
RU2024_ELECTRONIC = (29, 8_434_406)

# Stations of each type other than ordinary. abroad: the rows under the abroad and Baikonur
# pseudo-regions or TIKs (2004 345 + 8, 2007 351 + 7, 2008 357 + 7, 2020 254 + 7, 2024 288 + 7)
# or, from 2016 when they belong to domestic districts, numbered 8000-8999 (2016: 365 + 7
# Baikonur, 2021: 348 + 7). electronic: 2021's 18 rows of TIK "Дистанционное электронное
# голосование" + Moscow's UIK 5001-5015; 2024's 29 regional rows; 2020's two electronic
# pseudo-stations are not in the file (README).
PSEUDO_STATIONS = {
    "ru2004": {"abroad": 353},
    "ru2007": {"abroad": 358},
    "ru2008": {"abroad": 364},
    "ru2016": {"abroad": 372},
    "ru2020": {"abroad": 261},
    "ru2021": {"abroad": 355, "electronic": 33},
    "ru2024": {"abroad": 295, "electronic": 29},
}

# Independent recomputation from the raw file (pandas' C parser, every cell as text, not the
# adapter's pyarrow read): header fragment of the leader's column, and of the valid-ballots line.
RAW_LEADER = {
    "ru2004": "Путин",
    "ru2007": "ЕДИНАЯ РОССИЯ",
    "ru2008": "Медведев",
    "ru2016": "ЕДИНАЯ РОССИЯ",
    "ru2020": "ДА",
    "ru2021": "ЕДИНАЯ РОССИЯ",
    "ru2024": "Путин",
}

PREP_SECONDS: dict[str, float] = {}


@pytest.fixture(scope="module")
def panel(mirror, tmp_path_factory):
    """``panel(id) -> (stations, votes)``, each dataset prepared once into a temporary root."""
    root = tmp_path_factory.mktemp("panel")
    (root / "config").mkdir()
    shutil.copy(paths.CONFIG / "datasets.yml", root / "config" / "datasets.yml")
    cache: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}

    def get(dataset_id: str):
        if dataset_id not in cache:
            start = time.perf_counter()
            datasets.prepare(dataset_id, strict=True, root=root, mirror=mirror)
            PREP_SECONDS[dataset_id] = time.perf_counter() - start
            cache[dataset_id] = datasets.load_stations(dataset_id, root=root, mirror=mirror)
        return cache[dataset_id]

    return get


def _raw(mirror: str, dataset_id: str, usecols) -> pd.DataFrame:
    entry = datasets.load_catalog()[dataset_id]
    path = Path(mirror) / entry["file"]
    data = zipfile.ZipFile(path).read(entry["member"]) if entry.get("member") else path.read_bytes()
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, usecols=usecols)


def _sum(column: pd.Series) -> int:
    return int(pd.to_numeric(column.replace("", np.nan)).sum())


@pytest.mark.parametrize("dataset_id", list(README))
def test_rows_and_registered_voters_are_the_readmes(panel, dataset_id):
    stations, _ = panel(dataset_id)
    rows, registered, _ = README[dataset_id]
    from_file = stations[stations["station_type"] != "electronic"] if dataset_id == "ru2024" else stations
    assert len(from_file) == rows
    assert int(from_file["registered"].sum()) == registered
    if dataset_id == "ru2024":
        electronic = stations[stations["station_type"] == "electronic"]
        assert (len(electronic), int(electronic["registered"].sum())) == RU2024_ELECTRONIC
        assert int(stations["registered"].sum()) == registered + RU2024_ELECTRONIC[1]


@pytest.mark.parametrize(
    "dataset_id, n_zero, cec_registered",
    [("ru2004", 2, 108_064_281), ("ru2007", 11, 109_145_517)],
)
def test_the_gap_to_the_cec_is_the_stations_with_zero_ballots(panel, dataset_id, n_zero, cec_registered):
    # ru_README_source.md: "After excluding N stations with zero ballots, the sums agree with" the CEC.
    stations, _ = panel(dataset_id)
    zero = (stations["valid"] + stations["invalid"]) == 0
    assert int(zero.sum()) == n_zero
    assert int(stations.loc[~zero, "registered"].sum()) == cec_registered


def test_ru2020_with_the_two_electronic_pseudo_stations_is_the_cec_total(panel):
    stations, votes = panel("ru2020")
    # Moscow 1,051,155 and Nizhny Novgorod 139,571 registered are not in the file (ru_README_source.md).
    assert int(stations["registered"].sum()) + 1_051_155 + 139_571 == 109_190_337
    assert set(votes["candidate"]) == {"YES", "NO"}
    # Four protocol lines only; valid = YES + NO = ballots in the boxes - invalid on every row.
    assert stations["ballots_cancelled"].isna().all() and stations["ballots_issued"].notna().all()
    assert (stations["valid"] == stations["ballots_in_boxes"] - stations["invalid"]).all()


def test_ru2024_missing_regions_and_stations_without_voters(panel):
    stations, _ = panel("ru2024")
    no_data = stations["flag"].str.startswith("missing: all numeric columns")
    assert int(no_data.sum()) == 2_268
    assert set(stations.loc[no_data, "region"]) == {
        "Донецкая Народная Республика",
        "Запорожская область",
        "Луганская Народная Республика",
        "Херсонская область",
    }
    ordinary = stations["station_type"] != "electronic"
    zero = ordinary & (stations["registered"] == 0)
    assert int(zero.sum()) == 7 and (stations.loc[zero, "ballots_issued"] == 0).all()
    with_voters = ordinary & (stations["registered"] > 0)
    assert int(with_voters.sum()) == 91_939  # README: "data for 91,939 polling stations"


@pytest.mark.parametrize("dataset_id", list(PSEUDO_STATIONS))
def test_pseudo_station_counts_by_type(panel, dataset_id):
    stations, _ = panel(dataset_id)
    types = stations["station_type"].value_counts().to_dict()
    assert {t: n for t, n in types.items() if t != "ordinary"} == PSEUDO_STATIONS[dataset_id]


@pytest.mark.parametrize("dataset_id", ["ru2020", "ru2024"])
def test_abroad_by_number_agrees_with_abroad_by_name_where_both_apply(panel, dataset_id):
    # Why 2016 and 2021 may recognise stations abroad by their number 8000-8999 alone: in the
    # years that still list them under pseudo-regions, the two rules pick the same stations.
    stations, _ = panel(dataset_id)
    by_number = stations["station"].str.fullmatch(r"(УИК №)?8\d{3}").to_numpy(dtype=bool)
    assert (by_number == (stations["station_type"] == "abroad").to_numpy()).all()


@pytest.mark.parametrize("dataset_id", list(README))
def test_the_leader_is_the_winner_and_every_candidate_is_named(panel, dataset_id):
    _, votes = panel(dataset_id)
    totals = votes.groupby("candidate")["votes"].sum()
    leader = README[dataset_id][2]
    assert totals.idxmax() == leader == datasets.load_catalog()[dataset_id]["leader"]
    # Every party or candidate matched a `candidate_names` pattern (no raw Cyrillic label left).
    assert not [c for c in totals.index if any("а" <= ch.lower() <= "я" for ch in c)]


@pytest.mark.parametrize("dataset_id", list(README))
def test_leader_and_valid_totals_match_the_raw_file(panel, mirror, dataset_id):
    stations, votes = panel(dataset_id)
    fragment = RAW_LEADER[dataset_id]
    raw = _raw(mirror, dataset_id, lambda h: fragment in h or h.startswith("Число") and "действительных" in h)
    leader_col = [c for c in raw.columns if (c == fragment if dataset_id == "ru2020" else fragment in c)]
    assert len(leader_col) == 1
    leader_raw = _sum(raw[leader_col[0]])
    valid_cols = [c for c in raw.columns if c.startswith("Число действительных")]
    if dataset_id == "ru2020":  # no valid line: in the boxes - invalid
        raw20 = _raw(mirror, dataset_id, lambda h: "ящиках" in h or "недействительных" in h)
        box, bad = (next(c for c in raw20.columns if k in c) for k in ("ящиках", "недействительных"))
        valid_raw = _sum(raw20[box]) - _sum(raw20[bad])
    else:
        valid_raw = _sum(raw[valid_cols[0]])
    if dataset_id == "ru2024":  # plus the electronic votes' own file
        ev = _raw(mirror, "ru2024_electronic", None)
        leader_raw += _sum(ev[next(c for c in ev.columns if fragment in c)])
        valid_raw += _sum(ev[next(c for c in ev.columns if c.startswith("Число действительных"))])
    leader = README[dataset_id][2]
    assert int(votes.loc[votes["candidate"] == leader, "votes"].sum()) == leader_raw
    assert int(stations["valid"].sum()) == valid_raw


def test_preparation_time_is_reported(panel, capsys):
    for dataset_id in README:
        panel(dataset_id)
    with capsys.disabled():
        print("\npreparation time: " + ", ".join(f"{k} {v:.1f} s" for k, v in PREP_SECONDS.items()))
    # Generous: about 2-3 s each on a 2-core machine; a tenfold slowdown is a regression.
    assert max(PREP_SECONDS.values()) < 60
