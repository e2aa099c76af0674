"""Recognise a file's layout from its header: a built-in crosswalk, or the standard's own field names."""

from __future__ import annotations

from ..errors import InputError
from ..standard import load_standard
from ..standard.crosswalk import Crosswalk, FieldRule, builtin_crosswalks
from .convert import squash

HTCDS_NAME = "htcds"


class UnknownLayoutError(InputError):
    """The file's columns fit no layout palermo knows: it needs a mapping."""

    code = "unknown_layout"


def layout_score(columns: list[str], crosswalk: Crosswalk) -> float:
    """Share of the crosswalk's typical columns present in ``columns`` (0 when it has none)."""
    if crosswalk.detect is None or not crosswalk.detect.columns:
        return 0.0
    present = {squash(c) for c in columns}
    wanted = [squash(c) for c in crosswalk.detect.columns]
    return sum(w in present for w in wanted) / len(wanted)


def standard_crosswalk(columns: list[str]) -> Crosswalk | None:
    """A crosswalk for files whose headers are the standard's own field names, if most of them are."""
    std = load_standard()
    named = [c for c in columns if not c.startswith("column_")]
    fields: dict[str, FieldRule] = {}
    for column in named:
        if std.has_field(column):
            field = std.field(column)
            if field.prefix != "org_" and field.name not in fields:
                fields[field.name] = FieldRule(column=column)
    if len(fields) < 3 or len(fields) < 0.5 * len(named):
        return None
    return Crosswalk(name=HTCDS_NAME, title="HTCDS field names", fields=fields)


def detect_crosswalk(columns: list[str], file: str) -> Crosswalk:
    """The crosswalk for a file with these columns; an error that says what to do when none fits."""
    scored = [
        (layout_score(columns, cw), len(cw.detect.columns) if cw.detect else 0, cw)
        for cw in builtin_crosswalks()
    ]
    fitting = [s for s in scored if s[2].detect is not None and s[0] >= s[2].detect.min_share]
    if fitting:
        return max(fitting, key=lambda s: (s[0], s[1]))[2]
    own = standard_crosswalk(columns)
    if own is not None:
        return own
    shown = ", ".join(repr(c) for c in columns[:8]) + (", ..." if len(columns) > 8 else "")
    raise UnknownLayoutError(
        f"the layout of this file is not one palermo knows (columns {shown}); write a mapping file and "
        f"pass it with --mapping: `palermo ingest --suggest-mapping {file}` drafts one for you to edit",
        file=file,
        row=1,
    )
