"""Display strings of the report: numbers, months and timestamps as an analyst reads them.
Used by the charts (tooltips), the sections (tables) and the template (filters)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_int(value: float | None) -> str:
    """A number rounded to a whole number with thousands separators ('' for None/NaN)."""
    if _missing(value):
        return ""
    return f"{value:,.0f}"


def fmt_num(value: float | None) -> str:
    """A readable number: whole with thousands separators from 10 up, else 3 significant
    digits ('' for None/NaN)."""
    if _missing(value):
        return ""
    assert value is not None
    if abs(value) >= 10 or value == 0:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def fmt_input(value: float | None) -> str:
    """An input's value: as fmt_num, but 3 significant digits in e-notation from a million up
    (parameter and token counts stay short)."""
    if not _missing(value) and abs(value) >= 1e6:  # type: ignore[arg-type]
        return f"{value:.3g}"
    return fmt_num(value)


def fmt_month(value: date | None) -> str:
    """A month as YYYY-MM ('' for None)."""
    return value.strftime("%Y-%m") if value else ""


def fmt_time(value: datetime | None) -> str:
    """A timestamp to the second in UTC ('' for None)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")
