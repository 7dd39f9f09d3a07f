"""Read the features of an opened geometry file into plain Python lists.

Codes stay text (leading zeros kept), geometries are repaired and reprojected to
EPSG:4326 (lon, lat), areas are true areas in m². Everything the user should know
about — repairs, skipped features, duplicate codes — becomes a :class:`Finding`
with a German message; the caller decides whether errors block the import.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely

from quartier.errors import QuartierError
from quartier.imports.codewidth import pad_code, restored_message
from quartier.imports.geofiles import GeoSource, crs_label, guarded, ogr_read

AREA_CRS = "EPSG:3035"  # LAEA Europe: equal-area, so planar areas are true areas

_CODE_NAMES = re.compile(
    r"(^|_)(ID|NR|NUMMER|SCHL|SCHLUESSEL|SCHLÜSSEL|KEY|CODE|KZ|KENNZIFFER|AGS|ARS)$"
    r"|^(SCHL|KENN)|(ID|NR)$"
)
_NAME_NAMES = re.compile(r"NAME|BEZEICH|TITEL|TITLE|LABEL")
_TECHNICAL = {"FID", "OBJECTID", "OBJECTID_1", "OGC_FID", "GML_ID", "GID", "OID", "SHAPE_AREA",
              "SHAPE_LEN", "SHAPE_LENG", "SHAPE_LENGTH"}  # fmt: skip
_REASONS = {
    "Ring Self-intersection": "Selbstüberschneidung",
    "Self-intersection": "Selbstüberschneidung",
    "Too few points in geometry component": "zu wenige Punkte",
    "Interior is disconnected": "Fläche zerfällt in Teile",
    "Hole lies outside shell": "Loch außerhalb der Außengrenze",
    "Nested holes": "verschachtelte Löcher",
    "Nested shells": "verschachtelte Flächen",
    "Duplicate Rings": "doppelte Ringe",
    "Invalid Coordinate": "ungültige Koordinate",
    "Ring is not closed": "Ring nicht geschlossen",
}
_KINDS = {"Point": "ein Punkt", "MultiPoint": "Punkte", "LineString": "eine Linie",
          "MultiLineString": "Linien", "LinearRing": "eine Linie"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """Something the user should know about the file: an error, warning or info."""

    severity: str  # "error" | "warning" | "info"
    code: str | None
    message: str
    kind: str = ""  # findings of one kind are listed together (see imports.findings)


@dataclass
class GeoRead:
    """Features ready for import: parallel lists, geometries valid and in EPSG:4326."""

    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    geometries: list = field(default_factory=list)
    area_m2: list[float] = field(default_factory=list)
    source_crs: str = ""
    findings: list[Finding] = field(default_factory=list)
    skipped: int = 0
    source_bounds: tuple[float, float, float, float] | None = None  # before reprojection


# --- choosing fields ----------------------------------------------------------------------


def sample_values(source: GeoSource, n: int = 50) -> dict[str, list]:
    """The first ``n`` values of every field, as plain Python values (None for missing)."""
    meta, _, _, data = guarded(
        source.path, ogr_read, layer=source.layer, encoding=source.encoding,
        read_geometry=False, max_features=n,
    )  # fmt: skip
    columns = zip(meta["fields"], data, strict=True)
    return {str(name): [_plain(v) for v in values] for name, values in columns}


def guess_fields(fields: list[str], sample: dict[str, list]) -> tuple[str | None, str | None]:
    """Guess the code field and the name field from field names and sample values.

    The code field must be complete and unique in the sample, short, and either be
    named like a key (…_ID, …_NR, SCHLUESSEL …) or hold text with digits.
    """
    codes = [(s, -i, f) for i, f in enumerate(fields) if (s := _code_score(f, sample.get(f, [])))]
    code = max(codes)[2] if codes else None
    names = [
        (s, -i, f)
        for i, f in enumerate(fields)
        if f != code and (s := _name_score(f, sample.get(f, [])))
    ]
    return code, max(names)[2] if names else None


def _code_score(name: str, values: list) -> int:
    texts = [_as_text(v) for v in values]
    present = [t for t in texts if t is not None]
    if not present or len(present) < 0.9 * len(values) or len(set(present)) < len(present):
        return 0
    if any(isinstance(v, float) and not v.is_integer() for v in values if v is not None):
        return 0  # areas and lengths are unique too, but never codes
    if max(len(t) for t in present) > 30:
        return 0
    upper = name.upper()
    named = bool(_CODE_NAMES.search(upper))
    text_digits = all(isinstance(v, str) for v in values if v is not None) and all(
        any(ch.isdigit() for ch in t) for t in present
    )
    if not (named or text_digits):
        return 0
    score = 4 * named + 2 * text_digits + (len({len(t) for t in present}) == 1)
    score += all(isinstance(v, int) for v in values if v is not None)
    return max(score - 5 * (upper in _TECHNICAL), 1)


def _name_score(name: str, values: list) -> int:
    present = [t for t in (_as_text(v) for v in values) if t is not None]
    if not present or not _NAME_NAMES.search(name.upper()):
        return 0
    if not all(isinstance(v, str) for v in values if v is not None):
        return 0
    lettered = sum(any(ch.isalpha() for ch in t) for t in present) / len(present)
    if lettered < 0.8:
        return 0
    return 4 + (len(set(present)) > 0.8 * len(present)) + (len(present) == len(values))


# --- reading ------------------------------------------------------------------------------


def read_features(
    source: GeoSource,
    *,
    code_field: str,
    name_field: str | None,
    crs: pyproj.CRS,
    code_width: int | None = None,
) -> GeoRead:
    """Read codes, names and polygons; repair, reproject to EPSG:4326 and measure areas.

    ``code_width`` pads codes of digits only with leading zeros to that many
    digits (codes a GIS stored as numbers, see :mod:`quartier.imports.codewidth`).
    """
    for wanted in (code_field, name_field):
        if wanted is not None and wanted not in source.fields:
            raise QuartierError(
                f"Das Feld „{wanted}“ gibt es in der Datei nicht. "
                f"Vorhanden: {', '.join(source.fields)}."
            )
    codes, names, geoms = _read_layer(source, code_field, name_field)
    if not geoms:
        raise QuartierError("Die Datei enthält keine Objekte.")
    result = GeoRead(source_crs=_crs_text(crs))
    if code_width:
        padded = [None if c is None else pad_code(c, code_width) for c in codes]
        changed = [(a, b) for a, b in zip(codes, padded, strict=True) if a != b]
        present = sum(c is not None for c in codes)
        message = restored_message(code_field, changed, present, code_width)
        result.findings.append(Finding("info", None, message))
        codes, names = padded, (names if name_field else padded)
    kept: dict[str, int] = {}
    for number, (code, name, geom) in enumerate(zip(codes, names, geoms, strict=True), 1):
        clean = _accept(result, number, code, name, geom, code_field, kept)
        if clean is None:
            result.skipped += 1
            continue
        kept[code] = number
        result.codes.append(code)
        result.names.append(name or code)
        result.geometries.append(clean)
    if not result.codes:
        raise QuartierError(
            "Keines der Objekte konnte übernommen werden: " + _summary(result.findings)
        )
    _project(result, crs)
    return result


def _read_layer(source: GeoSource, code_field: str, name_field: str | None):
    columns = [code_field] + ([name_field] if name_field and name_field != code_field else [])
    meta, _, wkb, data = guarded(
        source.path, ogr_read, layer=source.layer, encoding=source.encoding,
        columns=columns, force_2d=True,
    )  # fmt: skip
    # pyogrio returns columns in file order, not in the order asked for.
    by_name = dict(zip(meta["fields"], data, strict=True))
    if wkb is None:
        raise QuartierError("Die Datei enthält keine Geometrien.")
    # Unparseable WKB (curves GEOS cannot read) becomes None and is reported as missing.
    geoms = list(shapely.from_wkb(wkb, on_invalid="ignore"))
    types = shapely.get_type_id(shapely.get_parts(np.asarray(geoms, dtype=object)))
    if len(geoms) and not any(t in (3, 6) for t in types):
        raise QuartierError(
            "Die Ebene enthält keine Flächen (Polygone), nur Punkte oder Linien. "
            "Gebietsgrenzen werden als Flächen gebraucht – bitte als Polygone exportieren."
        )
    codes = [_as_text(v) for v in by_name[code_field]]
    names = [_as_text(v) for v in by_name[name_field]] if name_field else codes
    return codes, names, geoms


def _accept(result, number, code, name, geom, code_field, kept):
    """The usable polygonal geometry of one feature, or None (with a Finding)."""
    label = code if not name or name == code else f"{code} ({name})"
    if code is None:
        result.findings.append(Finding("warning", None, (
            f"Objekt Nr. {number} hat keinen Wert im Feld „{code_field}“ und wird nicht "
            "übernommen."
        ), "no_code"))  # fmt: skip
        return None
    if code in kept:
        result.findings.append(Finding("error", code, (
            f"Der Code {code} kommt mehrfach vor (Objekte Nr. {kept[code]} und {number}); "
            "übernommen würde nur das erste. Bitte die Codes in der Datei eindeutig machen."
        ), "duplicate_code"))  # fmt: skip
        return None
    clean, problem, kind = _polygonal(geom, label)
    if problem:
        result.findings.append(Finding("warning", code, problem, kind))
    return clean


def _polygonal(geom, label: str) -> tuple[object | None, str | None, str]:
    """Keep the polygonal part of ``geom``, repairing it; say what happened (and its kind)."""
    if geom is None or geom.is_empty:
        return None, f"Gebiet {label} hat keine Geometrie und wird nicht übernommen.", "no_geometry"
    if geom.geom_type in _KINDS:
        kind = _KINDS[geom.geom_type]
        return (
            None,
            f"Gebiet {label} ist keine Fläche, sondern {kind}; es wird nicht übernommen.",
            "not_polygon",
        )
    problem, parts, problem_kind = None, [], ""
    try:
        if not shapely.is_valid(geom):
            reason = _reason(shapely.is_valid_reason(geom))
            # "structure" rebuilds areas from the rings and drops collapsed slivers,
            # which suits boundaries better than the default "linework" method.
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
            problem = f"Geometrie von {label} war ungültig ({reason}) und wurde repariert."
            problem_kind = "repaired"
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        clean = shapely.union_all(parts) if parts else None
    except shapely.errors.GEOSException:
        clean = None
    if geom.geom_type == "GeometryCollection" and problem is None and parts:
        problem = f"Gebiet {label} enthielt neben Flächen auch Punkte oder Linien; sie entfallen."
        problem_kind = "mixed"
    if clean is None or clean.is_empty or clean.area == 0:
        return (
            None,
            f"Gebiet {label} hat keine gültige Fläche und wird nicht übernommen.",
            "no_area",
        )
    return clean, problem, problem_kind


def _reason(text: str) -> str:
    """GEOS's English validity reason in German, keeping the location it names."""
    match = re.match(r"([^\[]*)(?:\[(\S+) (\S+)\])?", text)
    words = match.group(1).strip()
    german = _REASONS.get(words, words)
    return f"{german} bei {match.group(2)} {match.group(3)}" if match.group(2) else german


