"""Errors a user can act on. Each maps to a CLI exit code (see chipcast.cli)."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field

EXIT_DATA = 1  # bad input or failed data check
EXIT_USAGE = 2  # wrong command-line use
EXIT_LOCKED = 3  # the warehouse is being written by another run
EXIT_ENVIRONMENT = 4  # the machine, not the input: disk full, read-only folder, no Prefect API
EXIT_INTERNAL = 70  # a bug in chipcast (BSD sysexits EX_SOFTWARE); --debug shows the traceback
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)

DEBUG_ENV = "CHIPCAST_DEBUG"  # set (or `chipcast --debug`): errors show their traceback


_INTERRUPTED: list[str] = []  # the signals this process was asked to stop by (cli.interrupt)
# Checks for a stop signal that arrived but is not noted yet (cli.interrupt's wakeup socket,
# which its watcher thread may not have read when the main thread asks).
_PROBES: list[Callable[[], bool]] = []


def note_interrupt(name: str) -> None:
    """Record that a SIGINT/SIGTERM asked this process to stop (chipcast.cli.interrupt)."""
    _INTERRUPTED.append(name)


def add_interrupt_probe(probe: Callable[[], bool]) -> Callable[[], None]:
    """Register a check for a stop signal not yet noted; returns its removal."""
    _PROBES.append(probe)
    return lambda: _PROBES.remove(probe) if probe in _PROBES else None


def interrupted() -> bool:
    """Whether a stop signal arrived: a library may have turned its KeyboardInterrupt into an
    ordinary exception (a cancelled future), which is still an interruption, not a failure.
    Asked while that exception unwinds, so a signal still waiting to be noted counts too."""
    # the probes first: a signal they no longer see was consumed, hence noted before
    return any(probe() for probe in _PROBES) or bool(_INTERRUPTED)


def debugging() -> bool:
    """Whether errors should show their traceback (`chipcast --debug` or CHIPCAST_DEBUG=1)."""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


# OSError numbers that say the machine refuses, not that an input is wrong.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


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


class EnvironmentProblem(ChipcastError):
    """The machine refuses, not the input: a full disk, a read-only or forbidden output folder,
    an unreachable Prefect API, a damaged warehouse file. Nothing was published."""

    exit_code = EXIT_ENVIRONMENT


def environment_problem(exc: BaseException) -> EnvironmentProblem | None:
    """An OSError the machine caused (ENVIRONMENT_ERRNOS) as an EnvironmentProblem naming the
    file and the fix, else None (a missing input file or a folder in place of a file is the
    user's input, not the environment)."""
    if not isinstance(exc, OSError) or exc.errno not in ENVIRONMENT_ERRNOS:
        return None
    what = ENVIRONMENT_ERRNOS[exc.errno]
    where = f": {exc.filename}" if exc.filename else ""
    fix = {errno.ENOSPC: "free disk space (or use --out-dir on another disk)",
           errno.EDQUOT: "free disk space (or use --out-dir on another disk)"}.get(
        exc.errno, "make the folder writable for this user (or use --out-dir elsewhere)")
    return EnvironmentProblem(f"{what}{where}; {fix}")
