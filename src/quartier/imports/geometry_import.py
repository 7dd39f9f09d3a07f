"""Storing imported geometries as a level: new areas, new boundary versions, parents.

Reads nothing from files (see :mod:`quartier.imports.georead`); takes a
:class:`~quartier.imports.georead.GeoRead` and writes it atomically.

* A new level is created under the chosen parent level.
* Re-importing an existing level compares each code's geometry with its current
  version: unchanged areas stay, changed boundaries get a *new version* valid
  from the given date (the old version is closed, its values stay attached to
  it), vanished codes are closed, new codes are added.
* Parents are derived by largest overlap with the parent level's areas; areas
  lying less than 95 % inside one parent are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import shapely
from django.db import transaction
from django.db.models import F, Max

from quartier.errors import QuartierError
from quartier.imports.codes import restore_known
from quartier.imports.georead import Finding, GeoRead
from quartier.spatial.display import forget_level, prepare_level
from quartier.spatial.index import clear_area_index
from quartier.spatial.models import Area, Level

NESTED_SHARE = 0.95
_SAME_GEOMETRY = 1e-7  # relative symmetric difference below which a boundary is unchanged


@dataclass
class NotNested:
    """An area that lies less than 95 % inside any one parent."""

    code: str
    name: str
    parent_code: str | None
    share: float


@dataclass
class GeometryReport:
    """What a geometry import did (or would do)."""

    level: str
    created: int = 0
    new_versions: int = 0
    unchanged: int = 0
    renamed: int = 0
    closed: int = 0
    with_parent: int = 0
    not_nested: list[NotNested] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class LevelTarget:
    """Where the areas go: an existing level (by key) or a new one."""

    key: str
    name: str
    parent_key: str | None = None
    valid_from: date | None = None


def _check_target(target: LevelTarget) -> tuple[Level | None, Level | None]:
    existing = Level.objects.filter(key=target.key).first()
    parent = None
    if target.parent_key:
        parent = Level.objects.filter(key=target.parent_key).first()
        if parent is None:
            raise QuartierError(f"Die übergeordnete Ebene „{target.parent_key}“ gibt es nicht.")
        if existing is not None and parent.id == existing.id:
            raise QuartierError("Eine Ebene kann nicht sich selbst übergeordnet sein.")
    return existing, parent


def import_level(read: GeoRead, target: LevelTarget) -> GeometryReport:
    """Store ``read`` as the level ``target`` (atomic); returns a report."""
    errors = [f for f in read.findings if f.severity == "error"]
    if errors:
        raise QuartierError(
            f"Die Geometrien enthalten {len(errors)} Fehler (z. B. {errors[0].message}) – "
            "bitte die Datei korrigieren."
        )
    if not read.codes:
        raise QuartierError("Die Datei enthält keine verwendbaren Flächen.")
    report = GeometryReport(level=target.key, findings=list(read.findings))
    with transaction.atomic():
        existing, parent = _check_target(target)
        level = existing or _create_level(target, parent)
        if existing is not None and parent is not None and existing.parent_id != parent.id:
            existing.parent = parent
            existing.save(update_fields=["parent"])
        if existing is not None:
            _keep_known_codes(read, current_codes(existing.key), report)
        stored = _store_areas(level, read, target.valid_from, report)
        if level.parent_id:
            _assign_parents(level, stored, target.valid_from, report)
        for child in Level.objects.filter(parent=level):
            _reparent_children(child, level)
        forget_level(level.id)  # rolled back with a dry run; callers that commit rebuild it
    clear_area_index()
    return report


def prepare_display(level_key: str) -> None:
    """Build and store the map's geometry of a committed level, so no request builds it."""
    prepare_level(Level.objects.get(key=level_key))


def current_codes(level_key: str) -> list[str]:
    """The codes of a level's current areas (empty if the level does not exist)."""
    areas = Area.objects.filter(level__key=level_key, valid_to__isnull=True)
    return list(areas.values_list("code", flat=True))


def _keep_known_codes(read: GeoRead, known: list[str], report: GeometryReport) -> None:
    """Codes that lost leading zeros keep standing for the areas they name (as in tables)."""
    restored = restore_known(read.codes, known)
    if not restored:
        return
    read.codes = [restored.get(code, code) for code in read.codes]
    examples = ", ".join(f"{a} → {b}" for a, b in list(restored.items())[:3])
    report.findings.append(Finding("info", None, (
        f"{len(restored)} Codes passen nur ohne führende Nullen zu vorhandenen Gebieten der "
        f"Ebene und wurden ihnen zugeordnet (z. B. {examples})."
    )))  # fmt: skip


def not_nested_text(item: dict) -> str:
    """One not-nested area as text; an area outside every parent says so (never "None")."""
    code, name = item["code"], item["name"]
    label = code if name in (None, "", code) else f"{code} {name}"
    if item["parent_code"] is None:
        return f"{label}: liegt in keinem Gebiet der übergeordneten Ebene"
    return f"{label}: zu {round(100 * item['share'])} % in {item['parent_code']}"


