"""Ctrl-C and SIGTERM during a long command: stop within a few seconds, exit 130.

The first SIGINT or SIGTERM raises KeyboardInterrupt in the main thread (during a Prefect flow,
SIGTERM raises Prefect's TerminationSignal first, then reaches this handler once the flow has
unwound), so the run unwinds normally: Prefect marks the flow run crashed, the Publication
removes its private files and records the run in runs.log, the lock is released, the temporary
Prefect server is stopped.

The first signal also arms a watchdog, whichever Python handler is installed at that moment:
the C-level signal handler writes the signal number to the wakeup fd (`signal.set_wakeup_fd`),
which a watcher thread reads. If the unwinding has not finished HARD_STOP seconds after that
first signal, or a second signal arrives, the private files of the open publications are
removed and the process ends at once with exit 130 (the kernel drops the lock, and the
temporary server dies with its parent, flows/server.py).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from chipcast.errors import EXIT_INTERRUPTED, add_interrupt_probe, note_interrupt

HARD_STOP = 3.5  # s after the first signal: a run must end within 5 s of Ctrl-C
SIGNALS = (signal.SIGINT, signal.SIGTERM)
WANTED = frozenset(int(s) for s in SIGNALS)  # their numbers, as the wakeup bytes carry them


def _hard_exit(why: str) -> None:
    """Remove the open runs' private files and end the process now (exit 130)."""
    try:
        # Not imported here: a process that never imported the store holds no publication,
        # and importing it (DuckDB, pyarrow) would take seconds of the 5 s.
        publish = sys.modules.get("chipcast.store.publish")
        if publish is not None:
            publish.abandon_open_publications(why)
    finally:
        print(f"interrupted ({why}); private files removed, nothing new was published",
              file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)


class Interrupt:
    """What `interruptible` saw: the name of the first signal, or None."""

    signal: str | None = None

    @property
    def signalled(self) -> bool:
        return self.signal is not None


def _watch(sock: socket.socket, hard_stop: float, seen: Interrupt) -> None:
    """Watcher thread: wait for the first signal byte on the wakeup socket, then give the run
    `hard_stop` seconds (or until a second signal) before the hard exit. Each byte is noted
    (note_interrupt) before it is consumed, so a signal is always either noted or still
    waiting in the socket, where `_pending` sees it: the main thread never finds neither."""
    first: str | None = None
    deadline: float | None = None
    while True:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            _hard_exit(f"{first}, still stopping after {hard_stop:g} s")
        try:
            data = sock.recv(64, socket.MSG_PEEK)
        except OSError:
            return
        if not data:
            sock.close()
            return  # the write end closed: the command ended without a signal
        for number in data:
            if number not in WANTED:
                continue
            name = signal.Signals(number).name
            if first is not None:
                _hard_exit(f"second signal {name}")
            first = seen.signal = name
            # Noted here too, whichever Python handler ran: Prefect's SIGTERM handler raises
            # its TerminationSignal, which DuckDB turns into an ordinary InterruptException
            # when it lands in a query; the run is still interrupted, not failed.
            note_interrupt(name)
            deadline = time.monotonic() + hard_stop
        sock.recv(len(data))  # consumed once noted


def _pending(sock: socket.socket) -> str | None:
    """The name of a stop signal whose byte waits in the wakeup socket, not yet read by the
    watcher; None when none does."""
    try:
        data = sock.recv(64, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:  # nothing waiting (BlockingIOError), or the socket is closed
        return None
    return next((signal.Signals(n).name for n in data if n in WANTED), None)


@contextmanager
def interruptible(hard_stop: float = HARD_STOP) -> Iterator[Interrupt]:
    """Within the block, SIGINT and SIGTERM interrupt the command as described above (main
    thread only: Python delivers signals there). The previous handlers come back on exit; an
    armed watchdog stays armed (the process is ending). Yields an Interrupt: a library may
    turn the KeyboardInterrupt into another exception (a cancelled future), so the caller asks
    `signalled` before calling an exception a bug."""
    seen = Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        seen.signal = signal.Signals(signum).name
        note_interrupt(seen.signal)
        raise KeyboardInterrupt(seen.signal)

    # a socket pair, not a pipe: a socket can be peeked at without consuming (_pending)
    read_end, write_end = socket.socketpair()
    write_end.setblocking(False)
    watcher = threading.Thread(target=_watch, args=(read_end, hard_stop, seen), daemon=True,
                               name="chipcast-interrupt-watchdog")
    watcher.start()
    remove_probe = add_interrupt_probe(lambda: _pending(read_end) is not None)
    previous_fd = signal.set_wakeup_fd(write_end.fileno(), warn_on_full_buffer=False)
    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    interrupted = False
    try:
        yield seen
    except BaseException as exc:
        # a signal another handler converted, not yet read by the watcher (asked first: once
        # the watcher has consumed a signal's byte, it has set seen.signal)
        pending = _pending(read_end)
        if pending is not None and seen.signal is None:
            seen.signal = pending
        interrupted = seen.signalled or not isinstance(exc, Exception)
        raise
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        signal.set_wakeup_fd(previous_fd)
        if not interrupted:  # a normal end: EOF tells the watcher to stop
            remove_probe()
            write_end.close()
        else:  # the fd stays open: its socket's close (here, or when collected) would send
            write_end.detach()  # the watcher EOF and disarm the hard stop


def exit_on_late_signal() -> None:
    """After the command has returned (Python's exit, atexit hooks such as Prefect's): a
    signal ends the process at once with 130 instead of a KeyboardInterrupt traceback in an
    atexit hook and death by SIGINT."""
    if threading.current_thread() is threading.main_thread():
        for s in SIGNALS:
            signal.signal(s, lambda signum, frame: os._exit(EXIT_INTERRUPTED))


def ignore_signals_at_exit() -> None:
    """The last exit hook (registered when chipcast.cli is imported, before any library that
    registers its own): ignore SIGINT and SIGTERM for the rest of the process's life.

    After the exit hooks, Python's finalisation puts every signal it handled back to the
    default action and then tears down modules, threads and extension libraries, which takes
    a second or more after a run (thread pools, DuckDB, Prefect's clients). A Ctrl-C in that
    window killed the process by the signal (exit -2, seen in bench/soak_kill.py just after a
    run had published) instead of letting it end with its own code. Signals Python ignores are
    left ignored by the finalisation, and by then the command has finished its work."""
    if threading.current_thread() is threading.main_thread():
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)
