"""Uploaded files kept for a while after their job ran, so that a job can be run again with another mapping.

Each job's copy lives in ``palermo-kept-uploads-<uid>`` in the system's temporary directory (mode 0700,
refused if it is a link or another user's), in a folder named by an HMAC of the job's id under the
deployment's secret key: it cannot be guessed, and two stores on one machine never share a name.
Every process serving the same store finds the same file. Copies older than :data:`KEEP_HOURS` are
deleted (and never used) once a job ends; the file holds personal data, so it is not kept longer.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import ConfigurationError
from ..link.keys import deployment_key
from ..store.db import Store

KEEP_HOURS = 24
"""Hours an uploaded file is kept after its job ran."""
_KEY = "kept-uploads"


def _root() -> Path:
    root = Path(tempfile.gettempdir()) / f"palermo-kept-uploads-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    info = root.lstat()
    if root.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ConfigurationError(f"{root} is not a private folder of this user; remove it")
    return root


def _folder(store: Store, job_id: int) -> Path:
    name = hmac.new(deployment_key(store, _KEY), f"job:{job_id}".encode(), hashlib.sha256).hexdigest()[:40]
    return _root() / name


def keep_file(store: Store, job_id: int, source: Path) -> None:
    """Keep a copy of ``source`` (an uploaded file, under its safe name) for job ``job_id``."""
    folder = _folder(store, job_id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700)
    shutil.copyfile(source, folder / source.name)


def kept_file(store: Store, job_id: int) -> Path | None:
    """Job ``job_id``'s kept file, if it is still kept."""
    folder = _folder(store, job_id)
    if not folder.is_dir() or _expired(folder):
        return None
    found = [p for p in folder.iterdir() if p.is_file()]
    return found[0] if found else None


def kept_until(path: Path) -> datetime:
    """When the kept file ``path`` will be deleted."""
    return datetime.fromtimestamp(path.parent.stat().st_mtime, UTC) + timedelta(hours=KEEP_HOURS)


def _expired(folder: Path) -> bool:
    try:
        return time.time() - folder.stat().st_mtime > KEEP_HOURS * 3600
    except FileNotFoundError:
        return True


PURGE_EVERY_SECONDS = 600.0
"""How often :func:`purge_kept` looks through the kept copies (each look costs a stat per copy)."""
_last_purge: list[float] = []


def purge_kept(*, force: bool = False) -> None:
    """Delete the copies kept longer than :data:`KEEP_HOURS` (of every store on this machine).

    Called after every job, it looks at most every :data:`PURGE_EVERY_SECONDS` unless ``force``.
    """
    now = time.monotonic()
    if _last_purge and now - _last_purge[0] < PURGE_EVERY_SECONDS and not force:
        return
    _last_purge[:] = [now]
    for folder in _root().iterdir():
        if folder.is_dir() and not folder.is_symlink() and _expired(folder):
            shutil.rmtree(folder, ignore_errors=True)
