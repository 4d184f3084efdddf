"""Synthetic elections: reproducibility, canonical schema, protocol identities, honest means,
and that each fraud injection does what it says with the magnitude it is given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core import canonical
from analysis.data import kz2011, schema
from analysis.stats import measures
from analysis.synthetic import simulate
from analysis.synthetic.simulate.scenario import _truncnorm_location


@pytest.fixture(scope="module")
def kz():
    return simulate.load_scenario("kz2011-like", use_reference=False)


def _small(n=3000):
    return simulate.scenario_from_dict(
        {
            "name": "toy",
            "n_stations": n,
            "candidates": {"leader": "A", "others": {"B": 2, "C": 1}},
            "size": {"kind": "lognormal", "log_mean": 6.5, "log_sd": 0.5, "minimum": 50, "maximum": 3000},
            "turnout_sd": 0.08,
            "leader_sd": 0.08,
            "invalid_rate": 0.02,
            "mobile_rate": 0.05,
            "early_rate": 0.01,
            "regions": [
                {"name": "North", "weight": 1, "turnout_mean": 0.55, "leader_mean": 0.45},
                {"name": "South", "weight": 2, "turnout_mean": 0.65, "leader_mean": 0.55},
            ],
            "special": {
                "military": {
                    "count": 100,
                    "turnout_mean": 0.9,
                    "turnout_sd": 0.05,
                    "size": {"median": 300, "log_sd": 0.5},
                }
            },
        }
    )


def _leader(e):
    return measures.leader_votes(e.stations, e.votes, e.leader)


def _check_identities(st: pd.DataFrame, votes: pd.DataFrame):
    f = {c: st[c].to_numpy(dtype=np.int64) for c in simulate.COUNT_COLUMNS}
    assert np.array_equal(f["ballots_received"], f["ballots_issued"] + f["ballots_cancelled"])
    assert np.array_equal(
        f["ballots_issued"], f["ballots_issued_early"] + f["ballots_issued_in_station"] + f["ballots_issued_mobile"]
    )
    assert np.array_equal(f["ballots_in_boxes"], f["ballots_in_portable_boxes"] + f["ballots_in_stationary_boxes"])
    assert np.array_equal(f["ballots_in_boxes"], f["valid"] + f["invalid"])
    assert (f["ballots_issued"] <= f["registered"]).all()
    for c in simulate.COUNT_COLUMNS:
        assert (f[c] >= 0).all(), c
    per_station = votes.groupby("station", sort=False)["votes"].sum().reindex(st["station"]).to_numpy(dtype=np.int64)
    assert np.array_equal(per_station, f["valid"])


def test_same_seed_same_tables_and_different_seed_differs():
    sc = _small()
    a, b, c = (simulate.simulate_election(sc, s, fraud={"incremental": 0.3}) for s in (7, 7, 8))
    pd.testing.assert_frame_equal(a.stations, b.stations)
    pd.testing.assert_frame_equal(a.votes, b.votes)
    assert not a.stations["valid"].equals(c.stations["valid"])


def test_canonical_schema_and_identities(kz):
    e = simulate.simulate_election(
        kz,
        1,
        fraud={
            "incremental": 0.2,
            "extreme": 0.02,
            "rounding": 0.05,
            "protocol_rewrite": 0.1,
            "special_full_turnout": 0.5,
        },
    )
    schema.validate_stations(e.stations)
    schema.validate_votes(e.votes)
    assert list(e.stations.columns) == list(schema.STATION_COLUMNS) == canonical.STATION_COLUMNS
    _check_identities(e.stations, e.votes)


def test_kz_scenario_matches_report(kz):
    # Section V / footnote 31 of the OSCE/ODIHR report and the annex (national turnout 89.99 %).
    e = simulate.simulate_election(kz, 11)
    st = e.stations
    assert len(st) == 9725 and st["region"].nunique() == 16
    counts = st["station_type"].value_counts()
    assert counts["military"] == 146 and counts["abroad"] == 35 and counts["institution"] == 269 + 75
    turnout = st["ballots_issued"].sum() / st["registered"].sum()
    assert abs(turnout - 0.8999) < 0.006
    assert abs(st["registered"].sum() - 9_200_298) / 9_200_298 < 0.05
    # Regional leader share (of valid votes) reproduces the annex within sampling error.
    annex = {
        "Akmola": 431451 / (5430 + 3545 + 8301 + 431451),
        "Almaty city": 598986 / (22483 + 14703 + 23142 + 598986),
        "South Kazakhstan": 1055240 / (16970 + 9807 + 19946 + 1055240),
    }
    lv = _leader(e)
    g = (
        pd.DataFrame({"region": st["region"], "lv": lv, "valid": st["valid"].to_numpy(dtype=float)})
        .groupby("region")
        .sum()
    )
    for region, share in annex.items():
        assert abs(g.loc[region, "lv"] / g.loc[region, "valid"] - share) < 0.004, region


def test_kz_scenario_leader_means_agree_with_processed_annex(kz, tmp_path):
    # Built from the committed raw transcription, so the test runs in a fresh clone too.
    kz2011.build_processed(out_dir=tmp_path)
    long = kz2011.load_processed("votes_by_region", processed_dir=tmp_path)
    wide = long.pivot_table(index="region", columns="candidate", values="votes", aggfunc="sum")
    leader_col = [c for c in wide.columns if "Nazarbayev" in str(c)]
    assert leader_col
    share = wide[leader_col[0]] / wide.sum(axis=1)
    ours = dict(zip(kz.region_names, kz.region_leader))
    assert sorted(ours) == sorted(share.index.astype(str))
    for region, value in share.items():
        assert abs(ours[str(region)] - value) < 5e-4, region


def test_truncnorm_location_gives_requested_mean():
    rng = np.random.default_rng(0)
    for target, sd in ((0.96, 0.03), (0.5, 0.1), (0.93, 0.05)):
        mu = _truncnorm_location([target], sd)[0]
        draws = rng.normal(mu, sd, 2_000_000)
        draws = draws[(draws >= 0) & (draws <= 1)]  # rejection sampling: an independent check
        assert abs(draws.mean() - target) < 1e-3


def test_zero_magnitude_changes_nothing():
    sc = _small()
    honest = simulate.simulate_election(sc, 3)
    for ftype in simulate.FRAUD_TYPES:
        e = simulate.simulate_election(sc, 3, fraud={ftype: 0.0})
        pd.testing.assert_frame_equal(e.stations, honest.stations)
        assert not e.fraud_mask[ftype].any()


def test_incremental_fraud_magnitude():
    sc = _small(20000)
    theta, fi = 0.1, 0.4
    e = simulate.simulate_election(sc, 5, fraud={"incremental": {"magnitude": fi, "theta": theta, "alpha": 2.0}})
    mask = e.fraud_mask["incremental"]
    n = mask.size
    assert abs(mask.mean() - fi) < 4 * np.sqrt(fi * (1 - fi) / n)
    issued = e.stations["ballots_issued"].to_numpy(dtype=np.int64)
    registered = e.stations["registered"].to_numpy(dtype=np.int64)
    stuffed = issued - e.honest_ballots_issued
    assert (stuffed[~mask] == 0).all() and (stuffed >= 0).all()
    # E[stuffed] = non-voters · E|N(0, θ)| = non-voters · θ·sqrt(2/π)
    expected = ((registered - e.honest_ballots_issued)[mask] * theta * np.sqrt(2 / np.pi)).sum()
    assert abs(stuffed.sum() / expected - 1) < 0.05
    gained = _leader(e) - e.honest_leader_votes
    assert (gained[~mask] == 0).all() and (gained[mask] >= stuffed[mask]).all()


def test_extreme_fraud_pushes_turnout_and_share_to_one():
    sc = _small(10000)
    e = simulate.simulate_election(sc, 6, fraud={"extreme": 0.1})
    mask = e.fraud_mask["extreme"]
    st = e.stations
    t = st["ballots_issued"].to_numpy(float) / st["registered"].to_numpy(float)
    v = _leader(e) / (st["valid"].to_numpy(float) + st["invalid"].to_numpy(float))
    assert np.median(t[mask]) > 0.9 and np.median(v[mask]) > 0.9
    assert np.median(t[~mask]) < 0.7


def test_rounding_hits_integer_percentages():
    sc = _small(5000)
    e = simulate.simulate_election(sc, 8, fraud={"rounding": 1.0})
    st = e.stations
    big = st["registered"].to_numpy() >= 100
    t = 100 * st["ballots_issued"].to_numpy(float) / st["registered"].to_numpy(float)
    v = 100 * _leader(e) / (st["valid"].to_numpy(float) + st["invalid"].to_numpy(float))
    counted = st["valid"].to_numpy(float) + st["invalid"].to_numpy(float)
    hit = big & e.fraud_mask["rounding"]
    # The nearest whole count to the target percentage: at most half a vote away.
    assert (np.abs(t - np.round(t))[hit] <= 50 / st["registered"].to_numpy(float)[hit] + 1e-9).all()
    assert (np.abs(v - np.round(v))[hit] <= 50 / counted[hit] + 1e-9).all()
    # Kobak et al.'s "integer" (within 0.05 point) is then far more common than by chance (~10 %).
    integer = (np.abs(t - np.round(t)) <= 0.05) | (np.abs(v - np.round(v)) <= 0.05)
    assert integer[hit].mean() > 0.4
    _check_identities(st, e.votes)


def test_protocol_rewrite_keeps_turnout_moves_votes():
    sc = _small(5000)
    e = simulate.simulate_election(
        sc, 9, fraud={"protocol_rewrite": {"magnitude": 0.3, "share": 0.5, "invalid_share": 1.0}}
    )
    mask = e.fraud_mask["protocol_rewrite"]
    assert np.array_equal(e.stations["ballots_issued"].to_numpy(np.int64), e.honest_ballots_issued)
    assert (e.stations["invalid"].to_numpy()[mask] == 0).all()
    gained = _leader(e) - e.honest_leader_votes
    assert (gained[~mask] == 0).all() and gained[mask].sum() > 0


def test_special_full_turnout_only_special_stations():
    sc = _small(5000)
    e = simulate.simulate_election(sc, 10, fraud={"special_full_turnout": 1.0})
    st = e.stations
    full = (st["ballots_issued"] == st["registered"]).to_numpy()
    special = (st["station_type"] == "military").to_numpy()
    assert full[special].all()
    assert np.array_equal(e.fraud_mask["special_full_turnout"], special)
    v = _leader(e)[special] / st["valid"].to_numpy(float)[special]
    assert (v == 1.0).all()


def test_bad_fraud_spec_is_rejected():
    sc = _small(200)
    with pytest.raises(ValueError, match="unknown fraud type"):
        simulate.simulate_election(sc, 0, fraud={"stuffing": 0.1})
    with pytest.raises(ValueError, match="magnitude"):
        simulate.simulate_election(sc, 0, fraud={"incremental": 1.5})


def test_95k_stations():
    # Its speed (target 2 s) is printed by bench/bench_calibration.py.
    e = simulate.simulate_election(
        simulate.load_scenario("ru2011-like", use_reference=False), 1, fraud={"incremental": 0.3}
    )
    assert len(e.stations) == 95225
    _check_identities(e.stations, e.votes)


def test_reference_scenario_comes_from_the_prepared_election(tmp_path):
    # A scenario with ``reference:`` takes sizes and regional means from the prepared tables of
    # that election; unprepared, it says so in ``source`` (never downloads).
    from test_distributions import canonical_tables

    def project(name):
        config = tmp_path / name / "config"
        (config / "scenarios").mkdir(parents=True)
        (config / "scenarios" / "toy-ref.yml").write_text(
            "name: toy-ref\nn_stations: 50\ncandidates: {leader: United Russia, others: {B: 1}}\n"
            "regions: [{name: R, weight: 1, turnout_mean: 0.6, leader_mean: 0.5}]\n"
            "reference: {election: ru2011, max_turnout: 0.85, max_leader: 0.8}\n"
        )
        return config

    missing = simulate.load_scenario("toy-ref", config_dir=project("bare"))
    assert missing.source == "parametric (reference ru2011 not prepared)"
    config = project("prepared")
    stations, votes = canonical_tables(np.random.default_rng(3), n_stations=300, n_regions=3, leader="United Russia")
    out = config.parent / "data" / "processed" / "ru2011"
    out.mkdir(parents=True)
    stations.to_parquet(out / "stations.parquet")
    votes.to_parquet(out / "votes.parquet")
    ref = simulate.load_scenario("toy-ref", config_dir=config)
    assert ref.source == "reference" and ref.region_names == ("R0", "R1", "R2")
    assert ref.size.kind == "empirical" and len(ref.size.values) == 300
