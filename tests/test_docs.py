"""Every command and option of the CLI, and every setting, is documented in the README."""

from __future__ import annotations

from typing import Any

import typer

from palermo.cli import app
from palermo.settings import Settings
from tests.support import REPO


def _commands(command: Any, prefix: str) -> list[tuple[str, Any]]:
    found = [(prefix, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(_commands(sub, f"{prefix} {name}"))
    return found


def test_every_command_and_option_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = []
    for path, command in _commands(typer.main.get_command(app), "palermo"):
        if path != "palermo" and path not in readme:
            missing.append(path)
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help" and opt not in readme:
                    missing.append(f"{path} {opt}")
    assert missing == []


def test_every_setting_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [f"PALERMO_{name.upper()}" for name in Settings.model_fields if f"PALERMO_{name.upper()}" not in readme]
    assert missing == []
