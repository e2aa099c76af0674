"""The shape every analysis returns: named tables of counts that reports render and disclosure control protects."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class ResultTable:
    """One table of a report: counts (or other figures) by some dimensions.

    ``counts`` names the columns holding counts of cases: those are subject to small-cell suppression
    (a suppressed count becomes null, with ``<column>_suppressed`` true). ``margins`` says which
    totals the table publishes, as tuples of the dimensions kept: ``(("year",), ())`` means per-year
    totals and a grand total are published (or derivable) beside the cells, so secondary suppression
    must protect against differencing along those. ``figures`` names other numeric columns (rates,
    expected values, intervals, q-values) that are published as they are.
    """

    name: str
    """Slug used for file names: ``trends_by_form``."""
    title: str
    frame: pl.DataFrame
    dims: tuple[str, ...]
    counts: tuple[str, ...] = ("cases",)
    figures: tuple[str, ...] = ()
    margins: tuple[tuple[str, ...], ...] = ((),)
    description: str = ""
    section: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def with_frame(self, frame: pl.DataFrame, *notes: str) -> ResultTable:
        """A copy with another frame (and extra notes)."""
        return ResultTable(
            name=self.name,
            title=self.title,
            frame=frame,
            dims=self.dims,
            counts=self.counts,
            figures=self.figures,
            margins=self.margins,
            description=self.description,
            section=self.section,
            notes=self.notes + notes,
        )
