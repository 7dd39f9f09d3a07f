"""The validation report of a table import, and the error that carries it.

Findings of one kind are filed as one message and as a group the wizard can fold
(:mod:`quartier.imports.findings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quartier.errors import QuartierError
from quartier.imports.findings import OPEN_UP_TO, as_text, group
from quartier.imports.longvalues import Listing

MAX_LISTED = 50  # findings of one kind shown in full; the rest are counted


class CheckFailed(QuartierError):
    """A commit refused by its check (errors, or warnings not accepted); nothing was stored.

    Carries the full report, so that the command line can list every finding without
    checking the table a second time.
    """

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Report:
    """Validation result of one table import."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    rows_read: int = 0
    values: int = 0
    indicators: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    sums: list[tuple[str, list[str]]] = field(default_factory=list)  # (total, parts) found
    # the long messages above as groups (see imports.findings), by "errors"/"warnings"/"notes"
    groups: dict[str, list[dict]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """JSON-compatible form for storing on the job."""
        return self.__dict__.copy()


def listed(report: Report, severity: str, items: list[str] | Listing, heading: str) -> None:
    """Add findings of one kind as one message, and as a group the wizard can fold.

    ``items`` is a list, or a :class:`Listing` that kept the first findings and counted all.
    """
    if isinstance(items, Listing):
        if not items.count:
            return
        found = group(heading, items.items, MAX_LISTED)
        found.update(
            count=items.count,
            more=max(0, items.count - MAX_LISTED),
            open=items.count <= OPEN_UP_TO,
        )
        getattr(report, severity).append(as_text(found))
        report.groups.setdefault(severity, []).append(found)
        return
    if not items:
        return
    found = group(heading, items, MAX_LISTED)
    getattr(report, severity).append(as_text(found))
    report.groups.setdefault(severity, []).append(found)
