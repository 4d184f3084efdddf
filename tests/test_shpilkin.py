"""Shpilkin's excess-vote estimate: hand-worked bins, recovery of injected ballot stuffing on
synthetic elections (analysis.synthetic.simulate: the truth is the leader's votes before the
fraud), zero on clean elections, the bootstrap, and Poland 2020 (real data)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.stats import measures, shpilkin
from analysis.synthetic import simulate


def _toy(n=20000):
    return simulate.scenario_from_dict(
        {
            "name": "toy",
            "n_stations": n,
            "candidates": {"leader": "A", "others": {"B": 1, "C": 1}},
            "size": {"kind": "lognormal", "log_mean": 6.9, "log_sd": 0.5, "minimum": 100, "maximum": 4000},
            "turnout_sd": 0.08,
            "leader_sd": 0.08,
            "invalid_rate": 0.01,
            "regions": [{"name": "R", "weight": 1, "turnout_mean": 0.55, "leader_mean": 0.45}],
        }
    )


def _truth(e):
    """Injected leader votes and ballots counted of a synthetic election."""
    lead = measures.leader_votes(e.stations, e.votes, e.leader)
    counted = float((e.stations["valid"] + e.stations["invalid"]).sum())
    return float(lead.sum() - e.honest_leader_votes.sum()), counted


def test_hand_worked_bins():
    # Two stations in 10-point bins: turnout 60 % (400 others: the others' mode, so the peak is
    # that bin's centre, 65 %, and the ratio there is 200 / 400 = 0.5) and 72.5 % (bin 70-80 %,
    # above the peak): its clean leader votes are 0.5 × 150 = 75 of the observed 575.
    r = shpilkin.shpilkin_estimate(
        np.array([1000, 1000]),
        np.array([200, 575]),
        np.array([400, 150]),
        bin_width=0.1,
        smoothing=0.0,
        peak_halfwidth=0.0,
        min_stations=1,
    )
    assert r.peak_turnout == pytest.approx(0.65)
    assert r.peak_ratio == pytest.approx(0.5)
    assert r.excess_votes == pytest.approx(575 - 75)
    # ballots per other vote at the peak: 600 / 400 = 1.5; clean ballots 225 of the observed 725
    assert r.excess_turnout == pytest.approx(725 - 1.5 * 150)
    assert r.excess_turnout_points == pytest.approx(100 * 500 / 2000)
    assert r.clean_share == pytest.approx((775 - 500) / (1325 - 500))
    np.testing.assert_allclose(r.clean_leader_by_bin[5:9], [0, 200, 75, 0])  # bins 50-60 … 80-90 %
    # A window of ± 10 points takes both bins into the ratio: r = 775 / 550.
    wide = shpilkin.shpilkin_estimate(
        np.array([1000, 1000]),
        np.array([200, 575]),
        np.array([400, 150]),
        bin_width=0.1,
        smoothing=0.0,
        peak_halfwidth=0.1,
        min_stations=1,
    )
    assert wide.peak_ratio == pytest.approx(775 / 550)
    assert wide.excess_votes == pytest.approx(575 - 775 / 550 * 150)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_injected_ballot_stuffing(seed):
    # Ballot stuffing that takes stations far above the peak (Klimek et al.'s extreme fraud with
    # no vote transfer: α = 200 makes x**α ≈ 0) in 3 % of stations: 2-3 % of the votes.
    e = simulate.simulate_election(_toy(), seed, fraud={"extreme": {"magnitude": 0.03, "alpha": 200}})
    injected, counted = _truth(e)
    assert injected / counted >= 0.02
    r = shpilkin.shpilkin_tables(e.stations, e.votes, e.leader, n_bootstrap=100, seed=seed)
    assert abs(r.excess_votes - injected) <= 0.10 * injected
    stuffed = float(e.stations["ballots_issued"].sum() - e.honest_ballots_issued.sum())
    assert abs(r.excess_turnout - stuffed) <= 0.10 * stuffed
    assert r.excess_votes_low < r.excess_votes < r.excess_votes_high


def test_diffuse_incremental_stuffing_is_underestimated():
    # A known property of the method: stuffing that keeps stations near the clean peak moves the
    # peak itself and is counted as clean (here 2 % of the votes, < 20 % of it found). The
    # estimate is a lower bound for such fraud, not a recovery.
    e = simulate.simulate_election(_toy(), 4, fraud={"incremental": {"magnitude": 0.3, "alpha": 200, "theta": 0.1}})
    injected, counted = _truth(e)
    r = shpilkin.shpilkin_tables(e.stations, e.votes, e.leader)
    assert injected / counted > 0.015
    assert r.excess_votes < 0.2 * injected


def test_clean_elections_have_no_excess():
    # Five clean elections: each estimate within 0.5 % of the votes of zero, and the 95 %
    # intervals contain zero in at least 4 (fails with probability < 3 % for honest intervals).
    covered = 0
    for seed in range(100, 105):
        e = simulate.simulate_election(_toy(), seed)
        r = shpilkin.shpilkin_tables(e.stations, e.votes, e.leader, n_bootstrap=100, seed=seed)
        counted = float((e.stations["valid"] + e.stations["invalid"]).sum())
        assert abs(r.excess_votes) / counted < 0.005
        assert r.clean_share == pytest.approx(r.leader_share, abs=0.005)
        covered += r.excess_votes_low <= 0 <= r.excess_votes_high
    assert covered >= 4


def test_bootstrap_is_seeded_and_independent_of_the_chunk_size():
    e = simulate.simulate_election(_toy(3000), 7, fraud={"extreme": {"magnitude": 0.05, "alpha": 200}})
    a = shpilkin.shpilkin_tables(e.stations, e.votes, e.leader, n_bootstrap=30, seed=1, chunk=30)
    b = shpilkin.shpilkin_tables(e.stations, e.votes, e.leader, n_bootstrap=30, seed=1, chunk=30)
    c = shpilkin.shpilkin_tables(e.stations, e.votes, e.leader, n_bootstrap=30, seed=2, chunk=30)
    np.testing.assert_array_equal(a.bootstrap, b.bootstrap)
    assert not np.array_equal(a.bootstrap, c.bootstrap)
    assert a.bootstrap.shape == (3, 30)
    assert np.ptp(a.bootstrap[0]) > 0


def test_bootstrap_matches_a_loop_over_resamples():
    # Independent check of the vectorised resampling: the same multiplicities applied one
    # resample at a time through the point estimator.
    e = simulate.simulate_election(_toy(2000), 8, fraud={"extreme": {"magnitude": 0.05, "alpha": 200}})
    st = e.stations
    lead = measures.leader_votes(st, e.votes, e.leader)
    reg, oth, inv = st["registered"].to_numpy(float), st["valid"].to_numpy(float) - lead, st["invalid"].to_numpy(float)
    res = shpilkin.shpilkin_estimate(reg, lead, oth, inv, n_bootstrap=5, seed=3, chunk=5)
    rng = np.random.default_rng(3)
    n = reg.size
    idx = rng.integers(0, n, (5, n))
    for k in range(5):
        one = shpilkin.shpilkin_estimate(reg[idx[k]], lead[idx[k]], oth[idx[k]], inv[idx[k]])
        assert res.bootstrap[0, k] == pytest.approx(one.excess_votes, rel=1e-9, abs=1e-6)
        assert res.bootstrap[2, k] == pytest.approx(one.clean_share, rel=1e-9)


def test_by_region_finds_the_stuffed_region():
    scen = simulate.scenario_from_dict(
        {
            "name": "two",
            "n_stations": 6000,
            "candidates": {"leader": "A", "others": {"B": 1}},
            "regions": [
                {"name": "clean", "weight": 1, "turnout_mean": 0.5, "leader_mean": 0.4},
                {"name": "other", "weight": 1, "turnout_mean": 0.6, "leader_mean": 0.4},
            ],
        }
    )
    e = simulate.simulate_election(scen, 9, fraud={"extreme": {"magnitude": 0.05, "alpha": 200}})
    table = shpilkin.shpilkin_by_region(e.stations, e.votes, e.leader)
    assert set(table["region"]) == {"clean", "other"}
    assert table["excess_votes"].sum() == pytest.approx(_truth(e)[0], rel=0.15)


def test_too_few_stations_is_an_error():
    with pytest.raises(ValueError, match="too few"):
        shpilkin.shpilkin_estimate(np.full(5, 1000), np.full(5, 300), np.full(5, 300))


@pytest.mark.dataset
def test_poland_2020_has_no_excess(processed_election):
    # Poland 2020 is the clean control. Duda's share falls with turnout for honest reasons (big
    # cities vote more and for his opponents), so the signed estimate is negative, not ≈ 0: the
    # method finds no excess votes for the leader, and its clean share is above the observed one.
    stations, votes = processed_election("pl2020r1")
    r = shpilkin.shpilkin_tables(stations, votes, "Duda")
    assert r.excess_votes < 0
    assert r.clean_share > r.leader_share
    lead = measures.leader_votes(stations, votes, "Duda")
    counted = measures.ballots_counted(stations)
    t = counted / stations["registered"].to_numpy(float)
    low, high = t < r.peak_turnout, t > r.peak_turnout + 0.1
    share_low = lead[low].sum() / counted[low].sum()
    share_high = lead[high].sum() / counted[high].sum()
    assert share_high < share_low  # the stated reason
