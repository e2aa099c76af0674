"""Kept upload files: deleted after a day, and looked through only now and then."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from palermo.server import kept_files
from palermo.server.kept_files import KEEP_HOURS, keep_file, kept_file, purge_kept
from palermo.store.db import Store


def test_old_copies_are_purged_at_most_every_few_minutes(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(kept_files, "_last_purge", [])
    source = tmp_path / "upload.csv"
    source.write_text("a,b\n1,2\n")
    keep_file(sqlite_store, 1, source)
    keep_file(sqlite_store, 2, source)
    old, new = kept_file(sqlite_store, 1), kept_file(sqlite_store, 2)
    assert old is not None and new is not None
    purge_kept()  # the first look: nothing is old yet
    stale = time.time() - KEEP_HOURS * 3600 - 60
    os.utime(old.parent, (stale, stale))
    purge_kept()  # too soon after the last look: nothing happens
    assert old.parent.exists()
    purge_kept(force=True)
    assert not old.parent.exists() and new.exists()
    assert kept_file(sqlite_store, 1) is None and kept_file(sqlite_store, 2) == new
