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


# Short-scale suffixes of fmt_compact, largest first.
COMPACT = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"), (1e3, "k"))


def _compact_parts(value: float) -> tuple[str, str]:
    for div, suffix in COMPACT:
        if abs(value) >= 0.9995 * div:  # 999.96 million shows as '1 bn', not '1e+03 M'
            return f"{value / div:.3g}", suffix
    return fmt_num(value), ""


def fmt_compact(value: float | None) -> str:
    """A reported figure's size in few characters: 3 significant digits with 'k', 'M'
    (million), 'bn' or 'tn' from a thousand up, else as fmt_num ('' for None/NaN)."""
    if _missing(value):
        return ""
    assert value is not None
    number, suffix = _compact_parts(value)
    return f"{number} {suffix}" if suffix else number


def fmt_range(low: float | None, high: float | None) -> str:
    """A range as 'low–high' in fmt_compact's style, the suffix said once when both ends
    share it ('2–5.5 bn'); '' when an end is missing."""
    if _missing(low) or _missing(high):
        return ""
    assert low is not None and high is not None
    (a, sa), (b, sb) = _compact_parts(low), _compact_parts(high)
    if sa == sb:
        return f"{a}–{b} {sa}".rstrip()
    return f"{fmt_compact(low)}–{fmt_compact(high)}"


def fmt_ratio(value: float | None) -> str:
    """A ratio such as reported / P50 to 2 decimals ('∞' when the divisor was 0, '' for
    None/NaN)."""
    if _missing(value):
        return ""
    assert value is not None
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.2f}"
