"""Errors a user can act on. Each maps to a CLI exit code (see chipcast.cli)."""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_DATA = 1  # bad input or failed data check
EXIT_USAGE = 2  # wrong command-line use
EXIT_LOCKED = 3  # the warehouse is being written by another run


EXCERPT_CHARS = 60  # a value is quoted in a message at most this long


def excerpt(value: object) -> str:
    """A short, printable excerpt of a user's value for a message: control and other
    non-printable characters escaped, cut at EXCERPT_CHARS (a file's content is never echoed
    whole)."""
    text = str(value)
    cut = len(text) > EXCERPT_CHARS
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:EXCERPT_CHARS])
    return text + "..." if cut else text


@dataclass
class Problem:
    """One thing wrong with an input: where it is and what to do about it."""

    file: str
    message: str
    hint: str = ""
    row: int | None = None  # 1-based data row (the header is row 0)
    column: str | None = None
    values: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.values:
            text += f" (values: {', '.join(excerpt(v) for v in self.values[:5])})"
        if self.hint:
            text += f". Fix: {self.hint}"
        return text


class ChipcastError(Exception):
    """Base class: exit_code says how the CLI ends."""

    exit_code = EXIT_DATA


class InputError(ChipcastError):
    """One or more problems in data/ files; nothing has been written."""

    exit_code = EXIT_DATA

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CheckFailed(ChipcastError):
    """A data contract (Great Expectations suite) failed; nothing was published."""

    exit_code = EXIT_DATA

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class WarehouseLocked(ChipcastError):
    """Another process is writing the warehouse."""

    exit_code = EXIT_LOCKED


class UsageError(ChipcastError):
    exit_code = EXIT_USAGE
