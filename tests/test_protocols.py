"""Protocol arithmetic: exactly the injected rows of a synthetic protocol table are flagged;
the Russian 2011 reference figures are reproduced; Kazakhstan footnote-121 comparison."""

import numpy as np
import pandas as pd
import pytest

from analysis.data.schema import COUNT_COLUMNS
from analysis.stats import protocols

N = 300


def clean_table(seed=1):
    """Stations whose protocols satisfy every identity (ballots in boxes = issued)."""
    rng = np.random.default_rng(seed)
    registered = rng.integers(200, 3000, N)
    early = rng.integers(0, 20, N)
    in_station = (registered * rng.uniform(0.3, 0.8, N)).astype(int)
    mobile = rng.integers(0, 30, N)
    issued = early + in_station + mobile
    cancelled = rng.integers(10, 200, N)
    received = issued + cancelled
    portable = mobile.copy()
    stationary = early + in_station
    invalid = rng.integers(0, 15, N)
    valid = issued - invalid
    a = (valid * rng.uniform(0.2, 0.7, N)).astype(int)
    b = valid - a
    st = pd.DataFrame(
        {
            "election": "syn",
            "region": np.where(np.arange(N) < N // 2, "North", "South"),
            "district": "d",
            "station": [str(i) for i in range(N)],
            "station_type": "ordinary",
            "registered": registered,
            "ballots_received": received,
            "ballots_issued_early": early,
            "ballots_issued_in_station": in_station,
            "ballots_issued_mobile": mobile,
            "ballots_cancelled": cancelled,
            "ballots_in_portable_boxes": portable,
            "ballots_in_stationary_boxes": stationary,
            "invalid": invalid,
            "valid": valid,
            "lost": np.zeros(N, int),
            "unaccounted": np.zeros(N, int),
        }
    )
    votes = {"A": a, "B": b}
    return st, votes


def finish(st, votes):
    st = st.copy()
    for c in COUNT_COLUMNS:
        st[c] = st[c].astype("Int64")
    st["ballots_issued"] = st["ballots_issued_early"] + st["ballots_issued_in_station"] + st["ballots_issued_mobile"]
    st["ballots_in_boxes"] = st["ballots_in_portable_boxes"] + st["ballots_in_stationary_boxes"]
    st["flag"] = ""
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "election": "syn",
                    "region": st["region"],
                    "district": "d",
                    "station": st["station"],
                    "candidate": c,
                    "votes": pd.array(v, dtype="Int64"),
                }
            )
            for c, v in votes.items()
        ],
        ignore_index=True,
    )
    return st, long


def injected():
    st, votes = clean_table()
    expected = {name: set() for name in protocols.IDENTITY_NAMES}
    # Stock short of the protocol only until lost ballots are counted.
    for i in (3, 77):
        st.loc[i, "lost"] = 4
        st.loc[i, "ballots_received"] += 4
        expected["received_issued_cancelled"].add(i)
    # Stock wrong even with lost / unaccounted.
    for i in (10, 150):
        st.loc[i, "ballots_received"] += 7
        expected["received_issued_cancelled"].add(i)
        expected["received_issued_cancelled_lost_unaccounted"].add(i)
    # Unaccounted ballots found on receipt balance a larger stock: fails only the short identity.
    st.loc[20, "unaccounted"] = 5
    st.loc[20, "ballots_received"] -= 5
    expected["received_issued_cancelled"].add(20)
    # Votes that do not add up to the valid ballots.
    votes["A"][42] += 3
    expected["valid_sum_candidates"].add(42)
    # Ballots missing from the stationary box: box != valid + invalid (and box < issued is allowed).
    st.loc[55, "ballots_in_stationary_boxes"] -= 2
    expected["boxes_valid_invalid"].add(55)
    # Ballots taken away: issued > valid + invalid, box consistent with the count.
    for i in (60, 61):
        st.loc[i, "ballots_issued_in_station"] += 3
        st.loc[i, "ballots_cancelled"] -= 3
        st.loc[i, "ballots_in_stationary_boxes"] += 0
        expected["issued_valid_invalid"].add(i)
    # Stuffing: more ballots in the box than issued (counted as invalid, so box = valid + invalid).
    st.loc[200, "ballots_in_stationary_boxes"] += 6
    st.loc[200, "invalid"] += 6
    expected["boxes_gt_issued"].add(200)
    expected["issued_valid_invalid"].add(200)
    # More ballots issued than voters on the list.
    st.loc[250, "registered"] = (
        int(st.loc[250, ["ballots_issued_early", "ballots_issued_in_station", "ballots_issued_mobile"]].sum()) - 1
    )
    expected["issued_gt_registered"].add(250)
    st, long = finish(st, votes)
    return st, long, expected


