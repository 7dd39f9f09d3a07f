"""Does an imported level lie where it belongs? The location check, and a better CRS.

A shapefile without .prj read in the wrong coordinate system does not end up in
the ocean: Berlin's UTM 33 coordinates read as UTM 32 lie 6° west, in Lower
Saxony — in Germany, and wrong. Before anything is stored, the new areas'
extent is compared with the levels that exist (the level itself when it gets new
boundaries, the parent level; otherwise every level with areas), or — for the
first import — with Germany. When it does not fit, the common German coordinate
systems are tried on the file's own coordinates and the ones that would fit are
named. A file without a coordinate system that fits Germany in more than one of
them is flagged too: only the user can tell which place is right.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import pyproj
import shapely
from django.db.models import Max, Min

from quartier.imports.geofiles import crs_label
from quartier.imports.georead import GeoRead
from quartier.spatial.models import Area

GERMANY = (5.5, 47.0, 15.5, 55.2)  # lon/lat box around Germany
# The coordinate systems German boundary files come in: ETRS89/UTM (also with the zone
# number in the easting), DHDN/Gauß-Krüger zones 2–5, LAEA Europe, longitude/latitude.
CANDIDATES = ("EPSG:25832", "EPSG:25833", "EPSG:4647", "EPSG:5650", "EPSG:31466", "EPSG:31467",
              "EPSG:31468", "EPSG:31469", "EPSG:3035", "EPSG:4326")  # fmt: skip
PLAUSIBLE = 0.5  # share of the smaller extent that must overlap the reference
_DIRECTIONS = ("nördlich", "nordöstlich", "östlich", "südöstlich", "südlich", "südwestlich",
               "westlich", "nordwestlich")  # fmt: skip


@dataclass(frozen=True)
class Extent:
    """Where something already is: a level's areas, or Germany (lon/lat box)."""

    label: str  # German, fits "im Bereich …": "der vorhandenen Ebene „Prognoseraum“"
    box: tuple[float, float, float, float]
    level: str | None = None  # the level's key; None for Germany


@dataclass
class Suggestion:
    """A coordinate system in which the file's coordinates would lie plausibly."""

    crs: str
    name: str
    share: float
    lon: float
    lat: float


@dataclass
class Placement:
    """Where the new areas lie, whether that is plausible, and what to do if not."""

    crs: str
    crs_from_file: bool
    count: int
    area_km2: float
    bbox: tuple[float, float, float, float]
    reference: str
    reference_levels: list[str]
    share: float
    plausible: bool
    relation: str
    suggestions: list[Suggestion] = field(default_factory=list)
    warning: str = ""  # set when the user must confirm the location

    def to_json(self) -> dict:
        """Plain data for a job's report (JSON)."""
        return asdict(self)


