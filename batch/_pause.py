"""A test hook: `AEF_TEST_PAUSE_AT=<phase>` makes the batch stop dead at that phase.

The kill test sets it, waits for the marker file (`AEF_TEST_PAUSE_MARKER`) to appear, and then
sends SIGKILL, so the kill lands in the chosen phase every time instead of after a guessed
number of milliseconds. Unset (always, outside tests) it costs one environment lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PHASES = ("train", "save", "forecast", "store")  # where the batch calls pause_at


def pause_at(phase: str) -> None:
    if os.environ.get("AEF_TEST_PAUSE_AT") != phase:
        return
    marker = os.environ.get("AEF_TEST_PAUSE_MARKER")
    if marker:
        Path(marker).write_text(f"{phase} {os.getpid()}\n")
    while True:  # until killed
        time.sleep(60)
