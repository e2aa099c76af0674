"""Helpers for tests: where the reference data and the PostgreSQL server are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PG_ADMIN = os.environ.get("PALERMO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REPO = Path(__file__).resolve().parents[1]


def shared(relative: str) -> Path:
    """A file of the reference data beside the project; skips the test when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"reference data {relative} is not available")
    return path