def level_extents(keys: list[str] | None = None) -> list[Extent]:
    """The extent of the current areas of each level (of ``keys``, or all levels)."""
    rows = Area.objects.filter(valid_to__isnull=True)
    if keys is not None:
        rows = rows.filter(level__key__in=keys)
    rows = (
        rows.values("level__key", "level__name", "level__order")
        .annotate(w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat"))
        .order_by("level__order")
    )
    return [
        Extent(
            f"der vorhandenen Ebene „{r['level__name']}“",
            (r["w"], r["s"], r["e"], r["n"]),
            r["level__key"],
        )
        for r in rows
    ]


def reference_extents(target_key: str, parent_key: str | None) -> list[Extent]:
    """What the new areas are compared with: the level itself and its parent, else all levels."""
    related = [key for key in (target_key, parent_key) if key]
    return level_extents(related) or level_extents() or [Extent("Deutschlands", GERMANY)]


def check_placement(
    read: GeoRead,
    crs: pyproj.CRS,
    *,
    crs_from_file: bool,
    target_key: str,
    parent_key: str | None = None,
) -> Placement:
    """Judge where ``read`` (already in lon/lat) lies; suggest a CRS when it is implausible."""
    bbox = tuple(float(v) for v in shapely.total_bounds(read.geometries))
    extents = reference_extents(target_key, parent_key)
    best = max(extents, key=lambda e: overlap(bbox, e.box))
    share = overlap(bbox, best.box)
    used = crs_label(crs)
    placement = Placement(
        crs=used,
        crs_from_file=crs_from_file,
        count=len(read.codes),
        area_km2=sum(read.area_m2) / 1e6,
        bbox=bbox,
        reference=best.label,
        reference_levels=[e.level for e in extents if e.level],
        share=share,
        plausible=share >= PLAUSIBLE,
        relation=relation(bbox, best, share),
        suggestions=suggest(read.source_bounds, used, extents),
    )
    placement.warning = _warning(placement)
    return placement


def overlap(box, reference) -> float:
    """Overlap of two lon/lat boxes as a share of the smaller one (0 … 1)."""
    a, b = shapely.box(*box), shapely.box(*reference)
    smaller = min(a.area, b.area)
    if smaller == 0:  # a single point or line: inside or not
        return 1.0 if a.intersects(b) else 0.0
    return a.intersection(b).area / smaller


def relation(bbox, extent: Extent, share: float) -> str:
    """Where ``bbox`` lies relative to ``extent``, as a German sentence."""
    if share >= PLAUSIBLE:
        return f"Die Gebiete liegen im Bereich {extent.label} (Überdeckung {percent(share)})."
    if share > 0:
        return (
            f"Die Gebiete liegen nur zum Teil im Bereich {extent.label} "
            f"(Überdeckung {percent(share)})."
        )
    km, direction = _distance(_centre(extent.box), _centre(bbox))
    return (
        f"Die Gebiete liegen nicht im Bereich {extent.label}, sondern etwa {number(km)} km "
        f"{direction} davon (Mitte bei {degrees(*_centre(bbox))})."
    )


def suggest(raw_bounds, used: str, extents: list[Extent]) -> list[Suggestion]:
    """Common German CRSs (other than ``used``) in which the raw coordinates would fit."""
    if raw_bounds is None:
        return []
    out = []
    for code in CANDIDATES:
        if code == used:
            continue
        box = lonlat_box(raw_bounds, code)
        if box is None:
            continue
        share = max(overlap(box, e.box) for e in extents)
        if share >= PLAUSIBLE:
            lon, lat = _centre(box)
            out.append(Suggestion(code, pyproj.CRS(code).name, share, lon, lat))
    return sorted(out, key=lambda s: -s.share)


def lonlat_box(bounds, crs: str) -> tuple[float, float, float, float] | None:
    """``bounds`` in ``crs`` as a lon/lat box, or None where that is impossible."""
    try:
        transformer = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        box = transformer.transform_bounds(*bounds, densify_pts=21)
    except pyproj.exceptions.ProjError:
        return None
    w, s, e, n = box
    if not all(math.isfinite(v) for v in box) or not (-180 <= w <= e <= 180):
        return None
    return (w, s, e, n) if -90 <= s <= n <= 90 else None


def _warning(p: Placement) -> str:
    """The text the user must confirm, or "" when the location raises no doubt."""
    chosen = (
        f"Die Datei nennt das Koordinatensystem {p.crs}."
        if p.crs_from_file
        else f"Die Datei nennt kein Koordinatensystem; gewählt wurde {p.crs}."
    )
    if not p.plausible:
        if p.suggestions:
            best = p.suggestions[0]
            fix = "bitte die .prj-Datei prüfen" if p.crs_from_file else "bitte dieses wählen"
            advice = (
                f" Mit {best.crs} ({best.name}) lägen sie im Bereich {p.reference} "
                f"(Mitte bei {degrees(best.lon, best.lat)}) – {fix}."
            )
        else:
            advice = " Keines der in Deutschland üblichen Koordinatensysteme passt besser."
        return f"{p.relation} {chosen}{advice}"
    if not p.crs_from_file and p.suggestions:
        others = "; ".join(f"mit {s.crs} bei {degrees(s.lon, s.lat)}" for s in p.suggestions)
        return (
            f"{chosen} Die Koordinaten passen auch zu anderen Koordinatensystemen ({others}). "
            "Bitte auf der Karte prüfen, ob die Lage stimmt."
        )
    return ""


def lines(p: Placement) -> list[str]:
    """The location check as lines of text (command line)."""
    w, s, e, n = p.bbox
    out = [
        f"Lage: {p.count} Gebiete, {number(p.area_km2, 1)} km², von {degrees(w, s)} bis "
        f"{degrees(e, n)} ({p.crs}).",
    ]
    if not p.plausible and p.warning:  # the warning repeats the relation
        return [*out, f"Achtung: {p.warning}"]
    return [*out, p.relation] + ([p.warning] if p.warning else [])


def number(value: float, decimals: int = 0) -> str:
    """German number: 1234.5 → "1.234,5"."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def percent(share: float) -> str:
    """0.987 → "99 %" (German spacing)."""
    return f"{round(100 * share)} %"


def degrees(lon: float, lat: float) -> str:
    """(13.4, 52.52) → "13,40° O, 52,52° N"."""
    east = "O" if lon >= 0 else "W"
    north = "N" if lat >= 0 else "S"
    return f"{abs(lon):.2f}° {east}, {abs(lat):.2f}° {north}".replace(".", ",")


def _centre(box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _distance(origin, target) -> tuple[float, str]:
    """Kilometres and compass direction from ``origin`` to ``target`` (lon, lat)."""
    azimuth, _back, metres = pyproj.Geod(ellps="WGS84").inv(*origin, *target)
    return metres / 1000, _DIRECTIONS[round((azimuth % 360) / 45) % 8]


def propose_crs(raw_bounds, default: str) -> tuple[str, str]:
    """For a file without CRS: the CRS to preselect, and a German note on why (or "")."""
    extents = level_extents() or [Extent("Deutschlands", GERMANY)]
    fits = suggest(raw_bounds, "", extents)
    if not fits:
        return default, ""
    names = " und ".join(f"{s.crs} (bei {degrees(s.lon, s.lat)})" for s in fits)
    if extents[0].level is not None:  # existing levels: the best overlap is the answer
        return fits[0].crs, (
            f"Mit {fits[0].crs} ({fits[0].name}) liegen die Koordinaten im Bereich der "
            "vorhandenen Ebenen; es ist vorausgewählt."
        )
    if len(fits) == 1:
        return fits[0].crs, f"Die Koordinaten passen in Deutschland nur zu {names}; vorausgewählt."
    chosen = default if default in [s.crs for s in fits] else fits[0].crs
    return chosen, (
        f"Die Koordinaten passen in Deutschland zu mehreren Koordinatensystemen: {names}. "
        "Bitte das richtige wählen und die Lage im Prüfergebnis auf der Karte kontrollieren."
    )
