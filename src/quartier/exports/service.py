"""Building an export file: the one entry point for the export page, the REST API and the CLI.

>>> build_export(user, ["kinderarmut"], ["stadtteil"], None, "xlsx")  # doctest: +SKIP
ExportFile(content=b'PK…', content_type='application/vnd…sheet', filename='kinderarmut_…')

Values come only from the read layer (visibility, aggregation, disclosure
control), and every successful export is written to the audit log once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from quartier import cost
from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.errors import QuartierError
from quartier.exports.formats import BY_KEY, FORMAT_CHOICES, FORMATS, ExportFormat
from quartier.exports.geojson import write_geojson
from quartier.exports.geopackage import write_gpkg
from quartier.exports.selection import (
    MAX_CELLS,
    MAX_CELLS_XLSX,
    ExportData,
    Selection,
    check_size,
    read,
    select,
    work_cells,
)
from quartier.exports.tabular import write_csv

__all__ = ["FORMATS", "FORMAT_CHOICES", "ExportFile", "build_export"]

_WRITERS: dict[str, Callable[[ExportData], bytes]] = {
    "csv": lambda data: write_csv(data, german=False),
    "csv-de": lambda data: write_csv(data, german=True),
    "xlsx": lambda data: _workbook().write_xlsx(data),
    "geojson": write_geojson,
    "gpkg": write_gpkg,
}


def _workbook():
    """The XLSX writer's module, imported on first use (openpyxl: ~0.2 s a server process saves)."""
    from quartier.exports import workbook

    return workbook


@dataclass(frozen=True)
class ExportFile:
    """A finished export: the file's bytes, its media type and a suggested file name."""

    content: bytes
    content_type: str
    filename: str


def export_format(key: str) -> ExportFormat:
    """The format with ``key``; a German QuartierError (400) for unknown keys."""
    try:
        return BY_KEY[key]
    except KeyError:
        known = ", ".join(f.key for f in FORMATS)
        raise QuartierError(
            f"Unbekanntes Format „{key}“ (möglich: {known}). / Unknown format."
        ) from None


def build_export(
    user,
    indicator_keys: list[str],
    level_keys: list[str],
    periods: list[date] | None,
    fmt: str,
    *,
    limited: bool = True,
) -> ExportFile:
    """Export indicators at levels and periods as ``fmt`` for ``user``.

    ``fmt`` is one of :data:`FORMAT_CHOICES` (``csv``, ``csv-de``, ``xlsx``,
    ``geojson``, ``gpkg``); ``periods=None`` (or empty) means the latest period
    with data of each indicator. Raises :class:`~quartier.errors.NotFound` for
    unknown or invisible indicators and unknown levels, and
    :class:`~quartier.errors.QuartierError` (400) for an unknown format, GeoJSON
    with several levels, periods without data or more than
    :data:`~quartier.exports.selection.MAX_CELLS` table cells (XLSX: ``MAX_CELLS_XLSX``).
    A web request (``limited``) also may not ask for more work than
    ``QUARTIER_MAX_REQUEST_VALUES`` and computes a heavy export only in a free
    slot (:mod:`quartier.cost`); the command line is not limited so.
    """
    file_format = export_format(fmt)
    selection = select(user, indicator_keys, level_keys, periods)
    if fmt == "geojson" and len(selection.levels) > 1:
        raise QuartierError(
            "GeoJSON enthält eine Raumebene. Bitte eine Ebene wählen – oder GeoPackage, "
            "das eine Ebene je Layer enthält. / GeoJSON holds one level."
        )
    check_size(selection, MAX_CELLS_XLSX if fmt == "xlsx" else MAX_CELLS)
    with cost.budget(work_cells(selection)) if limited else nullcontext():
        data = read(user, selection)
        content = _WRITERS[fmt](data)  # writing is part of the work (XLSX cell by cell)
    audit.record(
        AuditEntry.Action.EXPORT,
        ",".join(ind.key for ind in selection.indicators),
        user=user,
        format=fmt,
        levels=[level.key for level in selection.levels],
        periods=[p.isoformat() for p in selection.all_periods],
        indicators=[ind.key for ind in selection.indicators],
        confidential=data.confidential,
    )
    return ExportFile(content, file_format.content_type, filename(selection, data, file_format))


def filename(selection: Selection, data: ExportData, file_format: ExportFormat) -> str:
    """E.g. ``kinderarmut_stadtteil_2024-12-31.xlsx``; ``_vertraulich`` for confidential files."""
    inds, levels = selection.indicators, selection.levels
    parts = [
        inds[0].key if len(inds) == 1 else f"{len(inds)}-indikatoren",
        levels[0].key if len(levels) == 1 else f"{len(levels)}-ebenen",
        _period_part(selection.all_periods),
    ]
    if data.confidential:
        parts.append("vertraulich")
    return "_".join(parts) + "." + file_format.extension


def _period_part(periods: list[date]) -> str:
    first, last = periods[0], periods[-1]
    if first == last:
        return first.isoformat()
    if first.year != last.year:
        return f"{first:%Y}-{last:%Y}"
    return f"{first.isoformat()}_{last.isoformat()}"
