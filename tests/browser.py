"""Drive headless Chromium for tests: the DOM after rendering and a PNG screenshot of a local
HTML file, plus a tiny PNG decoder (zlib only) to check a screenshot is not blank.

Chromium comes from Debian's `chromium` package (`.ci/run` installs it). Without it a test
fails in CI (env CI set) and is skipped on a developer's machine.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium")
# No network, no background services, no GPU: a page can only show what is in its file.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)
TIMEOUT_S = 60


def chromium_path() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium executable; fails in CI and skips elsewhere when it is missing."""
    path = chromium_path()
    if path:
        return path
    message = ("headless Chromium not found (looked for chromium, chromium-browser): "
               "install Debian's `chromium` package (`apt-get install -y chromium`; "
               ".ci/run does this in CI)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")  # pytest.skip raises


@contextmanager
def _profile() -> Iterator[str]:
    # A fresh profile per call: nothing is read from or left in the user's home.
    with tempfile.TemporaryDirectory(prefix="chipcast-chromium-") as tmp:
        yield tmp


def _run(args: list[str], profile: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": profile}  # Chromium writes caches under HOME too
    proc = subprocess.run(
        args + [f"--user-data-dir={profile}"],
        capture_output=True, text=True, timeout=TIMEOUT_S, env=env, check=False,
    )
    return proc


def dump_dom(html: Path) -> str:
    """The serialised DOM of a local HTML file after Chromium has loaded it."""
    exe = require_chromium()
    with _profile() as profile:
        proc = _run([exe, *FLAGS, "--dump-dom", Path(html).resolve().as_uri()], profile)
    if proc.returncode != 0 or "<html" not in proc.stdout:
        raise RuntimeError(f"chromium --dump-dom failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def screenshot(html: Path, png: Path, width: int = 1100, height: int = 1600) -> Path:
    """A PNG of the first `width` x `height` CSS pixels of a local HTML file."""
    exe = require_chromium()
    png = Path(png).resolve()
    png.unlink(missing_ok=True)
    with _profile() as profile:
        proc = _run(
            [exe, *FLAGS, f"--window-size={width},{height}", f"--screenshot={png}",
             Path(html).resolve().as_uri()],
            profile,
        )
    if proc.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium --screenshot failed ({proc.returncode}): "
                           f"{proc.stderr[-2000:]}")
    return png


# --- a tiny PNG decoder ------------------------------------------------------------------------


@dataclass(frozen=True)
class Png:
    """A decoded 8-bit PNG: size, channels and raw pixel rows (filters undone)."""

    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        i = x * self.channels
        return tuple(self.rows[y][i:i + self.channels])

    def colours(self, step: int = 3) -> dict[tuple[int, ...], int]:
        """Counts of the RGB colours on a grid of every `step`-th pixel."""
        counts: dict[tuple[int, ...], int] = {}
        for y in range(0, self.height, step):
            for x in range(0, self.width, step):
                c = self.pixel(x, y)[:3]
                counts[c] = counts.get(c, 0) + 1
        return counts


_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(path: Path) -> Png:
    """Decode an 8-bit, non-interlaced greyscale/RGB/RGBA PNG (what Chromium writes)."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError(f"{path} has no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, "
                         f"interlace {interlace}")
    ch = _CHANNELS[colour]
    stride = width * ch
    raw = zlib.decompress(bytes(idat))
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - ch] if i >= ch else 0
            up = prev[i]
            up_left = prev[i - ch] if i >= ch else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, up_left)) & 0xFF
            elif kind != 0:
                raise ValueError(f"bad PNG filter {kind} in row {y}")
        rows.append(bytes(line))
        prev = line
    return Png(width, height, ch, rows)
