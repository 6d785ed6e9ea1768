"""Flow tasks retry only errors that may pass (flows.common.transient_only): a ChipcastError or
an OSError that gives the same answer every time (a folder in place of a file, a full disk)
fails at once."""

from __future__ import annotations

import errno

import pytest
from prefect import flow, task

from chipcast.errors import InputError, Problem
from flows.common import is_transient, transient_only


@pytest.mark.parametrize("exc, retried", [
    (IsADirectoryError(errno.EISDIR, "Is a directory", "data/chip_specs.csv"), False),
    (FileNotFoundError(errno.ENOENT, "No such file", "data/chip_specs.csv"), False),
    (OSError(errno.ENOSPC, "No space left on device"), False),
    (PermissionError(errno.EACCES, "Permission denied"), False),
    (InputError(Problem("data/chip_specs.csv", "bad")), False),
    (ValueError("not I/O"), False),
    (OSError(errno.EIO, "Input/output error"), True),
    (OSError(errno.ESTALE, "Stale file handle"), True),
])
def test_which_errors_are_transient(exc: BaseException, retried: bool) -> None:
    assert is_transient(exc) is retried


@pytest.mark.prefect
@pytest.mark.parametrize("number, calls", [(errno.EISDIR, 1), (errno.EIO, 3)])
def test_a_task_retries_only_transient_errors(number: int, calls: int) -> None:
    seen: list[int] = []

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=transient_only)
    def read() -> None:
        seen.append(1)
        raise OSError(number, "refused", "data/chip_specs.csv")

    @flow
    def reader() -> None:
        read()

    with pytest.raises(OSError):
        reader()
    assert len(seen) == calls  # 1 try, or 1 + 2 retries