def _create_level(target: LevelTarget, parent: Level | None) -> Level:
    if parent is not None:
        order = parent.order + 1
        # Make room below the parent so orders stay coarse → fine.
        Level.objects.filter(order__gte=order).exclude(pk=parent.pk).update(order=F("order") + 1)
    else:
        order = (Level.objects.aggregate(m=Max("order"))["m"] or -1) + 1
    return Level.objects.create(key=target.key, name=target.name, order=order, parent=parent)


def _geom_row(geom: shapely.Geometry, area_m2: float) -> dict:
    minx, miny, maxx, maxy = geom.bounds
    return {
        "geometry": shapely.to_wkb(geom, output_dimension=2),
        "area_m2": float(area_m2),
        "min_lon": minx,
        "min_lat": miny,
        "max_lon": maxx,
        "max_lat": maxy,
    }


def _changed(old: Area, new: shapely.Geometry) -> bool:
    before = old.shape
    diff = shapely.symmetric_difference(before, new).area
    return diff > _SAME_GEOMETRY * max(before.area, new.area)


def _store_areas(
    level: Level, read: GeoRead, valid_from: date | None, report: GeometryReport
) -> list[Area]:
    """Create, version, keep or close areas; returns the areas now current, in file order."""
    current = {a.code: a for a in Area.objects.filter(level=level, valid_to__isnull=True)}
    result, to_create = [], []
    for code, name, geom, size in zip(
        read.codes, read.names, read.geometries, read.area_m2, strict=True
    ):
        old = current.pop(code, None)
        if old is not None and not _changed(old, geom):
            if old.name != name:
                old.name = name
                old.save(update_fields=["name"])
                report.renamed += 1
            report.unchanged += 1
            result.append(old)
            continue
        if old is not None:
            _close(old, valid_from, code)
            report.new_versions += 1
        else:
            report.created += 1
        to_create.append(
            Area(
                level=level,
                code=code,
                name=name,
                source_crs=read.source_crs,
                valid_from=valid_from,
                **_geom_row(geom, size),
            )
        )
        result.append(to_create[-1])
    Area.objects.bulk_create(to_create, batch_size=1000)
    for old in current.values():  # codes no longer in the file
        _close(old, valid_from, old.code)
        report.closed += 1
    return result


def _close(area: Area, valid_from: date | None, code: str) -> None:
    if valid_from is None:
        raise QuartierError(
            f"Die Grenzen von {code} haben sich geändert oder das Gebiet fehlt in der Datei. "
            "Bitte ein Datum „gültig ab“ angeben, damit die alte Fassung erhalten bleibt."
        )
    if area.valid_from is not None and area.valid_from >= valid_from:
        raise QuartierError(
            f"„Gültig ab“ ({valid_from:%d.%m.%Y}) muss nach dem Beginn der bisherigen Fassung "
            f"von {code} ({area.valid_from:%d.%m.%Y}) liegen."
        )
    area.valid_to = valid_from
    area.save(update_fields=["valid_to"])


def _parent_candidates(parent_level: Level, when: date | None) -> list[Area]:
    areas = Area.objects.filter(level=parent_level)
    if when is None:
        return list(areas.filter(valid_to__isnull=True))
    return [
        a
        for a in areas
        if (a.valid_from is None or a.valid_from <= when)
        and (a.valid_to is None or a.valid_to > when)
    ]


def best_parents(children: list[shapely.Geometry], parents: list[shapely.Geometry]):
    """Index of the parent with the largest overlap for each child, and the overlap share."""
    tree = shapely.STRtree(parents)
    child_idx, parent_idx = tree.query(children, predicate="intersects")
    best = np.full(len(children), -1)
    share = np.zeros(len(children))
    if child_idx.size:
        overlap = shapely.area(
            shapely.intersection(
                np.asarray(children, dtype=object)[child_idx],
                np.asarray(parents, dtype=object)[parent_idx],
            )
        )
        sizes = shapely.area(np.asarray(children, dtype=object))
        for c, p, a in zip(child_idx, parent_idx, overlap, strict=True):
            ratio = a / sizes[c] if sizes[c] > 0 else 0.0
            if ratio > share[c]:
                best[c], share[c] = p, ratio
    return best, share


def _assign_parents(
    level: Level, areas: list[Area], when: date | None, report: GeometryReport
) -> None:
    parents = _parent_candidates(level.parent, when)
    if not parents:
        report.findings.append(
            Finding(
                "warning", None, f"Die übergeordnete Ebene {level.parent.name} hat keine Gebiete."
            )
        )
        return
    shapes = [a.shape for a in areas]
    best, share = best_parents(shapes, [p.shape for p in parents])
    changed = []
    for area, b, s in zip(areas, best, share, strict=True):
        parent = parents[b] if b >= 0 else None
        if parent is not None:
            report.with_parent += 1
        if s < NESTED_SHARE:
            report.not_nested.append(
                NotNested(area.code, area.name, parent.code if parent else None, float(s))
            )
        if area.parent_id != (parent.id if parent else None):
            area.parent = parent
            changed.append(area)
    Area.objects.bulk_update(changed, ["parent"], batch_size=1000)


def _reparent_children(child_level: Level, level: Level) -> None:
    """After a level changed, link the current areas of the level below to its current areas."""
    children = list(Area.objects.filter(level=child_level, valid_to__isnull=True))
    if children:
        report = GeometryReport(level=child_level.key)
        _assign_parents(child_level, children, None, report)
