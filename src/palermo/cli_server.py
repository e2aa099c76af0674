"""``palermo admin`` (users and API tokens of the shared server) and ``palermo serve``."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from .errors import InputError

if TYPE_CHECKING:
    from .server.administration import Operator

admin_app = typer.Typer(no_args_is_help=True, help="Users and API tokens of the shared server.")


def _operator() -> Operator:
    """The operating-system user, as the audit log records the ``palermo admin`` commands."""
    from .server.administration import Operator

    return Operator(getpass.getuser())


@admin_app.command("add-user")
def add_user(
    name: Annotated[str, typer.Argument(help="The user's name (unique).")],
    org: Annotated[str, typer.Option("--org", help="The user's organisation (registered with `palermo org add`).")],
    role: Annotated[str, typer.Option("--role", help="contributor, analyst, auditor or admin.")],
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Read the password from this file's first line.")
    ] = None,
) -> None:
    """Register a user of the shared server; the password is asked for unless --password-file is given."""
    from .cli import console, store
    from .server.administration import register_user

    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"cannot read the password file: {exc.strerror}", file=str(password_file)) from None
        password = lines[0] if lines else ""
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = register_user(store(), _operator(), name, org, role, password)
    console.print(f"user {escape(user.name)} ({user.role}) of {escape(user.organisation)} registered")


@admin_app.command("issue-token")
def issue_token_command(
    name: Annotated[str, typer.Argument(help="The user the token is for.")],
    days: Annotated[int, typer.Option("--days", help="Days the token stays valid.")] = 90,
) -> None:
    """Issue an API token; it is printed once and cannot be shown again."""
    from .cli import console, store
    from .server.administration import issue_user_token

    issued = issue_user_token(store(), _operator(), name, days)
    console.print(
        f"token {issued.id} for {escape(issued.user)}, valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC "
        "(shown only now; keep it secret):",
        highlight=False,
    )
    typer.echo(issued.token)


@admin_app.command("disable-user")
def disable_user_command(name: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Disable a user at once: no sign-in, every token revoked (the user is kept for the audit log)."""
    from .cli import console, store
    from .server.administration import set_user_disabled

    user = set_user_disabled(store(), _operator(), name, True)
    console.print(f"user {escape(user.name)} of {escape(user.organisation)} disabled; their tokens are revoked")


@admin_app.command("enable-user")
def enable_user_command(name: Annotated[str, typer.Argument(help="The user to enable again.")]) -> None:
    """Let a disabled user sign in again (issue new tokens: the old ones stay revoked)."""
    from .cli import console, store
    from .server.administration import set_user_disabled

    user = set_user_disabled(store(), _operator(), name, False)
    console.print(f"user {escape(user.name)} of {escape(user.organisation)} enabled")


@admin_app.command("revoke-token")
def revoke_token_command(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke an API token at once."""
    from .cli import console, store
    from .server.administration import revoke_user_token

    revoke_user_token(store(), _operator(), token_id)
    console.print(f"token {token_id} revoked")


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Server processes (sharing rate-limit counts and jobs).")
    ] = 1,
) -> None:
    """Run the shared server's HTTP API and web pages (put it behind a TLS-terminating proxy)."""
    import os

    import uvicorn

    from .cli import database_url
    from .server.app import create_app

    url = database_url()
    if workers == 1:
        uvicorn.run(create_app(url), host=host, port=port)
        return
    os.environ["PALERMO_DATABASE_URL"] = url  # each worker process builds its app from the environment
    uvicorn.run("palermo.server.app:app_from_environment", factory=True, host=host, port=port, workers=workers)
