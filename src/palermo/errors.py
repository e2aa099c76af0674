"""The one error base class of palermo and its few specialisations.

Every error a user can cause derives from :class:`PalermoError`; the CLI and the API turn it into a
clear message (and, in the API, one JSON error shape). Messages never carry personal data.
"""

from __future__ import annotations


class PalermoError(Exception):
    """Base class of every error palermo raises on purpose."""

    code: str = "palermo_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(PalermoError):
    """A file or value given by the user cannot be used; names the file, row and column when known."""

    code = "bad_input"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        full = f"{', '.join(where)}: {message}" if where else message
        super().__init__(full)
        self.reason = message
        self.file = file
        self.row = row
        self.column = column


class NotFoundError(PalermoError):
    """A named thing (organisation, batch, mapping) does not exist."""

    code = "not_found"


class ConflictError(PalermoError):
    """The request conflicts with what is stored (a duplicate name, say)."""

    code = "conflict"


class ConfigurationError(PalermoError):
    """A setting or mapping file is invalid."""

    code = "configuration"


class AuthenticationError(PalermoError):
    """Missing, unknown, expired or revoked credentials."""

    code = "unauthorized"


class PermissionDeniedError(PalermoError):
    """The caller is known but its role does not allow the action."""

    code = "forbidden"


class RateLimitedError(PalermoError):
    """Too many failed attempts (sign-ins, bearer tokens) in a while; try again after ``retry_after`` seconds."""

    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
