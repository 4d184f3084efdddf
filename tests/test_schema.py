"""Canonical table schemas: valid tables pass; bad ones fail naming table, row and column."""

import pandas as pd
import pytest

from analysis.data import schema


def _stations(n=3):
    df = pd.DataFrame(
        {
            "election": pd.Series(["t"] * n, dtype="str"),
            "region": pd.Series(["R"] * n, dtype="str"),
            "district": pd.Series(["D"] * n, dtype="str"),
            "station": pd.Series([str(i + 1) for i in range(n)], dtype="str"),
            "station_type": pd.Series(["ordinary"] * n, dtype="str"),
        }
    )
    for c in schema.COUNT_COLUMNS + schema.DERIVED_COUNT_COLUMNS:
        df[c] = pd.array([10] * n, dtype="Int64")
    df["lost"] = pd.array([pd.NA] * n, dtype="Int64")  # a line the source lacks
    df["flag"] = pd.Series([""] * n, dtype="str")
    df["extra_column"] = 1  # source-specific extras are allowed
    return df


def _votes():
    return pd.DataFrame(
        {
            "election": ["t", "t"],
            "region": ["R", "R"],
            "district": ["D", "D"],
            "station": ["1", "1"],
            "candidate": ["A", "B"],
            "votes": pd.array([3, pd.NA], dtype="Int64"),
        }
    ).astype({c: "str" for c in schema.KEY + ["candidate"]})


def test_valid_tables_pass():
    out = schema.validate_stations(_stations())
    assert len(out) == 3
    assert len(schema.validate_votes(_votes())) == 2


def test_negative_count_names_table_row_and_column():
    df = _stations()
    df.loc[1, "registered"] = -5
    with pytest.raises(schema.TableValidationError) as err:
        schema.validate_stations(df, source="demo.csv")
    msg = str(err.value)
    assert msg.startswith("table stations (demo.csv): 1 schema failure(s)")
    assert "row 1" in msg and "station='2'" in msg
    assert "'registered'" in msg and "-5" in msg


def test_unknown_station_type_rejected():
    df = _stations()
    df.loc[2, "station_type"] = "bunker"
    with pytest.raises(schema.TableValidationError, match=r"row 2 .*'station_type'"):
        schema.validate_stations(df)


def test_float_counts_rejected():
    df = _stations()
    df["valid"] = df["valid"].astype(float)
    with pytest.raises(schema.TableValidationError, match="'valid'"):
        schema.validate_stations(df)


def test_duplicate_station_key_rejected():
    df = _stations()
    df.loc[1, "station"] = "1"
    with pytest.raises(schema.TableValidationError, match="row 0 .*station='1'"):
        schema.validate_stations(df)


def test_missing_canonical_column_named():
    with pytest.raises(schema.TableValidationError, match="ballots_in_boxes"):
        schema.validate_stations(_stations().drop(columns="ballots_in_boxes"))


def test_votes_schema_rejects_duplicates_and_unknown_columns():
    v = _votes()
    v.loc[1, "candidate"] = "A"
    with pytest.raises(schema.TableValidationError, match="table votes"):
        schema.validate_votes(v)
    v = _votes()
    v["share"] = 0.5
    with pytest.raises(schema.TableValidationError, match="share"):
        schema.validate_votes(v)
