"""Opening an input file safely: only a regular file, inside the data folder, under a size cap.

Checked on the opened descriptor (os.fstat) rather than on the name, so a file swapped between
the check and the read cannot slip through: a FIFO is opened non-blocking (it would otherwise
hang the run), a device such as /dev/zero or a folder is refused before a byte is read, and
reading stops one byte past the cap, so no input can exhaust memory. A symlink is followed only
when its target stays inside the data folder (data/ and its scenarios/ are the project's inputs;
a link out could echo /etc/passwd into an error message).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from chipcast.errors import InputError, Problem

MAX_CSV_BYTES = 50 * 1024 * 1024  # 50 MB: the shipped tables are < 100 kB each
MAX_YAML_BYTES = 1024 * 1024  # 1 MB: a scenario is a page of settings and overrides
_MB = 1024 * 1024


def _cap_text(limit: int) -> str:
    return f"{limit / _MB:g} MB"


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symlink resolved, lies inside `root` (also resolved)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


def read_input_bytes(path: Path, rel: str, *, root: Path | None, limit: int) -> bytes:
    """The bytes of one input file, or InputError naming `rel` and the fix.

    `root`: the folder the file must resolve into (None: a path the user gave on the command
    line, which may be anywhere). `limit`: the largest size accepted, in bytes.
    """
    path = Path(path)
    if root is not None and not inside(path, root):
        raise InputError(Problem(rel, "file resolves outside the data folder (a symlink "
                                 "pointing elsewhere?)",
                                 hint=f"put a real copy of the file inside {root}"))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(Problem(rel, "file not found",
                                 hint="create it, or fix the name")) from None
    except IsADirectoryError:
        raise InputError(Problem(rel, "a folder, not a file",
                                 hint="replace the folder by the file")) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(Problem(rel, "symlink loop", hint="replace the link by the file")
                             ) from None
        raise InputError(Problem(rel, f"cannot be opened ({exc.strerror})",
                                 hint="check the file's permissions")) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(Problem(rel, "a folder, not a file",
                                     hint="replace the folder by the file"))
        if not stat.S_ISREG(info.st_mode):
            kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else
                    "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                    else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
            raise InputError(Problem(rel, f"{kind}, not a regular file",
                                     hint="replace it by an ordinary file"))
        if info.st_size > limit:
            raise InputError(Problem(
                rel, f"file is {info.st_size / _MB:.1f} MB, above the {_cap_text(limit)} cap",
                hint=f"input files are at most {_cap_text(limit)}: check it is the right file"))
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # a file growing while read stops one byte past the cap
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise InputError(Problem(rel, f"file grew above the {_cap_text(limit)} cap while "
                                     "being read", hint="read it when nothing writes it"))
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(Problem(rel, f"cannot be read ({exc.strerror})",
                                 hint="check the file and the disk")) from None
    finally:
        os.close(fd)