def _project(result: GeoRead, crs: pyproj.CRS) -> None:
    """Reproject to EPSG:4326 (lon, lat) in place and measure areas."""
    try:
        to_wgs = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    except pyproj.exceptions.ProjError as exc:
        raise QuartierError(
            f"Aus dem Koordinatensystem {crs_label(crs)} kann nicht umgerechnet werden."
        ) from exc
    geoms = np.asarray(result.geometries, dtype=object)
    result.source_bounds = tuple(float(v) for v in shapely.total_bounds(geoms))
    geoms = shapely.transform(geoms, to_wgs.transform, interleaved=False)
    xy = shapely.get_coordinates(geoms)
    if not np.isfinite(xy).all() or np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90:
        raise QuartierError(
            f"Die Koordinaten passen nicht zum Koordinatensystem {crs_label(crs)}. "
            "Bitte das richtige Koordinatensystem auswählen."
        )
    # Reprojection can move a vertex across a nearby edge; repair quietly, the
    # user cannot act on sub-millimetre changes. Keep the original if repair fails.
    for i in np.flatnonzero(~shapely.is_valid(geoms)):
        repaired = _polygonal(geoms[i], "")[0]
        geoms[i] = geoms[i] if repaired is None else repaired
    geoms = shapely.orient_polygons(geoms)  # RFC 7946: exterior rings counter-clockwise
    to_area = pyproj.Transformer.from_crs("EPSG:4326", AREA_CRS, always_xy=True)
    areas = shapely.area(shapely.transform(geoms, to_area.transform, interleaved=False))
    result.geometries = list(geoms)
    result.area_m2 = [float(a) for a in areas]
    # Whether the areas lie where they belong is judged by quartier.imports.placement.


def _crs_text(crs: pyproj.CRS) -> str:
    label = crs_label(crs)
    return label if label.startswith("EPSG:") else crs.to_wkt()


def _summary(findings: list[Finding]) -> str:
    shown = " ".join(f.message for f in findings[:3])
    more = len(findings) - 3
    return shown + (f" (und {more} weitere Meldungen)" if more > 0 else "")


def _plain(value):
    """Numpy scalars to Python values; NaN/NaT to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _as_text(value) -> str | None:
    """A field value as code/name text: integers without ".0", strings stripped."""
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None
