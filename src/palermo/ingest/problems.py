"""A problem found in one row of a file: where, what value, and why it was refused."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One reason a row was refused; ``column`` is None when the whole row is at fault."""

    row: int
    column: str | None
    value: str | None
    reason: str