def test_flags_exactly_the_injected_rows():
    st, votes, expected = injected()
    checks = protocols.check_protocols(st, votes)
    for name in protocols.IDENTITY_NAMES:
        got = set(checks.failing(name)["station"].astype(int))
        assert got == expected[name], name
        assert checks.n_failed(name) == len(expected[name])
        assert checks.n_evaluable(name) == N
    d = checks.discrepancy
    assert d.loc[3, "received_issued_cancelled"] == 4
    assert d.loc[10, "received_issued_cancelled_lost_unaccounted"] == 7
    assert d.loc[20, "received_issued_cancelled"] == -5
    assert d.loc[42, "valid_sum_candidates"] == -3
    assert d.loc[55, "boxes_valid_invalid"] == -2
    assert d.loc[200, "boxes_gt_issued"] == 6
    assert d.loc[250, "issued_gt_registered"] == 1
    # Non-failing inequality rows have a discrepancy <= 0.
    assert (d["boxes_gt_issued"].drop(index=200) <= 0).all()


def test_results_keys_and_region_table():
    st, votes, expected = injected()
    checks = protocols.check_protocols(st, votes)
    res = checks.results_mapping()
    for key in (
        "fail_received_issued_cancelled",
        "fail_received_issued_cancelled_lost_unaccounted",
        "fail_boxes_gt_issued",
        "fail_valid_sum_candidates",
        "fail_boxes_valid_invalid",
        "fail_issued_gt_registered",
        "n_stations",
    ):
        assert key in res
    assert res["fail_received_issued_cancelled"] == 5 and res["n_stations"] == N
    assert res["rate_received_issued_cancelled"] == pytest.approx(5 / N)
    reg = checks.by_region().set_index(["region", "identity"])
    # North holds stations 0..149, South 150..299.
    assert reg.loc[("North", "received_issued_cancelled"), "n_failed"] == 4
    assert reg.loc[("South", "received_issued_cancelled"), "n_failed"] == 1
    assert reg.loc[("South", "issued_gt_registered"), "fail_rate"] == pytest.approx(1 / 150)
    assert reg["n_failed"].groupby(level="identity").sum().to_dict() == {k: len(v) for k, v in expected.items()}
    per = checks.per_station()
    assert per.loc[200, "n_identities_failed"] == 2


def test_missing_inputs_are_not_evaluable_not_failures():
    st, votes, _ = injected()
    st.loc[10, "ballots_received"] = pd.NA  # one of the injected failures becomes unknowable
    st["lost"] = pd.array([pd.NA] * N, dtype="Int64")  # a source without the lost line
    votes = votes.copy()
    votes.loc[(votes["station"] == "42") & (votes["candidate"] == "B"), "votes"] = pd.NA  # a missing figure
    checks = protocols.check_protocols(st, votes)
    assert checks.n_evaluable("received_issued_cancelled") == N - 1
    assert 10 not in set(checks.failing("received_issued_cancelled")["station"].astype(int))
    assert checks.n_evaluable("received_issued_cancelled_lost_unaccounted") == 0
    assert checks.n_failed("received_issued_cancelled_lost_unaccounted") == 0
    assert checks.n_evaluable("valid_sum_candidates") == N - 1
    assert pd.isna(checks.failed.loc[42, "valid_sum_candidates"])
    assert np.isnan(checks.fail_rate("received_issued_cancelled_lost_unaccounted"))
    no_votes = protocols.check_protocols(st)
    assert no_votes.n_evaluable("valid_sum_candidates") == 0


