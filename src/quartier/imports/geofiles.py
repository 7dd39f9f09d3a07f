"""Open staged geometry files with pyogrio and work out their CRS.

Municipal staff upload whatever their GIS exported: a zipped shapefile, the loose
parts of one, a GeoPackage, GeoJSON, KML … This module turns an upload into one
path GDAL can open, describes it (:class:`GeoSource`) and decides the coordinate
reference system. Every bad input ends as a :class:`QuartierError` with a German
message; nothing here knows about Django.
"""

from __future__ import annotations

import codecs
import math
from dataclasses import dataclass, field
from pathlib import Path

import pyproj
import shapely

from quartier.errors import QuartierError
from quartier.imports.staging import (  # noqa: F401  (stage_upload is part of this API)
    _FORMATS_HINT,
    SHAPEFILE_PARTS,
    _require_content,
    stage_upload,
)

DEFAULT_CRS = "EPSG:25832"
_LDID_CODECS = {0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x57: "cp1252", 0x58: "cp1252",
                0x59: "cp1252", 0x64: "cp852", 0xC8: "cp1250"}  # fmt: skip
_CODEC_LABELS = {"UTF-8": "UTF-8", "cp1252": "Windows-1252", "ISO-8859-1": "ISO-8859-1 (Latin-1)"}


def _pyogrio():
    """The pyogrio module, imported on first use.

    Importing it loads pandas and geopandas (about 1 s of CPU), which a server
    process needs only when someone imports a geometry file; the map does not.
    """
    import pyogrio

    return pyogrio


def ogr_read(*args, **kwargs):
    """``pyogrio.raw.read``, imported on first use (see :func:`_pyogrio`)."""
    from pyogrio.raw import read

    return read(*args, **kwargs)


_GEOM_WORDS = {"Point": "Punkte", "LineString": "Linien", None: "keine Geometrie"}


@dataclass
class GeoSource:
    """An opened geometry file: where it is, which layer, its fields and its CRS."""

    path: Path
    layers: list[str]
    layer: str | None
    driver: str
    fields: list[str]
    feature_count: int
    crs_wkt: str | None
    crs_label: str
    encoding: str | None
    notes: list[str] = field(default_factory=list)
    bounds: tuple[float, float, float, float] | None = None  # in the file's coordinates


def open_source(path: Path, layer: str | None = None) -> GeoSource:
    """Open a staged file or folder and describe its polygon layer, fields and CRS.

    ``layer`` picks one layer of a multi-layer file; by default the first layer
    with polygons. Missing .shx files are restored; a missing .prj or .cpg is
    reported in ``notes``.
    """
    path = Path(path)
    if not path.exists():
        raise QuartierError(f"Die Datei „{path.name}“ wurde nicht gefunden.")
    if path.is_file():
        _require_content(path.name, path)
        if path.suffix.lower() == ".zip":  # GDAL would read it unchecked; stage_upload checks
            raise QuartierError("ZIP-Dateien bitte über das Hochladen entpacken lassen.")
    notes: list[str] = []
    for shp in _shapefiles(path):
        notes += _ensure_parts(shp)
    layers = _polygon_layers(path)
    chosen = layers[0] if layer is None else layer
    if chosen not in layers:
        raise QuartierError(
            f"Die Ebene „{chosen}“ gibt es nicht oder sie enthält keine Flächen. "
            f"Verfügbar: {', '.join(layers)}."
        )
    shp = next((p for p in _shapefiles(path) if p.stem == chosen or p == path), None)
    encoding = None
    if shp is not None:
        encoding, found = _shapefile_encoding(shp)
        notes += found
    info = guarded(path, _pyogrio().read_info, layer=chosen, encoding=encoding,
                   force_feature_count=True, force_total_bounds=True)  # fmt: skip
    crs_wkt, label = _file_crs(info.get("crs"))
    if crs_wkt is None:
        notes.append(_missing_crs_note(shp is not None, info.get("total_bounds")))
    elif not label.startswith("EPSG:"):
        notes.append(
            f"Das Koordinatensystem „{pyproj.CRS(crs_wkt).name}“ hat keinen EPSG-Code; es wird "
            "mit den Angaben aus der Datei umgerechnet. Bitte die Lage auf der Karte prüfen."
        )
    return GeoSource(
        path=path, layers=layers, layer=chosen, driver=str(info.get("driver") or ""),
        fields=[str(f) for f in info["fields"]], feature_count=int(info["features"]),
        crs_wkt=crs_wkt, crs_label=label, encoding=encoding, notes=notes,
        bounds=_finite_bounds(info.get("total_bounds")),
    )  # fmt: skip


def _finite_bounds(bounds) -> tuple[float, float, float, float] | None:
    try:
        values = tuple(float(v) for v in bounds)
    except (TypeError, ValueError):
        return None
    return values if len(values) == 4 and all(map(math.isfinite, values)) else None


