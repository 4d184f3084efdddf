from decimal import Decimal

import pytest

from analysis.data.parsing import ParseError, is_missing, parse_decimal, parse_int, parse_percent, parse_spelled_int


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("9,200,298", 9200298),
        ("5,430", 5430),
        ("431,451", 431451),
        ("525", 525),
        ("0", 0),
        ("16970", 16970),
        (" 1,055,240 ", 1055240),
    ],
)
def test_parse_int_good(raw, expected):
    assert parse_int(raw) == expected


def test_parse_int_other_separator():
    assert parse_int("1 055 240", thousands=" ") == 1055240
    assert parse_int("1.055.240", thousands=".") == 1055240


@pytest.mark.parametrize(
    "raw", ["1,6970", "16,97", ",123", "1,,234", "1,234,", "-5", "+5", "5.0", "1 234", "12a", "", "   ", "1,234.5"]
)
def test_parse_int_malformed(raw):
    with pytest.raises(ParseError):
        parse_int(raw)


def test_parse_error_names_file_row_column_and_raw():
    with pytest.raises(ParseError) as info:
        parse_int("1,6970", file="annex.csv", row="South Kazakhstan", column="Akhmetbekov_votes")
    err = info.value
    assert (err.file, err.row, err.column, err.raw) == ("annex.csv", "South Kazakhstan", "Akhmetbekov_votes", "1,6970")
    for part in ("annex.csv", "South Kazakhstan", "Akhmetbekov_votes", "'1,6970'"):
        assert part in str(err)


def test_parse_int_rejects_non_text():
    with pytest.raises(ParseError):
        parse_int(5430)
    with pytest.raises(ParseError):
        parse_int(None)


@pytest.mark.parametrize(
    "raw, decimal, thousands, expected",
    [
        ("0.07", ".", None, Decimal("0.07")),
        ("12.84", ".", None, Decimal("12.84")),
        ("89,98", ",", None, Decimal("89.98")),
        ("1.234,5", ",", ".", Decimal("1234.5")),
        ("1,234.5", ".", ",", Decimal("1234.5")),
        ("7", ".", None, Decimal("7")),
    ],
)
def test_parse_decimal_good(raw, decimal, thousands, expected):
    assert parse_decimal(raw, decimal=decimal, thousands=thousands) == expected


@pytest.mark.parametrize(
    "raw, decimal",
    [("89,98", "."), ("0.07", ","), ("1.2.3", "."), ("1,2,3", ","), (".5", "."), ("5.", "."), ("abc", "."), ("", ".")],
)
def test_parse_decimal_malformed(raw, decimal):
    with pytest.raises(ParseError):
        parse_decimal(raw, decimal=decimal)


def test_parse_decimal_rejects_same_separators():
    with pytest.raises(ValueError):
        parse_decimal("1,5", decimal=",", thousands=",")


@pytest.mark.parametrize(
    "raw, decimal, expected",
    [
        ("89,98%", ",", Decimal("89.98")),
        ("1.36%", ".", Decimal("1.36")),
        ("95.55 %", ".", Decimal("95.55")),
        ("0.07", ".", Decimal("0.07")),
    ],
)
def test_parse_percent_good(raw, decimal, expected):
    assert parse_percent(raw, decimal=decimal) == expected


@pytest.mark.parametrize("raw", ["%", "89%98", "89,98%%", "89.98", "%89.98"])
def test_parse_percent_malformed(raw):
    with pytest.raises(ParseError):
        parse_percent(raw, decimal=".", require_sign=True)


def test_parse_percent_decimal_comma_read_as_point_is_an_error():
    # "89,98%" must not silently become 8998 or 89.98 under the wrong convention.
    with pytest.raises(ParseError, match="decimal mark"):
        parse_percent("89,98%", decimal=".")


@pytest.mark.parametrize(
    "raw, expected", [("Nine", 9), ("six", 6), ("Twenty-seven", 27), ("eleven", 11), ("ninety-nine", 99), ("Forty", 40)]
)
def test_parse_spelled_int_good(raw, expected):
    assert parse_spelled_int(raw) == expected


@pytest.mark.parametrize("raw", ["nine-teen", "twenty-", "hundred", "twenty-ten", "Nin", "9", "", "twenty-zero"])
def test_parse_spelled_int_malformed(raw):
    with pytest.raises(ParseError):
        parse_spelled_int(raw)


def test_is_missing():
    assert is_missing("") and is_missing("  ") and is_missing(None) and is_missing(float("nan"))
    assert not is_missing("0") and not is_missing(0)
