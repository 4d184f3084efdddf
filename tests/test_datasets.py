"""Catalog, fetch (mirror / cache / download), prepare, load, CLI; a new election from a catalog entry + CSV."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.core import config, paths
from analysis.data import datasets
from analysis.stats import measures, protocols

CSV = (
    "Region,District,Station,Voters,Received,Issued,Cancelled,Box,Bad,Good,Ann,Bo\n"
    "East,E1,3,500,450,300,150,300,10,290,200,90\n"
    "East,E1,10,400,400,250,150,251,1,250,150,100\n"
    "West,W1,1,300,300,200,100,200,0,200,120,80\n"
    "West,W1,2,200,-,-,-,-,-,-,-,-\n"
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_root(tmp_path: Path, csv: str = CSV, sha: str | None = None, where: str = "path") -> Path:
    """A project tree with only config/ and a CSV: what adding an election needs."""
    root = tmp_path / "proj"
    (root / "config" / "elections").mkdir(parents=True)
    data = csv.encode("utf-8")
    entry = {
        "title": "Testland 2030",
        "adapter": "generic_csv",
        "sha256": sha or _sha(data),
        "read": {"sep": ","},
        "columns": {
            "region": "Region",
            "district": "District",
            "station": "Station",
            "registered": "Voters",
            "ballots_received": "Received",
            "ballots_issued_in_station": "Issued",
            "ballots_cancelled": "Cancelled",
            "ballots_in_stationary_boxes": "Box",
            "invalid": "Bad",
            "valid": "Good",
        },
        "candidates": {"Ann": "Ann", "Bo": "Bo"},
        "station_type": "ordinary",
        "leader": "Ann",
    }
    if where == "path":
        (root / "data" / "raw" / "tl2030").mkdir(parents=True)
        (root / "data" / "raw" / "tl2030" / "results.csv").write_bytes(data)
        entry["path"] = "data/raw/tl2030/results.csv"
    else:
        entry["file"] = "tl2030.csv"
        entry["url"] = "https://example.invalid/tl2030.csv"
    (root / "config" / "datasets.yml").write_text(
        yaml.safe_dump({"tl2030": entry}, allow_unicode=True), encoding="utf-8"
    )
    (root / "config" / "elections" / "tl2030.yml").write_text(
        yaml.safe_dump(
            {"title": "Testland 2030", "dataset": "tl2030", "level": "station", "leader": "Ann", "params": {}}
        ),
        encoding="utf-8",
    )
    return root


def test_new_election_from_catalog_entry_and_csv_end_to_end(tmp_path):
    root = make_root(tmp_path)
    out = datasets.prepare("tl2030", root=root)
    assert out == root / "data" / "processed" / "tl2030"
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(files) == {"stations.parquet", "votes.parquet", "row_accounting.csv"}
    stations, votes = datasets.load_stations("tl2030", root=root)
    assert list(stations["station"]) == ["3", "10", "1", "2"]  # sorted: region, district, number
    assert stations["registered"].sum() == 1400
    assert stations["ballots_issued"].tolist()[:3] == [300, 250, 200]
    assert stations.loc[3, "flag"].startswith("missing:")
    ann = measures.leader_votes(stations, votes, "Ann")
    np.testing.assert_array_equal(ann[:3], [200, 150, 120])
    assert np.isnan(ann[3])
    checks = protocols.check_protocols(stations, votes)
    # Station 10 has one more ballot in the box than issued (251 > 250); its box still equals valid + invalid.
    assert checks.failing("boxes_gt_issued")["station"].tolist() == ["10"]
    assert checks.n_failed("boxes_valid_invalid") == 0
    acc = pd.read_csv(out / "row_accounting.csv", keep_default_na=False)
    assert acc.set_index("stage").loc["read", "rows"] == 4
    assert acc.set_index("stage").loc["kept", "rows"] == 4
    assert acc.set_index("stage").loc["flagged_total", "rows"] == 1
    # Deterministic: a rerun writes byte-identical files.
    datasets.prepare("tl2030", root=root)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files


def test_sha256_mismatch_is_a_clear_error(tmp_path):
    root = make_root(tmp_path, sha="0" * 64)
    with pytest.raises(datasets.DatasetChecksumError, match=r"sha256 .* does not match .*0000"):
        datasets.fetch("tl2030", root=root)
    # prepare does not skip wrong data: it fails.
    with pytest.raises(datasets.DatasetChecksumError):
        datasets.prepare("tl2030", root=root)


def test_mirror_is_read_in_place_and_verified(tmp_path):
    root = make_root(tmp_path, where="url")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tl2030.csv").write_text(CSV, encoding="utf-8")
    assert datasets.fetch("tl2030", root=root, mirror=mirror) == mirror / "tl2030.csv"
    assert datasets.is_available("tl2030", root=root, mirror=mirror)
    (mirror / "tl2030.csv").write_text(CSV.replace("500", "501"), encoding="utf-8")
    with pytest.raises(datasets.DatasetChecksumError, match="tl2030.csv"):
        datasets.fetch("tl2030", root=root, mirror=mirror)


def test_unavailable_dataset_skips_with_one_line_reason(tmp_path, monkeypatch):
    import pooch
    import requests

    root = make_root(tmp_path, where="url")
    monkeypatch.delenv("ELECTION_DATA_MIRROR", raising=False)

    def offline(*args, **kwargs):
        raise requests.exceptions.ConnectionError("no network")

    monkeypatch.setattr(pooch, "retrieve", offline)
    assert not datasets.is_available("tl2030", root=root)
    with pytest.raises(datasets.DatasetUnavailable) as err:
        datasets.fetch("tl2030", root=root)
    msg = str(err.value)
    assert "\n" not in msg and "https://example.invalid/tl2030.csv" in msg and "ELECTION_DATA_MIRROR" in msg
    stale = root / "data" / "processed" / "tl2030" / "stations.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    assert datasets.prepare("tl2030", root=root) is None
    marker = root / "data" / "processed" / "tl2030" / "UNAVAILABLE.txt"
    assert marker.read_text(encoding="utf-8").strip() == msg
    assert not stale.exists()  # no tables beside the marker
    assert msg.endswith("(download failed: ConnectionError)")
    with pytest.raises(datasets.DatasetUnavailable):
        datasets.prepare("tl2030", strict=True, root=root)
    with pytest.raises(datasets.DatasetUnavailable):
        datasets.load_stations("tl2030", root=root)


def test_download_goes_to_external_with_pinned_hash(tmp_path, monkeypatch):
    import pooch

    root = make_root(tmp_path, where="url")
    monkeypatch.delenv("ELECTION_DATA_MIRROR", raising=False)
    calls = {}

    def fake_retrieve(url, known_hash, fname, path, **kwargs):
        calls.update(url=url, known_hash=known_hash, fname=fname, path=Path(path))
        target = Path(path) / fname
        target.write_text(CSV, encoding="utf-8")
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    got = datasets.fetch("tl2030", root=root)
    assert got == root / "data" / "raw" / "external" / "tl2030.csv"
    assert calls["known_hash"] == "sha256:" + _sha(CSV.encode())
    # Second time the cached file is used (and verified), no download.
    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("downloaded twice"))
    assert datasets.fetch("tl2030", root=root) == got


def test_leader_votes_aligns_by_key_not_position():
    stations = pd.DataFrame(
        {"election": "e", "region": ["A", "A", "B"], "district": ["d", "d", "d"], "station": ["1", "2", "1"]}
    )
    votes = pd.DataFrame(
        {
            "election": "e",
            "region": ["B", "A", "A", "A"],
            "district": "d",
            "station": ["1", "2", "1", "1"],
            "candidate": ["X", "X", "X", "Y"],
            "votes": pd.array([7, 5, 3, 100], dtype="Int64"),
        }
    )
    np.testing.assert_array_equal(measures.leader_votes(stations, votes, "X"), [3, 5, 7])
    with pytest.raises(KeyError, match="Z"):
        measures.leader_votes(stations, votes, "Z")
    # every candidate at once: the same alignment, NaN where a station has no figure
    every = measures.candidate_votes(stations, votes)
    assert list(every) == ["X", "Y"]
    np.testing.assert_array_equal(every["X"], [3, 5, 7])
    np.testing.assert_array_equal(every["Y"], [100, np.nan, np.nan])
    np.testing.assert_array_equal(every["Y"], measures.leader_votes(stations, votes, "Y"))


def test_catalog_entries_are_complete():
    catalog = datasets.load_catalog()
    assert {"ru2011", "pl2020r1", "kz2011"} <= set(catalog)
    for dataset_id in ("ru2011", "pl2020r1"):
        e = catalog[dataset_id]
        assert len(e["sha256"]) == 64 and e["url"].startswith("https://github.com/") and e["member"]
        cfg = config.load_election(dataset_id)
        assert cfg["dataset"] == dataset_id and cfg["level"] == "station" and cfg["leader"] == e["leader"]
    assert catalog["ru2011"]["file"] == "ru2011_duma.csv.zip"
    assert catalog["pl2020r1"]["file"] == "pl2020_president_r1.csv.zip"
    assert config.load_election("ru2011")["control"] == "pl2020r1"
    assert config.load_election("pl2020r1")["control"] is None


def test_kz2011_prepare_dispatches_to_its_builder(tmp_path):
    pytest.importorskip("analysis.data.kz2011")
    root = tmp_path / "proj"
    shutil.copytree(paths.CONFIG, root / "config")
    shutil.copytree(paths.DATA_RAW / "kz2011", root / "data" / "raw" / "kz2011")
    out = datasets.prepare("kz2011", root=root)
    assert (out / "protocol_comparison.csv").exists() and (out / "protocol_review.csv").exists()
    assert datasets.is_available("kz2011", root=root)


def _cli(root: Path, *args, mirror=None):
    env = {k: v for k, v in os.environ.items() if k != "ELECTION_DATA_MIRROR"}
    env["ELECTION_FORENSICS_ROOT"] = str(root)
    if mirror:
        env["ELECTION_DATA_MIRROR"] = str(mirror)
    return subprocess.run(
        [sys.executable, "-m", "analysis.data.datasets", *args], env=env, capture_output=True, text=True, check=False
    )


def test_cli_prepare_list_and_strict(tmp_path):
    root = make_root(tmp_path)
    done = _cli(root, "prepare", "tl2030")
    assert done.returncode == 0, done.stderr
    assert (root / "data" / "processed" / "tl2030" / "stations.parquet").exists()
    listing = _cli(root, "list")
    assert listing.returncode == 0 and "tl2030" in listing.stdout

    root2 = make_root(tmp_path / "b", where="url")
    # Point the download at an unreachable address so the test never touches the network.
    cat = yaml.safe_load((root2 / "config" / "datasets.yml").read_text(encoding="utf-8"))
    cat["tl2030"]["url"] = "http://127.0.0.1:9/tl2030.csv"
    (root2 / "config" / "datasets.yml").write_text(yaml.safe_dump(cat), encoding="utf-8")
    skipped = _cli(root2, "prepare", "tl2030")
    assert skipped.returncode == 0 and "skipped" in skipped.stdout and "tl2030.csv" in skipped.stdout
    assert len(skipped.stdout.strip().splitlines()) == 1
    strict = _cli(root2, "prepare", "tl2030", "--strict")
    assert strict.returncode == 1 and "tl2030.csv" in strict.stderr


@pytest.mark.dataset
def test_pl2020r1_prepare_is_byte_identical_on_rerun(tmp_path, mirror):
    root = tmp_path / "proj"
    shutil.copytree(paths.CONFIG, root / "config")
    out = datasets.prepare("pl2020r1", strict=True, root=root, mirror=mirror)
    first = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    datasets.prepare("pl2020r1", strict=True, root=root, mirror=mirror)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == first
    acc = pd.read_csv(out / "row_accounting.csv", keep_default_na=False)
    assert acc.query("stage == 'flagged'")["rows"].tolist() == [4]


# ----------------------------------------------------------------------------- adapter registry


def test_adapters_are_found_in_the_registry():
    from analysis.core import registry
    from analysis.data.adapters import generic_csv, kz2011_osce, pl_pkw, ru_cec

    assert registry.ADAPTERS["ru_cec"] is ru_cec.adapt
    assert registry.ADAPTERS["pl_pkw"] is pl_pkw.adapt
    assert registry.ADAPTERS["generic_csv"] is generic_csv.adapt
    assert registry.ADAPTERS["kz2011_osce"] is kz2011_osce.adapt
    assert datasets.embedded_adapters() == {"kz2011_osce"}
    for entry in datasets.load_catalog().values():
        assert entry["adapter"] in registry.ADAPTERS


def test_unknown_adapter_in_catalog_is_an_error_listing_the_known_ones(tmp_path):
    root = make_root(tmp_path)
    cat = yaml.safe_load((root / "config" / "datasets.yml").read_text(encoding="utf-8"))
    cat["tl2030"]["adapter"] = "generic_cvs"
    (root / "config" / "datasets.yml").write_text(yaml.safe_dump(cat), encoding="utf-8")
    with pytest.raises(config.ConfigError, match=r"'generic_cvs'.*generic_csv, kz2011_osce, pl_pkw, ru_cec"):
        datasets.load_catalog(root)


def test_adapter_module_that_fails_to_import_is_an_error(tmp_path):
    # A copy of the package with one broken adapter module: the first use of the adapters
    # (datasets.adapters(), which reading the catalog and every preparation call) must fail and
    # name the module, not carry on without that adapter. Importing datasets alone imports no
    # adapter: the notebooks only read prepared tables.
    src = tmp_path / "src"
    shutil.copytree(Path(datasets.__file__).parents[2], src, ignore=shutil.ignore_patterns("__pycache__"))
    (src / "analysis" / "data" / "adapters" / "broken_adapter.py").write_text(
        "import no_such_module_xyz\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", "import analysis.data.datasets as d; d.adapters()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert (
        "analysis.data.adapters.broken_adapter failed to import" in done.stderr and "no_such_module_xyz" in done.stderr
    )
