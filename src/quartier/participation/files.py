"""Export of the approved contributions of a procedure: CSV (German Excel) and GeoPackage."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from quartier.exports.formulas import neutralise
from quartier.participation.models import Contribution, Procedure

COLUMNS = ["kategorie", "ort_schluessel", "ort", "ortsangabe", "laenge", "breite",
           "altersgruppe", "text", "datum"]  # fmt: skip


def _rows(items: list[Contribution]) -> list[list]:
    rows = []
    for item in items:
        rows.append(
            [
                item.category.label,
                item.area.code,
                item.area.name,
                "Karte" if item.lon is not None else "Liste",
                item.lon,
                item.lat,
                item.get_age_group_display() if item.age_group else "",
                item.text,
                item.created.date().isoformat(),  # the day only: the time says nothing more
            ]
        )
    return rows


def contributions_csv(procedure: Procedure) -> str:
    """The approved contributions, semicolons and decimal commas (German Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _rows(_approved(procedure)):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append(f"{value:.6f}".replace(".", ","))
            else:
                cells.append(neutralise("" if value is None else str(value)))
        writer.writerow(cells)
    return "\ufeff" + out.getvalue()


def contributions_gpkg(procedure: Procedure) -> bytes:
    """The approved contributions as points (a place from the list: its area's centre)."""
    from pyogrio.raw import write

    items = _approved(procedure)  # one query: rows and points come from the same list
    rows = _rows(items)
    centres = {}
    points = []
    for item in items:
        if item.lon is not None:
            points.append(shapely.Point(item.lon, item.lat))
            continue
        if item.area_id not in centres:
            shape = item.area.shape
            centres[item.area_id] = shape.point_on_surface() if shape is not None else None
        points.append(centres[item.area_id])
    columns = [
        np.array([None if row[i] is None else str(row[i]) for row in rows], dtype=object)
        for i in range(len(COLUMNS))
    ]
    with tempfile.TemporaryDirectory(prefix="quartier-beteiligung-") as tmp:
        path = Path(tmp) / "beitraege.gpkg"
        write(
            str(path),
            shapely.to_wkb(np.array(points, dtype=object)),
            columns,
            COLUMNS,
            layer="beitraege",
            driver="GPKG",
            geometry_type="Point",
            crs=CRS.from_epsg(4326).to_wkt(),
        )
        return path.read_bytes()


def _approved(procedure: Procedure):
    approved = procedure.contributions.filter(status=Contribution.Status.APPROVED)
    return list(approved.select_related("category", "area"))
