"""Debian's chromium, headless, as the dashboard's real browser; and a PNG reader for its shots.

`chromium --headless=new --screenshot --dump-dom URL` loads the page like a person's browser
(redirects, cookies, the stylesheet under the page's CSP, SVG layout) and hands back the DOM
it built and a PNG of what it painted. A fresh profile per call: nothing leaks between loads.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

NAMES = ("chromium", "chromium-browser")


def chromium() -> str:
    """The browser's path; in CI (CI=true) a missing browser fails the test, else it skips."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    reason = "chromium is not installed (`make test` installs it as root: apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass(frozen=True)
class Loaded:
    dom: str
    screenshot: Path


def load(url: str, screenshot: Path, *, width: int = 1280, height: int = 2400) -> Loaded:
    """Load `url` in a fresh headless chromium; the DOM after load and a PNG of the window."""
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="aef-chromium-") as profile:
        command = [
            chromium(), "--headless=new", "--disable-gpu", "--no-first-run",
            "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
            f"--window-size={width},{height}", f"--screenshot={screenshot}", "--dump-dom", url,
        ]
        if os.geteuid() == 0:
            command.insert(2, "--no-sandbox")  # chromium refuses to run as root with it
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}:\n{done.stderr[-2000:]}"
    assert screenshot.exists(), f"chromium wrote no screenshot:\n{done.stderr[-2000:]}"
    return Loaded(done.stdout, screenshot)


@dataclass(frozen=True)
class Image:
    width: int
    pixels: np.ndarray  # (rows decoded, width, 3) RGB

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        r, g, b = (int(v) for v in self.pixels[y, x])
        return r, g, b


def read_png(path: Path, rows: int) -> Image:
    """The first `rows` rows of an 8-bit RGB(A), non-interlaced PNG (what chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, chunks, header = 8, [], b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG format"
    channels = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8)
    stride = width * channels
    lines = raw[: height * (stride + 1)].reshape(height, stride + 1)
    out = np.zeros((min(rows, height), stride), dtype=np.int64)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(out.shape[0]):
        kind, line = int(lines[y, 0]), lines[y, 1:].astype(np.int64)
        if kind == 1:
            line = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) % 256
        elif kind == 2:
            line = (line + previous) % 256
        elif kind in (3, 4):
            line = _sequential(kind, line, previous, channels)
        out[y] = line
        previous = line
    rgb = out.reshape(out.shape[0], width, channels)[:, :, :3]
    return Image(width, rgb)


def _sequential(kind: int, line: np.ndarray, previous: np.ndarray, channels: int) -> np.ndarray:
    """PNG filters 3 (average) and 4 (Paeth): each byte depends on the one decoded before."""
    row = [int(v) for v in line]
    up = [int(v) for v in previous]
    for i in range(len(row)):
        left = row[i - channels] if i >= channels else 0
        corner = up[i - channels] if i >= channels else 0
        guess = (left + up[i]) // 2 if kind == 3 else _paeth(left, up[i], corner)
        row[i] = (row[i] + guess) & 0xFF
    return np.array(row, dtype=np.int64)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c
