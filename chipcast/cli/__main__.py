"""`python -m chipcast.cli ...`: the same as the `chipcast` command."""

import os
import signal


def _early_exit(signum: int, frame: object) -> None:
    os._exit(130)  # nothing has started yet: nothing to clean


# Ctrl-C or SIGTERM while the CLI is still importing ends it with 130, not a traceback (or a
# death by signal); the commands install their own handlers once they start.
for _signal in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_signal, _early_exit)

from chipcast.cli import entry  # noqa: E402

entry()
