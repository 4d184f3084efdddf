"""Number parsing for printed tables: thousands separators, decimal commas, percent signs.

Parsers are strict: a value either has exactly one reading or it is a ``ParseError`` naming
file, row, column and the raw text. Nothing is guessed here; repairs of malformed values
(decided from a table's own totals) live with the table that owns them, e.g.
``analysis.data.kz2011``.

Decimals are returned as ``decimal.Decimal`` so that printed percentages can be compared
exactly with recomputed ones after rounding.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

__all__ = [
    "ParseError",
    "parse_int",
    "parse_decimal",
    "parse_percent",
    "parse_spelled_int",
    "is_missing",
]


class ParseError(ValueError):
    """A printed value that does not parse cleanly; names where it was found."""

    def __init__(self, message: str, *, file=None, row=None, column=None, raw=None):
        self.file, self.row, self.column, self.raw = file, row, column, raw
        where = ", ".join(f"{k} {v}" for k, v in (("file", file), ("row", row), ("column", column)) if v is not None)
        super().__init__(f"{where}: {message} (raw value {raw!r})" if where else f"{message} (raw value {raw!r})")


_SEPARATORS = {",", ".", " ", "\u00a0", "\u202f"}


def is_missing(raw) -> bool:
    """True for an empty cell (None, NaN or whitespace only)."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and raw.strip() == ""


def _text(raw, where: dict) -> str:
    if is_missing(raw):
        raise ParseError("empty value where a number is required", raw=raw, **where)
    if not isinstance(raw, str):
        raise ParseError(f"expected printed text, got {type(raw).__name__}", raw=raw, **where)
    return raw.strip()


def _integer_part_pattern(thousands: str) -> str:
    sep = re.escape(thousands)
    # Either plain digits or correctly grouped digits: 1-3 leading digits, then groups of 3.
    return rf"(?:\d+|\d{{1,3}}(?:{sep}\d{{3}})+)"


def parse_int(raw, *, thousands: str = ",", file=None, row=None, column=None) -> int:
    """Parse a printed non-negative integer such as ``"1,055,240"`` or ``"5430"``.

    ``thousands`` is the group separator the source uses. Misplaced separators
    (``"1,6970"``), signs, decimals and any other character raise ``ParseError``.
    """
    where = {"file": file, "row": row, "column": column}
    text = _text(raw, where)
    if thousands not in _SEPARATORS:
        raise ValueError(f"unsupported thousands separator {thousands!r}")
    if not re.fullmatch(_integer_part_pattern(thousands), text):
        raise ParseError(f"not an integer with {thousands!r} thousands separators in groups of three", raw=raw, **where)
    return int(text.replace(thousands, ""))


def parse_decimal(
    raw, *, decimal: str = ".", thousands: str | None = None, file=None, row=None, column=None
) -> Decimal:
    """Parse a printed non-negative decimal (``"0.07"``, ``"89,98"``, ``"1.234,5"``) exactly.

    ``decimal`` is the decimal mark the source uses (``"."`` or ``","``); ``thousands`` the
    group separator, if any (must differ from ``decimal``). At most one decimal mark.
    """
    where = {"file": file, "row": row, "column": column}
    text = _text(raw, where)
    if decimal not in {".", ","}:
        raise ValueError(f"unsupported decimal mark {decimal!r}")
    if thousands is not None and (thousands == decimal or thousands not in _SEPARATORS):
        raise ValueError(f"thousands separator {thousands!r} must be a separator other than the decimal mark")
    int_part = _integer_part_pattern(thousands) if thousands else r"\d+"
    if not re.fullmatch(rf"{int_part}(?:{re.escape(decimal)}\d+)?", text):
        raise ParseError(f"not a decimal number with decimal mark {decimal!r}", raw=raw, **where)
    if thousands:
        text = text.replace(thousands, "")
    return Decimal(text.replace(decimal, "."))


def parse_percent(raw, *, decimal: str = ".", require_sign: bool = False, file=None, row=None, column=None) -> Decimal:
    """Parse a printed percentage (``"89,98%"``, ``"1.36%"``, ``"0.07"``) into percent units.

    A trailing ``%`` is optional unless ``require_sign``; the value is returned in percent
    (``"89,98%"`` -> ``Decimal("89.98")``), never divided by 100.
    """
    where = {"file": file, "row": row, "column": column}
    text = _text(raw, where)
    if text.endswith("%"):
        text = text[:-1].rstrip()
    elif require_sign:
        raise ParseError("percentage without a % sign", raw=raw, **where)
    if "%" in text:
        raise ParseError("misplaced % sign", raw=raw, **where)
    if not text:
        raise ParseError("percent sign without a number", raw=raw, **where)
    try:
        return parse_decimal(text, decimal=decimal, **where)
    except ParseError as exc:
        raise ParseError(f"not a percentage with decimal mark {decimal!r}", raw=raw, **where) from exc


_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def parse_spelled_int(raw, *, file=None, row=None, column=None) -> int:
    """Parse an English number word from 0 to 99 as printed in prose (``"Nine"``, ``"Twenty-seven"``)."""
    where = {"file": file, "row": row, "column": column}
    text = _text(raw, where).lower()
    if text in _UNITS:
        return _UNITS[text]
    if text in _TENS:
        return _TENS[text]
    parts = text.split("-")
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS and 1 <= _UNITS[parts[1]] <= 9:
        return _TENS[parts[0]] + _UNITS[parts[1]]
    raise ParseError("not an English number word between zero and ninety-nine", raw=raw, **where)