def test_postal_ballots_count_as_issued_for_box_and_register_checks():
    st, votes, _ = injected()
    st = st.iloc[:5].copy()
    votes = votes[votes["station"].isin(st["station"])]
    # Poland-like: 10 postal ballots in the box at station 0, recorded in ballots_issued_postal.
    st["ballots_issued_postal"] = pd.array([10, 0, 0, 0, 0], dtype="Int64")
    st.loc[0, "ballots_in_stationary_boxes"] += 10
    st.loc[0, "ballots_in_boxes"] += 10
    st.loc[0, "invalid"] += 10
    checks = protocols.check_protocols(st, votes)
    assert checks.n_failed("boxes_gt_issued") == 0  # 10 more in the box, 10 more handed out by post
    assert checks.n_failed("received_issued_cancelled") == 1  # station 3 (lost ballots) only
    assert checks.n_failed("issued_valid_invalid") == 0


def test_identities_have_names_and_one_line_formulas():
    for ident in protocols.IDENTITIES:
        assert ident.name.isidentifier() and "\n" not in ident.formula and ident.kind in ("equality", "inequality")


# ------------------------------------------------------------------------- Kazakhstan footnote 121


def kz_fixture():
    rows = [
        # pec, dec, region, item, dec_figure, pec_figure, dec_minus_pec
        ("1", "D1", "R", "Nazarbayev", 100, 80, 20),
        ("1", "D1", "R", "Kasymov", 10, 25, -15),
        ("1", "D1", "R", "Akhmetbekov", 5, 10, -5),
        ("1", "D1", "R", "invalid", 3, 3, 0),
        ("2", "D2", "R", "Nazarbayev", 50, 50, 0),
        ("2", "D2", "R", "Kasymov", 9, 12, -3),
        ("2", "D2", "R", "Akhmetbekov", None, None, None),
        ("3", "D3", "Q", "Nazarbayev", None, None, 40),  # only the difference printed
        ("3", "D3", "Q", "Kasymov", None, None, None),
        ("3", "D3", "Q", "invalid", None, None, -40),
    ]
    df = pd.DataFrame(rows, columns=["pec", "dec", "region", "item", "dec_figure", "pec_figure", "dec_minus_pec"])
    for c in ("dec_figure", "pec_figure", "dec_minus_pec"):
        df[c] = df[c].astype("Int64")
    return df


def test_dec_vs_pec_differences_and_net_shift():
    res = protocols.compare_dec_pec(kz_fixture(), "Nazarbayev")
    per = res.stations.set_index("pec")
    # Hand-worked: PEC 1: +20 - (-15 - 5) = 40; PEC 2: 0 - (-3) = 3; PEC 3: +40 - 0 = 40.
    assert per.loc["1", "net_shift"] == 40 and per.loc["2", "net_shift"] == 3 and per.loc["3", "net_shift"] == 40
    assert per.loc["2", "n_candidates_compared"] == 2 and per.loc["3", "n_candidates_compared"] == 1
    assert res.net_shift_total == 83
    assert res.items.loc[7, "difference"] == 40
    assert res.sign_test.n == 3 and res.sign_test.statistic == 3
    assert res.sign_test.pvalue == pytest.approx(2 * 0.5**3)
    bad = kz_fixture()
    bad.loc[0, "dec_minus_pec"] = 21
    with pytest.raises(ValueError, match="PEC 1"):
        protocols.compare_dec_pec(bad, "Nazarbayev")
    with pytest.raises(ValueError, match="Tokayev"):
        protocols.compare_dec_pec(kz_fixture(), "Tokayev")


