"""Ctrl-C or SIGTERM while the `chipcast` command is still importing ends it with exit 130 and
no traceback, for both launchers (console script and `python -m chipcast.cli`); importing
chipcast.cli as a library leaves the process's signal handlers alone.

The window is made wide and observable: a sitecustomize (on PYTHONPATH, in a temp folder) makes
the import of typer, chipcast.cli's first library, write a marker file and then take 1 s; the
test signals the command once the marker exists.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("chipcast")
LAUNCHERS = {
    "python -m chipcast.cli": [sys.executable, "-m", "chipcast.cli"],
    "console script": [str(SCRIPT)],
}
SLOW_TYPER = '''
import os, sys, time


class _SlowTyper:
    """Marks the start of `import typer`, then holds it for 1 s."""

    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            sys.meta_path.remove(self)
            open(os.environ["CHIPCAST_TEST_MARK"], "w").close()
            time.sleep(1.0)
        return None


sys.meta_path.insert(0, _SlowTyper())
'''


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_importing_exits_130_without_traceback(
        launcher: str, signum: int, tmp_path: Path) -> None:
    if launcher == "console script" and not SCRIPT.exists():
        pytest.skip("no console script next to this interpreter")
    (tmp_path / "sitecustomize.py").write_text(SLOW_TYPER)
    mark = tmp_path / "importing-typer"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "CHIPCAST_TEST_MARK": str(mark)}
    proc = subprocess.Popen([*LAUNCHERS[launcher], "--version"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while not mark.exists():
        assert proc.poll() is None, "the command ended before importing typer"
        assert time.monotonic() < deadline, "typer's import never started"
        time.sleep(0.005)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert not out, "the command went on after the signal"
    assert "Traceback" not in err, err
    assert proc.returncode == 130, (proc.returncode, err)


def test_importing_the_cli_as_a_library_keeps_the_handlers() -> None:
    code = ("import signal, chipcast.cli; "
            "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler; "
            "assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL; print('kept')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "kept", done.stderr