def guarded(path: Path, func, *args, **kwargs):
    """Call a pyogrio function on ``path``; turn GDAL and I/O failures into QuartierError."""
    try:
        return func(path, *args, **kwargs)
    except UnicodeDecodeError as exc:
        raise QuartierError(
            f"Die Texte in „{path.name}“ passen nicht zur angegebenen Zeichenkodierung. "
            "Bitte die Datei mit der Kodierung UTF-8 exportieren."
        ) from exc
    except (RuntimeError, OSError, ValueError, TypeError) as exc:  # pyogrio errors included
        raise QuartierError(
            f"„{path.name}“ konnte nicht als Geodaten gelesen werden: die Datei ist beschädigt "
            f"oder in keinem unterstützten Format. {_FORMATS_HINT}"
        ) from exc


def _shapefiles(path: Path) -> list[Path]:
    if path.is_file():
        return [path] if path.suffix.lower() == ".shp" else []
    return sorted(p for p in path.iterdir() if p.suffix.lower() == ".shp" and p.is_file())


def _sibling(shp: Path, suffix: str) -> Path | None:
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _ensure_parts(shp: Path) -> list[str]:
    """Refuse a shapefile without .dbf; restore a missing .shx (GDAL rebuilds it)."""
    with open(shp, "rb") as handle:
        if handle.read(4) != b"\x00\x00\x27\x0a":  # file code 9994 starts every .shp
            raise QuartierError(
                f"„{shp.name}“ konnte nicht als Geodaten gelesen werden: die Datei ist kein "
                "gültiges Shapefile (vielleicht eine umbenannte Tabelle oder ein Bild)."
            )
    if _sibling(shp, ".dbf") is None:
        raise QuartierError(
            f"Zum Shapefile „{shp.name}“ fehlt die .dbf-Datei mit den Sachdaten (Codes, Namen). "
            "Bitte alle Teile (.shp, .shx, .dbf, .prj) hochladen, am besten als ZIP-Datei."
        )
    if _sibling(shp, ".shx") is not None:
        return []
    pyogrio = _pyogrio()
    old = pyogrio.get_gdal_config_option("SHAPE_RESTORE_SHX")
    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})
    try:  # the option is process-wide, so switch it off again right away
        guarded(shp, pyogrio.read_info)
    finally:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": old})
    return [f"Die Indexdatei {shp.stem}.shx fehlte und wurde aus der .shp-Datei wiederhergestellt."]


def _polygon_layers(path: Path) -> list[str]:
    useful, others = [], []
    for name, gtype in guarded(path, _pyogrio().list_layers):
        if gtype and ("Polygon" in gtype or "Surface" in gtype):
            useful.append(str(name))
        elif gtype and gtype.startswith(("Unknown", "Geometry")) and _has_polygons(path, name):
            useful.append(str(name))  # mixed layers (KML, GeoJSON) say "Unknown"; look inside
        else:
            base = gtype.replace("Multi", "").split(" ")[0] if gtype else None
            others.append(f"„{name}“ ({_GEOM_WORDS.get(base, gtype)})")
    if not useful:
        raise QuartierError(
            f"„{path.name}“ enthält keine Flächen (Polygone); gefunden: "
            f"{', '.join(others) or 'keine Ebenen'}. Gebietsgrenzen werden als Flächen gebraucht "
            "– bitte im GIS als Polygone exportieren."
        )
    return useful


def _has_polygons(path: Path, layer: str) -> bool:
    _, _, wkb, _ = guarded(path, ogr_read, layer=layer, columns=[], force_2d=True)
    if wkb is None:
        return False
    parts = shapely.get_parts(shapely.from_wkb(wkb, on_invalid="ignore"))
    return any(t in (3, 6) for t in shapely.get_type_id(parts))


def _shapefile_encoding(shp: Path) -> tuple[str | None, list[str]]:
    """The Python codec for the .dbf texts, from .cpg or sniffed from the raw bytes.

    None means "all ASCII" or "a .cpg GDAL knows better than Python": GDAL decides.
    """
    ldid, texts = _dbf_texts(_sibling(shp, ".dbf"))
    detected = _detect_codec(texts, ldid)
    cpg = _sibling(shp, ".cpg")
    if cpg is not None:
        declared = _codec_from_cpg(cpg.read_text(encoding="latin-1"))
        if declared is None or _decodes(texts, declared) or detected is None:
            return declared, []
        return detected, [
            f"Die .cpg-Datei nennt die Zeichenkodierung „{declared}“, die Texte passen aber "
            f"nicht dazu; erkannt: {_CODEC_LABELS.get(detected, detected)}."
        ]
    if detected is None:
        return None, []
    label = _CODEC_LABELS.get(detected, detected)
    return detected, [f"Zeichenkodierung der DBF-Datei nicht angegeben; erkannt: {label}."]


