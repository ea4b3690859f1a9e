"""The two backends every store test runs on, and what a snapshot of a database is."""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get(
    "AEF_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
).replace("postgresql+psycopg://", "postgresql://")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
Snapshot = dict[str, object]
