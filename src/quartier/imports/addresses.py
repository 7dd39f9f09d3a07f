"""German addresses to coordinates: normalise, then look up in an address register.

Microdata (school-entry examinations, Kita waiting lists …) carry addresses; the address
register ("Hauskoordinaten" from the cadastre) gives each address a point. Matching is an
exact lookup of one canonical key per address: fast, predictable, no guessing at typos.

Street rules (:func:`normalise_street`), applied in this order:

1. Unicode NFC, case folded; "ß" and "ẞ" become "ss".
2. Umlauts are written out: ä → ae, ö → oe, ü → ue (the canonical form is the ASCII one,
   so "Düsseldorfer" and "Duesseldorfer" agree); other accents are dropped (é → e).
3. Abbreviations: "str." or "str" at the end of a word → "strasse" ("Hauptstr." and
   "Hauptstr" = "Hauptstraße"); "pl." at the end of a word → "platz"; "St." as a word of
   its own → "sankt" ("St.-Georg-Str." = "Sankt-Georg-Straße"). "Pl" without a dot and other
   abbreviations (Dr., Prof.) are left alone: both sides then must write them alike.
4. Everything that is not a letter or digit is removed — spaces, hyphens, dots, slashes —
   so "Konrad-Adenauer-Str.", "Konrad Adenauer Straße" and "Haupt-Straße"/"Hauptstraße"
   agree. The result ("konradadenauerstrasse") is a key, not a display text.

House numbers: :func:`normalise_number`; postcodes: :func:`normalise_postcode`; keys and
the postcode fallback: :func:`address_key` and :func:`match_addresses`.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyproj
import shapely

from quartier.errors import QuartierError
from quartier.imports.sniffing import decode_text, detect_delimiter

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_SANKT = re.compile(r"(?<![a-z0-9])st\.(?=[\s\-]*[a-z])")
_STRASSE = re.compile(r"str(?:\.|(?![a-z]))")
_PLATZ = re.compile(r"pl\.")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# Number, then either one letter (not the start of a word like "bis", nor "u.") or "/digits".
_NUMBER = re.compile(r"0*(\d+)(?:[\s\-]*([a-z])(?![a-z.])|\s*/\s*0*(\d+))?")

_COLUMNS = {
    "street": ("strasse", "strassenname", "street", "streetname", "stn", "str", "strname"),
    "number": ("hausnummer", "hnr", "hausnr", "hsnr", "nr", "nummer", "number", "housenumber"),
    "suffix": ("zusatz", "adz", "hnrz", "hnrzusatz", "hausnummerzusatz", "adressierungszusatz",
               "suffix", "buchstabe"),
    "postcode": ("plz", "postleitzahl", "postcode", "postalcode", "zip"),
    "x": ("x", "rechtswert", "ostwert", "east", "ost", "easting", "rw", "xkoordinate", "lon",
          "lng", "longitude", "laenge"),
    "y": ("y", "hochwert", "nordwert", "north", "nord", "northing", "hw", "ykoordinate", "lat",
          "latitude", "breite"),
}  # fmt: skip
_WORDS = {"street": "Straße", "number": "Hausnummer", "x": "Rechtswert (x)", "y": "Hochwert (y)"}
# The nationwide "Hauskoordinaten Deutschland" (HK-DE) file has no header row.
_HK_DE = {"number": 9, "suffix": 10, "x": 11, "y": 12, "street": 13, "postcode": 14}


def normalise_street(text: str) -> str:
    """Canonical form of a street name for matching (rules in the module docstring)."""
    return _street(_text(text))


@lru_cache(maxsize=65536)  # a town has a few thousand streets; records repeat them
def _street(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _SANKT.sub("sankt ", text)
    text = _STRASSE.sub("strasse", text)
    text = _PLATZ.sub("platz", text)
    return _NOT_ALNUM.sub("", text)


def normalise_number(number: str, suffix: str = "") -> str:
    """Canonical house number: digits without leading zeros plus an optional suffix.

    "12a", "12 a", "12A", "012a", "12-a" and number "12" with suffix "a" all give "12a".
    A suffix of digits ("12" + "1", or "12/1" as written in Baden-Württemberg) gives
    "12/1". Ranges and extra words keep only the first number and its letter: "12-14" and
    "12 bis 14" → "12", "12a-c" → "12a". Text without a leading number is kept as letters
    and digits only; empty input gives "".
    """
    return _number(_text(number), _text(suffix))


@lru_cache(maxsize=65536)
def _number(number: str, suffix: str) -> str:
    text, suffix = number.casefold().strip(), suffix.casefold().strip()
    if not text:
        return ""
    if suffix:
        text = f"{text}/{suffix}" if suffix[0].isdigit() else f"{text} {suffix}"
    match = _NUMBER.match(text)
    if match is None:
        return _NOT_ALNUM.sub("", text)
    if match[3]:
        return f"{match[1]}/{match[3]}"
    return match[1] + (match[2] or "")


def normalise_postcode(postcode: str) -> str:
    """Five-digit German postcode, or "" when the text holds none ("D-1067" → "01067")."""
    digits = re.sub(r"\D", "", _text(postcode))
    return digits.zfill(5) if len(digits) in (4, 5) else ""


def address_key(street: str, number: str, suffix: str = "", postcode: str = "") -> str:
    """One canonical key: "hauptstrasse 12a", or "50667 hauptstrasse 12a" with a postcode.

    Returns "" when the street or the number is missing. The register stores both forms
    (the short one only where it is unique), so a record with a postcode can be looked up
    exactly and a record without one still finds its address — see :func:`match_addresses`.
    """
    street, number = normalise_street(street), normalise_number(number, suffix)
    if not street or not number:
        return ""
    postcode = normalise_postcode(postcode)
    return f"{postcode} {street} {number}" if postcode else f"{street} {number}"


@dataclass
class AddressRegister:
    """Address keys with their coordinates, ready for :func:`match_addresses`.

    ``keys`` holds "plz street number" keys for rows with a postcode and "street number"
    keys for every address that exists under one postcode only; those that exist under
    several are in ``ambiguous`` and need the postcode. ``size`` counts the usable rows,
    ``skipped`` the rows without street, number or coordinates.
    """

    keys: dict[str, tuple[float, float]]
    crs: str
    size: int
    ambiguous: set[str]
    postcodes: set[str] = field(default_factory=set)
    skipped: int = 0


def build_register(streets, numbers, suffixes, postcodes, xs, ys, crs: str) -> AddressRegister:
    """Build a register from columns (``suffixes`` and ``postcodes`` may be None).

    The first row of an address repeated in the register wins.
    """
    streets, numbers, suffixes, postcodes = _lists(streets, numbers, suffixes, postcodes)
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    n = len(streets)
    if not xs.shape == ys.shape == (n,):
        raise QuartierError("Zu jeder Adresse gehören genau ein x- und ein y-Wert.")
    keys: dict[str, tuple[float, float]] = {}
    short: dict[str, tuple[float, float]] = {}
    postcode_of: dict[str, str] = {}  # street+number key → the first postcode seen with it
    ambiguous: set[str] = set()
    found: set[str] = set()
    usable = np.isfinite(xs) & np.isfinite(ys)
    size = 0
    for i in range(n):
        key = address_key(streets[i], numbers[i], suffixes[i])
        if not key or not usable[i]:
            continue
        size += 1
        point, postcode = (float(xs[i]), float(ys[i])), normalise_postcode(postcodes[i])
        short.setdefault(key, point)
        if postcode:
            found.add(postcode)
            keys.setdefault(f"{postcode} {key}", point)
            if postcode_of.setdefault(key, postcode) != postcode:
                ambiguous.add(key)
    keys.update((key, point) for key, point in short.items() if key not in ambiguous)
    return AddressRegister(keys, crs, size, ambiguous, found, skipped=n - size)


@dataclass
class MatchResult:
    """Coordinates per record (NaN where unmatched) and the records that found no address.

    ``unmatched`` holds (record index, address as written); the index counts from 0 like the
    positions in ``x``/``y``, so a report of file lines adds the header lines and 1.
    ``ambiguous`` counts the unmatched records whose street and number exist under several
    postcodes (a postcode would help).
    """

    x: np.ndarray
    y: np.ndarray
    matched: int
    unmatched: list[tuple[int, str]]
    ambiguous: int = 0


def match_addresses(
    register: AddressRegister, streets, numbers, suffixes=None, postcodes=None
) -> MatchResult:
    """Look up each record's address; every record is matched on its own (no deduplication).

    With a postcode the exact "plz street number" key is tried first. The short "street
    number" key is the fallback when the record has no postcode, when the register has
    none, or when the postcode is one of the register's (a typo or an old postcode) — but
    never for an address that exists under several postcodes, and never for a postcode
    the register does not know, since such a record is likely from another municipality.
    """
    streets, numbers, suffixes, postcodes = _lists(streets, numbers, suffixes, postcodes)
    n = len(streets)
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    unmatched: list[tuple[int, str]] = []
    ambiguous = 0
    for i in range(n):
        key = address_key(streets[i], numbers[i], suffixes[i])
        postcode = normalise_postcode(postcodes[i])
        point = register.keys.get(f"{postcode} {key}") if key and postcode else None
        fallback = not postcode or not register.postcodes or postcode in register.postcodes
        if point is None and key and fallback:
            point = register.keys.get(key)
        if point is None:
            written = _as_written(streets[i], numbers[i], suffixes[i], postcodes[i])
            unmatched.append((i, written))
            ambiguous += key in register.ambiguous
        else:
            x[i], y[i] = point
    return MatchResult(x, y, n - len(unmatched), unmatched, ambiguous)


def _lists(streets, numbers, suffixes, postcodes) -> tuple[list, list, list, list]:
    """Columns as plain lists (a pandas Series would index by label); None → empty texts."""
    streets, numbers = list(streets), list(numbers)
    n = len(streets)
    suffixes = [""] * n if suffixes is None else list(suffixes)
    postcodes = [""] * n if postcodes is None else list(postcodes)
    if not len(numbers) == len(suffixes) == len(postcodes) == n:
        raise QuartierError("Straße, Hausnummer, Zusatz und PLZ müssen gleich viele Zeilen haben.")
    return streets, numbers, suffixes, postcodes


def _as_written(street, number, suffix, postcode) -> str:
    address = " ".join(t for t in (_text(street), _text(number), _text(suffix)) if t)
    return f"{address}, {_text(postcode)}" if _text(postcode) else address


def _text(value) -> str:
    """Cell value as text: None and NaN → "", 12.0 → "12" (numbers read from spreadsheets)."""
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
    return str(value).strip()


# --- reading a register file -----------------------------------------------------------------


def read_register(path: Path, crs: str | None = None) -> AddressRegister:
    """Read an address register from a CSV file or a point layer (GeoPackage, GeoJSON …).

    CSV: UTF-8 or Windows-1252, ";" or "," as delimiter, decimal comma allowed; the
    columns are recognised by name (strasse/STN, hausnummer/HNR, zusatz/ADZ, plz, x/
    rechtswert/ostwert, y/hochwert/nordwert …) or, without a header, by the HK-DE layout.
    Eastings with a UTM zone prefix (32356789,12 in HK-DE) give EPSG:25832/25833. ``crs``
    names the CRS when the file does not: always needed for plain UTM coordinates in a CSV.
    """
    path = Path(path)
    if not path.is_file():
        raise QuartierError(f"Die Datei „{path.name}“ wurde nicht gefunden.")
    if path.suffix.lower() in (".csv", ".txt"):
        return _read_csv(path, crs)
    return _read_layer(path, crs)


def _read_csv(path: Path, crs: str | None) -> AddressRegister:
    text, _encoding = decode_text(path.read_bytes(), None)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text)))
    rows = [row for row in rows if any(c.strip() for c in row) and not row[0].startswith("#")]
    if not rows:
        raise QuartierError(f"Die Datei „{path.name}“ enthält keine Adressen.")
    columns = _guess_columns(rows[0])
    if all(columns[role] is not None for role in _WORDS):
        rows = rows[1:]
    elif _looks_like_hk_de(rows[0]):
        columns = _HK_DE
    elif len(rows) > 1 and _looks_like_hk_de(rows[1]):
        columns, rows = _HK_DE, rows[1:]  # HK-DE with a header we do not know
    else:
        _require_columns(columns, rows[0], path.name)
    width = max(i for i in columns.values() if i is not None) + 1
    rows = [row + [""] * (width - len(row)) for row in rows]
    texts = {role: None if i is None else [row[i] for row in rows] for role, i in columns.items()}
    xs = np.array([_coordinate(v) for v in texts["x"]])
    ys = np.array([_coordinate(v) for v in texts["y"]])
    return _register(texts, *_resolve_crs(xs, ys, crs))


def _register(texts: dict[str, list | None], xs, ys, crs: str) -> AddressRegister:
    return build_register(texts["street"], texts["number"], texts["suffix"],
                          texts["postcode"], xs, ys, crs)  # fmt: skip


def _guess_columns(header: list[str]) -> dict[str, int | None]:
    """Column position per role; the first alias in the list that the header holds wins."""
    words = [_NOT_ALNUM.sub("", str(h).casefold().translate(_UMLAUTS)) for h in header]
    found: dict[str, int | None] = {}
    for role, aliases in _COLUMNS.items():
        found[role] = next((words.index(a) for a in aliases if a in words), None)
    return found


def _require_columns(columns: dict, header: list[str], name: str) -> None:
    missing = [_WORDS[role] for role in _WORDS if columns.get(role) is None]
    raise QuartierError(
        f"In „{name}“ fehlen Spalten für: {', '.join(missing)}. Gefundene Spalten: "
        f"{', '.join(h.strip() for h in header[:30])}. Erwartet werden z. B. strasse, "
        "hausnummer, zusatz, plz, x (Rechtswert) und y (Hochwert)."
    )


def _looks_like_hk_de(row: list[str]) -> bool:
    return len(row) >= 14 and not math.isnan(_coordinate(row[11]) + _coordinate(row[12]))


def _coordinate(text: str) -> float:
    """Parse "356789,12" (decimal comma), "356.789,12" or "356789.12"; NaN if not a number."""
    text = str(text).strip().replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return math.nan


def _resolve_crs(xs: np.ndarray, ys: np.ndarray, crs: str | None):
    """Coordinates and CRS label: zone prefixes removed, lon/lat recognised."""
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        raise QuartierError("Das Adressverzeichnis enthält keine lesbaren Koordinaten.")
    zones = np.floor(xs / 1e6)
    if ((zones[ok] >= 31) & (zones[ok] <= 33)).all():
        return _unprefixed(xs, ys, zones, crs)
    if crs:
        return xs, ys, _crs_label(crs)
    if (np.abs(xs[ok]) <= 180).all() and (np.abs(ys[ok]) <= 90).all():
        return xs, ys, "EPSG:4326"
    raise QuartierError(
        "Das Koordinatensystem des Adressverzeichnisses ist nicht erkennbar. Bitte angeben – "
        "meist EPSG:25832 (UTM Zone 32), in Berlin und den östlichen Ländern EPSG:25833."
    )


def _unprefixed(xs: np.ndarray, ys: np.ndarray, zones: np.ndarray, crs: str | None):
    """HK-DE eastings carry the UTM zone in front (32xxxxxx); convert to one CRS."""
    known = zones[np.isfinite(zones)].astype(int)
    # Without a given CRS the zone of most addresses is the target: the fewest move.
    target = _crs_label(crs) if crs else f"EPSG:258{np.bincount(known).argmax()}"
    xs = xs - zones * 1e6
    for zone in np.unique(known):
        if f"EPSG:258{zone}" != target:
            rows = zones == zone
            move = pyproj.Transformer.from_crs(f"EPSG:258{zone}", target, always_xy=True)
            xs[rows], ys[rows] = move.transform(xs[rows], ys[rows])
    return xs, ys, target


def _crs_label(crs: str) -> str:
    text = str(crs).strip()
    try:
        parsed = pyproj.CRS.from_user_input(f"EPSG:{text}" if text.isdigit() else text)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as exc:
        raise QuartierError(f"Das Koordinatensystem „{text[:80]}“ ist unbekannt.") from exc
    epsg = parsed.to_epsg()
    return f"EPSG:{epsg}" if epsg else parsed.to_wkt()


def _read_layer(path: Path, crs: str | None) -> AddressRegister:
    """A point layer read with pyogrio; coordinates from the geometry, CRS from the file."""
    from pyogrio.raw import read as ogr_read

    try:
        meta, _fids, wkb, values = ogr_read(path)
    except (RuntimeError, OSError, ValueError, TypeError) as exc:  # pyogrio errors too
        raise QuartierError(
            f"„{path.name}“ konnte nicht als Adressverzeichnis gelesen werden. Bitte eine "
            "CSV-Datei, ein GeoPackage oder GeoJSON mit Punkten hochladen."
        ) from exc
    names = [str(f) for f in meta["fields"]]
    columns = _guess_columns(names)
    if columns["street"] is None or columns["number"] is None:
        _require_columns({**columns, "x": 0, "y": 0}, names, path.name)
    points = shapely.point_on_surface(shapely.from_wkb(wkb))
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    label = _crs_label(meta["crs"]) if meta.get("crs") else None
    texts = {role: None if i is None else [_text(v) for v in values[i]]
             for role, i in columns.items()}  # fmt: skip
    return _register(texts, *_resolve_crs(xs, ys, label or crs))
