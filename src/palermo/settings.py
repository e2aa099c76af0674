"""Settings, read from the environment (``PALERMO_*``) by a function, never at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """palermo's settings; each can be set by an environment variable ``PALERMO_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PALERMO_", extra="ignore")

    database_url: str = ""
    """SQLAlchemy URL of the store; empty means the SQLite file ``palermo.db`` in the working directory."""

    max_cell_chars: int = 32_768
    """Longest value accepted in one cell; longer values reject the row."""

    max_file_bytes: int = 2 * 1024**3
    """Largest file accepted for ingestion."""

    max_upload_bytes: int = 512 * 1024**2
    """Largest request body accepted by the API's upload route (refused with 413 before it is read)."""

    upload_workers: int = 2
    """Uploads the API ingests at the same time (each in a worker process); the others wait in the queue."""

    job_lease_seconds: float = Field(default=60.0, gt=0)
    """How long an upload job waits, after the server that queued it stopped answering for it, before a
    server still up runs it again from its kept file."""

    request_threads: int = Field(default=4, ge=1)
    """Requests the server works on at once; the others wait their turn. Python runs one thread at a time,
    so a few threads (enough to overlap database round trips) answer more requests, and more evenly, than
    many: in ``bench/load.py`` 3 threads gave 64 requests/s, p99 2.4 s, against 47 requests/s, p99 3.9 s
    for the 40 of anyio's default."""

    releases_dir: str = ""
    """Folder where publication releases are written; empty means ``releases`` in the working directory."""

    privacy_budget_epsilon: float = 10.0
    """Total ε that differentially private releases of one dataset may spend together (basic composition)."""

    def resolved_database_url(self) -> str:
        """The database URL to use: the setting, or the default SQLite file in the working directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path.cwd() / 'palermo.db'}"


def get_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, with explicit overrides taking precedence."""
    return Settings(**overrides)  # type: ignore[arg-type]
