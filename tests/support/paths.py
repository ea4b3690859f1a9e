"""Where the tests' own files live, wherever a test module sits."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
HOURLY_SAMPLE = TESTS / "data" / "cardiff_hourly_sample.csv"  # Cardiff's real arrival hours
BAD_INPUTS = TESTS / "bad_inputs"  # the corpus of broken input files
ARTIFACTS = TESTS.parent / "test-artifacts"  # screenshots kept for a person to look at
