"""The Steckbriefe of every area of a level in one ZIP file, with progress reports."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.explorer.profile import EARLIEST
from quartier.indicators import readlayer
from quartier.reports.steckbrief import Report, steckbrief
from quartier.spatial.models import Area


def steckbriefe(
    user,
    level_key: str,
    since: date | str = EARLIEST,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """A ZIP of the Steckbrief PDF of every current area of ``level_key``, as ``user`` sees them.

    ``progress(done, total)`` is called after each area. Audited once, as one export.
    """
    level = readlayer.reader(user).level(level_key)
    areas = list(
        Area.objects.select_related("level", "parent", "parent__level")
        .filter(level=level, valid_to__isnull=True)
        .order_by("code")
    )
    buffer, confidential = io.BytesIO(), False
    # The PDFs are compressed already; storing them saves the CPU of a second try.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, area in enumerate(areas, start=1):
            report = steckbrief(user, area, since)
            archive.writestr(report.filename, report.content)
            confidential = confidential or report.confidential
            if progress is not None:
                progress(done, len(areas))
    audit.record(
        AuditEntry.Action.EXPORT,
        level.key,
        format="zip",
        report="steckbriefe",
        areas=len(areas),
        confidential=confidential,
    )
    name = f"steckbriefe_{level.key}" + ("_vertraulich.zip" if confidential else ".zip")
    return Report(buffer.getvalue(), name, confidential)
