"""Terminal output of the CLI: rich tables with right-aligned, grouped numbers, and the
number formats the commands share."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

# Numbers from here up print in scientific notation (parameter and token counts stay short).
SCIENTIFIC_FROM = 1e15


def console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr). Off a terminal it is wide and plain, so tables piped to
    a file or read by a test keep one row per line and carry no escape codes."""
    stream = sys.stderr if stderr else sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    width = None if tty else int(os.environ.get("COLUMNS", "200"))
    return Console(file=stream, width=width, no_color=not tty, highlight=False,
                   soft_wrap=not tty)


def number(value: Any, digits: int = 4) -> str:
    """A readable number: grouped whole numbers from 100 up, `digits` significant digits below,
    scientific notation for very large magnitudes, '-' for None/NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if abs(value) >= SCIENTIFIC_FROM:
        return f"{value:.{digits}g}"
    if abs(value) >= 100 or value == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}g}"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None,
          digits: int = 4) -> Table:
    """A rich table: text left-aligned, numeric columns right-aligned and formatted."""
    rows = [list(r) for r in rows]
    numeric = [bool(rows) and all(is_number(r[i]) or r[i] is None for r in rows)
               and any(is_number(r[i]) for r in rows) for i in range(len(columns))]
    out = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                pad_edge=False)
    for name, num in zip(columns, numeric, strict=True):
        out.add_column(name, justify="right" if num else "left", no_wrap=True)
    for r in rows:
        out.add_row(*[number(v, digits) if is_number(v) or v is None else str(v) for v in r])
    return out
