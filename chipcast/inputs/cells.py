"""Typing one cell of an input file: numbers, dates and whole numbers, with a hint for every
common spreadsheet mistake (thousands separators, percentages, units in a number cell, decimal
commas, Excel serial dates, day/month order)."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, timedelta

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?$")
_PERCENT = re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*%$")
_NUMBER_WITH_UNIT = re.compile(
    r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*([A-Za-z/%$][\w/%$.\- ]*)$"
)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXCEL_SERIAL = re.compile(r"^\d{4,5}(\.0+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
EXCEL_EPOCH = date(1899, 12, 30)
# An id: ASCII letters and digits, then also . _ - + / ( ) and single spaces ("Moore Threads",
# "ERNIE 4.5"); or `*`, the default key. At most 80 characters.
_IDENTIFIER = re.compile(r"^(\*|[A-Za-z0-9](?:[A-Za-z0-9._+/()-]| (?! )){0,79})$")
IDENTIFIER_CHARS = "ASCII letters, digits, single spaces and . _ - + / ( )"


class CellError(ValueError):
    """A cell that cannot be typed: message and hint for the Problem."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_number(text: str) -> float:
    """A finite float from a plain decimal/scientific cell, or CellError saying what is wrong."""
    s = text.strip()
    if _NUMBER.match(s):
        x = float(s)
        if not math.isfinite(x):  # e.g. 1e999
            raise CellError("number out of range", "write a finite number")
        return x
    m = _PERCENT.match(s)
    if m:
        frac = float(m.group(1)) / 100
        raise CellError("a percentage is not a number here",
                        f"write the fraction {frac:g} (no '%'), and 'fraction' as its unit")
    if _THOUSANDS.match(s):
        plain = re.sub(r"[, ]", "", s)
        raise CellError("number with thousands separators",
                        f"remove separators: write {plain}")
    if _DECIMAL_COMMA.match(s):
        raise CellError("decimal comma", f"use a decimal point: write {s.replace(',', '.')}")
    m = _NUMBER_WITH_UNIT.match(s)
    if m:
        raise CellError(f"a unit inside a number cell ('{m.group(5).strip()}')",
                        f"write only the number {m.group(1)} here and put the unit in the "
                        "'unit' column")
    if s.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity", "n/a", "na", "-"):
        raise CellError("not a number", "write a finite number, or leave the cell empty "
                        "if the column is optional")
    raise CellError("not a number", "write a plain number such as 312 or 1.75e11")


def parse_date(text: str) -> date:
    """A date from an ISO-8601 `YYYY-MM-DD` cell, or CellError (Excel serials get their date)."""
    s = text.strip()
    if _ISO_DATE.match(s):
        try:
            return date.fromisoformat(s)
        except ValueError as exc:
            raise CellError(f"not a valid date ({exc})", "write an existing date as YYYY-MM-DD"
                            ) from None
    if _EXCEL_SERIAL.match(s):
        n = int(float(s))
        if 1 <= n <= 2958465:
            iso = (EXCEL_EPOCH + timedelta(days=n)).isoformat()
            raise CellError("looks like an Excel serial date",
                            f"write the ISO date it means, {iso} (format the column as text "
                            "YYYY-MM-DD before saving)")
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2})?", s)
    if m:
        raise CellError("a date with a time", f"drop the time: write {m.group(1)}")
    if re.match(r"^\d{4}-\d{2}$", s):
        raise CellError("a month without a day", f"write the first of the month, {s}-01")
    m = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$", s)
    if m:
        raise CellError("not an ISO-8601 date (day/month order is ambiguous)",
                        "write it as YYYY-MM-DD")
    raise CellError("not an ISO-8601 date", "write it as YYYY-MM-DD, e.g. 2023-04-01")


def parse_month(text: str) -> date:
    """The first day of an ISO month `YYYY-MM` (a full date on the 1st is accepted), or
    CellError."""
    s = text.strip()
    m = re.match(r"^(\d{4})-(\d{2})(-01)?$", s)
    if m and 1 <= int(m.group(2)) <= 12:
        return date(int(m.group(1)), int(m.group(2)), 1)
    if _ISO_DATE.match(s):
        raise CellError("a date, not a month", f"write the month only, {s[:7]}")
    raise CellError("not a month", "write YYYY-MM, e.g. 2025-01")


def parse_integer(text: str) -> int:
    s = text.strip()
    if _INTEGER.match(s):
        return int(s)
    if re.match(r"^[+-]?\d+\.0*$", s):
        raise CellError("not a whole number", f"write {s.split('.')[0]}")
    raise CellError("not a whole number", "write an integer such as 2026")


def parse_identifier(text: str) -> str:
    """An id cell as given, if it is plain ASCII (see _IDENTIFIER); else CellError naming the
    first offending character and the fix (its NFKC form when that is plain ASCII, as for a
    full-width or non-breaking-space spelling)."""
    s = text.strip()
    if _IDENTIFIER.match(s):
        return s
    normal = unicodedata.normalize("NFKC", s).strip()
    if normal != s and _IDENTIFIER.match(normal):
        return _raise_identifier(s, f"write it in plain ASCII: {normal}")
    return _raise_identifier(s, f"retype it using only {IDENTIFIER_CHARS}")


def _raise_identifier(s: str, hint: str) -> str:
    bad = next((i for i, c in enumerate(s) if not c.isascii()), None)
    if bad is not None:
        c = s[bad]
        name = unicodedata.name(c, "unnamed character")
        raise CellError(f"id is not plain ASCII: character {bad + 1} is U+{ord(c):04X} {name}"
                        " (it may look like an ASCII letter)", hint)
    if len(s) > 80:
        raise CellError("id is longer than 80 characters", "use a short id")
    raise CellError(f"id has characters other than {IDENTIFIER_CHARS}", hint)