def _dbf_texts(dbf: Path, limit: int = 50_000_000) -> tuple[int, list[bytes]]:
    """The language-driver byte and the raw bytes of field names and text values."""
    with open(dbf, "rb") as handle:
        data = handle.read(limit)
    if len(data) < 32 or data[:limit].isascii():
        return 0, []
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    texts, columns, offset, pos = [], [], 1, 32  # offset 0 is the deletion flag
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        texts.append(data[pos : pos + 11].split(b"\0")[0])
        if data[pos + 11 : pos + 12] == b"C":
            columns.append((offset, data[pos + 16]))
        offset, pos = offset + data[pos + 16], pos + 32
    for start in range(header_len, len(data) - record_len + 1, max(record_len, 1)):
        for col, width in columns:
            texts.append(data[start + col : start + col + width].rstrip(b" \0"))
    return data[29], [t for t in texts if not t.isascii()]


def _detect_codec(texts: list[bytes], ldid: int) -> str | None:
    if not texts:
        return None
    if _decodes(texts, "UTF-8"):
        return "UTF-8"  # random Latin-1 text is almost never valid UTF-8
    codec = _LDID_CODECS.get(ldid, "cp1252")
    return codec if _decodes(texts, codec) else "ISO-8859-1"


def _decodes(texts: list[bytes], codec: str) -> bool:
    try:
        for text in texts:
            # Not final: a fixed-width field may cut a multi-byte character in half.
            codecs.getincrementaldecoder(codec)().decode(text, final=False)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _codec_from_cpg(text: str) -> str | None:
    value = text.strip().upper().removeprefix("ANSI ").strip()
    aliases = {"UTF8": "UTF-8", "65001": "UTF-8", "88591": "ISO-8859-1", "8859-1": "ISO-8859-1",
               "ISO88591": "ISO-8859-1", "1252": "cp1252", "WINDOWS-1252": "cp1252"}  # fmt: skip
    codec = aliases.get(value.replace(" ", ""), value)
    if codec.isdigit():
        codec = f"cp{codec}"
    try:
        codecs.lookup(codec)
    except LookupError:
        return None
    return codec


# --- coordinate reference systems ----------------------------------------------------------


def crs_label(crs: pyproj.CRS) -> str:
    """The EPSG code ("EPSG:25833") if pyproj identifies the CRS, else a German label."""
    code = crs.to_epsg(min_confidence=70)
    if code is not None:
        return f"EPSG:{code}"
    return f"Benutzerdefiniert: {crs.name} (kein EPSG-Code)"


def _file_crs(value: str | None) -> tuple[str | None, str]:
    if not value:
        return None, ""
    try:
        crs = pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        return None, ""  # unreadable means unknown: the user chooses, as without .prj
    return crs.to_wkt(), crs_label(crs)


def _missing_crs_note(is_shapefile: bool, bounds) -> str:
    why = " (die .prj-Datei fehlt)" if is_shapefile else ""
    note = (
        f"Die Datei enthält kein Koordinatensystem{why}. Bitte eines auswählen – meist "
        f"{DEFAULT_CRS} (ETRS89 / UTM 32N); in Berlin und den östlichen Ländern EPSG:25833."
    )
    try:
        xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    except (TypeError, ValueError):
        return note
    if -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
        note += " Die Koordinaten sehen nach Längen-/Breitengraden aus (dann EPSG:4326)."
    return note


def resolve_crs(source: GeoSource, chosen: str | None) -> pyproj.CRS:
    """The CRS to read ``source`` in: the file's own, else the user's choice.

    ``chosen`` is an "EPSG:25832"-style code, a bare number or WKT.
    """
    if source.crs_wkt:
        return _parse_crs(source.crs_wkt)
    if not chosen or not str(chosen).strip():
        raise QuartierError(
            "Die Datei enthält kein Koordinatensystem. Bitte eines auswählen "
            f"(Vorschlag: {DEFAULT_CRS})."
        )
    return _parse_crs(str(chosen).strip())


def _parse_crs(text: str) -> pyproj.CRS:
    value = f"EPSG:{text}" if text.isdigit() else text
    try:
        crs = pyproj.CRS.from_user_input(value)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as exc:
        raise QuartierError(
            f"Das Koordinatensystem „{text[:80]}“ ist unbekannt. Bitte einen EPSG-Code wie "
            f"{DEFAULT_CRS} angeben."
        ) from exc
    if not (crs.is_projected or crs.is_geographic):
        raise QuartierError(
            f"„{text[:80]}“ ist kein Lage-Koordinatensystem. Bitte einen EPSG-Code wie "
            f"{DEFAULT_CRS} angeben."
        )
    return crs