def test_sign_test_against_hand_computation():
    # n = 4 non-zero shifts, 3 positive: P = 2 * P(X >= 3 | Bin(4, 1/2)) = 2 * 5/16.
    res = protocols.sign_test([5, 3, -1, 2, 0, np.nan])
    assert (res.n, res.statistic) == (4, 3)
    assert res.pvalue == pytest.approx(0.625)
    assert protocols.sign_test([1] * 6).pvalue == pytest.approx(2 / 64)
    assert np.isnan(protocols.sign_test([0, 0]).pvalue)
    # One-sided: P(X >= 3) = 5/16 towards the incumbent, P(X <= 3) = 15/16 away from him.
    assert protocols.sign_test([5, 3, -1, 2], alternative="greater").pvalue == pytest.approx(5 / 16)
    assert protocols.sign_test([5, 3, -1, 2], alternative="less").pvalue == pytest.approx(15 / 16)
    assert res.as_dict("sign_") == {"sign_statistic": 3, "sign_pvalue": res.pvalue, "sign_n": 4}


def test_review_beside_reference_rates():
    review = pd.DataFrame(
        {
            "level": ["PEC", "PEC", "PEC"],
            "formula_id": [
                "received_eq_issued_plus_cancelled",
                "received_ballots_eq_valid_plus_invalid",
                "by_commissioner_filled_in",
            ],
            "formula": ["a", "b", "c"],
            "n_reviewed": [333, 333, 333],
            "n_failed": pd.array([10, 17, 72], dtype="Int64"),
        }
    )
    ref = {"rate_received_issued_cancelled": 0.005, "rate_issued_valid_invalid": 0.12}
    out = protocols.review_beside_reference(review, ref)
    assert out["fail_rate"].tolist() == pytest.approx([10 / 333, 17 / 333, 72 / 333])
    assert out["reference_rate"].tolist()[:2] == [0.005, 0.12] and np.isnan(out["reference_rate"].iloc[2])
    assert out["identity"].tolist() == ["received_issued_cancelled", "issued_valid_invalid", None]
    assert np.isnan(protocols.review_beside_reference(review, None)["reference_rate"]).all()


def test_figures_draw_from_results():
    from analysis.report.plotting import protocols as protoplot

    st, votes, _ = injected()
    checks = protocols.check_protocols(st, votes)
    fig = protoplot.plot_discrepancies(checks, "Synthetic")
    assert "Synthetic" in fig._suptitle.get_text()
    fig = protoplot.plot_region_failure_rates(checks.by_region(), "Synthetic")
    assert all(ax.get_xlabel() for ax in fig.axes)
    fig = protoplot.plot_dec_vs_pec(protocols.compare_dec_pec(kz_fixture(), "Nazarbayev"))
    assert fig.axes[0].get_ylabel()


# ------------------------------------------------------------------------- real data


@pytest.mark.dataset
def test_russia_2011_reference_figures(processed_election):
    stations, votes = processed_election("ru2011")
    checks = protocols.check_protocols(stations, votes)
    assert checks.n_failed("received_issued_cancelled") == 463
    assert checks.n_failed("received_issued_cancelled_lost_unaccounted") == 0
    assert checks.n_failed("boxes_gt_issued") == 18
    assert checks.n_failed("valid_sum_candidates") == 0
    assert checks.n_failed("boxes_valid_invalid") == 0
    assert checks.n_evaluable("valid_sum_candidates") == 95_225


@pytest.mark.dataset
def test_poland_2020_checks_skip_the_missing_rows(processed_election):
    stations, votes = processed_election("pl2020r1")
    checks = protocols.check_protocols(stations, votes)
    assert checks.n_evaluable("boxes_valid_invalid") == 27_225
    assert checks.n_failed("valid_sum_candidates") == 0 and checks.n_failed("boxes_valid_invalid") == 0
    assert checks.n_evaluable("received_issued_cancelled_lost_unaccounted") == 0
    # Column 25 vs in-person (15) + postal envelopes (24): the shared README's 1,713 mismatches.
    assert checks.n_failed("issued_valid_invalid") == 1_713
