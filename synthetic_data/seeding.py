"""Independent random streams per component, so switching one part on never moves another.

A fault flag or the temperature forecast draws from its own stream: the attendances of a run
with `--gaps` are the same numbers as without, minus the dropped rows.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator for one named component, fixed by the run's seed."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
