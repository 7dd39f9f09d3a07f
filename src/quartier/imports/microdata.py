"""Aggregating address or point records into small-area counts — the records are never stored.

A department uploads one row per case (a child examined, a youth-welfare case)
with coordinates or an address. Each record is placed once in the finest level
(point in polygon); only the counts per area are written, as an import batch.
Coarser levels are sums of these counts, computed by the read layer from parent
links — no spatial join per level. The uploaded file is deleted afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import shapely
from django.db import transaction
from pyproj import CRS, Transformer

from quartier.access.territories import outside_codes, writable_area_ids
from quartier.core.points import assign_points, count_by
from quartier.errors import QuartierError
from quartier.imports.addresses import AddressRegister, match_addresses
from quartier.imports.cells import parse_cell
from quartier.imports.models import AddressEntry
from quartier.imports.tablemap import parse_period, suggest_key
from quartier.imports.tables import RawTable
from quartier.indicators.batches import create_batch, insert_new_values, write_values
from quartier.indicators.models import Indicator, Kind, Visibility
from quartier.spatial.index import area_index
from quartier.spatial.models import Area, Level

MAX_LISTED = 500  # problems listed in the uploader's report


@dataclass
class MicrodataSpec:
    """What the records hold and what to make of them."""

    mode: str  # "coordinates" or "addresses"
    indicator_name: str
    period: str
    indicator_key: str = ""  # an existing count indicator, or empty for a new one
    x_column: str = ""
    y_column: str = ""
    crs: str = "EPSG:25832"
    street_column: str = ""
    number_column: str = ""
    suffix_column: str = ""
    postcode_column: str = ""
    category_column: str = ""
    level: str = ""  # the finest level; empty = the finest level there is
    topic: str = "soziales"

    def to_json(self) -> dict:
        """JSON-compatible form."""
        return asdict(self)


@dataclass
class Aggregation:
    """Counts per area of the finest level, and what could not be placed (uploader only)."""

    level: str
    period: date
    area_ids: list[int]
    counts: list[int]
    by_category: dict[str, list[int]] = field(default_factory=dict)
    records: int = 0
    placed: int = 0
    unmatched: list[str] = field(default_factory=list)  # at most ``listed`` of them
    outside: list[str] = field(default_factory=list)
    duplicates: int = 0
    unmatched_total: int = 0  # all of them: the lists above may be shortened
    outside_total: int = 0

    def to_json(self) -> dict:
        """JSON-compatible form (kept on the job only until the upload is gone)."""
        return asdict(self) | {"period": self.period.isoformat()}


def finest_level(key: str = "") -> Level:
    """The chosen level, or the finest level (one without levels below it) that has areas."""
    index = area_index()
    if key:
        return index.level(key)
    parents = {lv.parent_id for lv in index.levels}
    leaves = [lv for lv in index.levels if lv.id not in parents and index.areas(lv).ids.size]
    if not leaves:
        raise QuartierError(
            "Es gibt noch keine Raumebenen – bitte zuerst Gebietsgrenzen importieren."
        )
    return max(leaves, key=lambda lv: index.areas(lv).ids.size)


def _column(table: RawTable, name: str, what: str) -> list[str]:
    if name not in table.columns:
        raise QuartierError(f"Bitte die Spalte für {what} wählen.")
    i = table.columns.index(name)
    return [row[i] for row in table.rows]


def _coordinates(table: RawTable, spec: MicrodataSpec, agg: Aggregation, listed: int | None):
    """Longitude/latitude of every record (NaN where it cannot be placed)."""
    if spec.mode == "coordinates":
        x = np.array(
            [
                parse_cell(t, table.decimal, table.thousands).value or np.nan
                for t in _column(table, spec.x_column, "den Rechtswert (x)")
            ],
            dtype=float,
        )
        y = np.array(
            [
                parse_cell(t, table.decimal, table.thousands).value or np.nan
                for t in _column(table, spec.y_column, "den Hochwert (y)")
            ],
            dtype=float,
        )
        try:
            source = CRS.from_user_input(spec.crs)
        except Exception as exc:  # pyproj raises CRSError, or others for junk
            raise QuartierError(f"Unbekanntes Koordinatensystem „{spec.crs}“.") from exc
        transformer = Transformer.from_crs(source, "EPSG:4326", always_xy=True)
        lon, lat = transformer.transform(x, y)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    streets = _column(table, spec.street_column, "die Straße")
    numbers = _column(table, spec.number_column, "die Hausnummer")
    suffixes = _column(table, spec.suffix_column, "den Zusatz") if spec.suffix_column else None
    postcodes = (
        _column(table, spec.postcode_column, "die Postleitzahl") if spec.postcode_column else None
    )
    result = match_addresses(_register(), streets, numbers, suffixes, postcodes)
    agg.unmatched_total = len(result.unmatched)
    agg.unmatched = [f"Zeile {table.line(row)}: {text}" for row, text in result.unmatched[:listed]]
    return result.x, result.y


def _register() -> AddressRegister:
    """The stored address register (in EPSG:4326), as the matcher needs it."""
    keys, ambiguous = {}, set()
    for key, lon, lat, is_ambiguous in AddressEntry.objects.values_list(
        "key", "lon", "lat", "ambiguous"
    ):
        if is_ambiguous:
            ambiguous.add(key)
        else:
            keys[key] = (lon, lat)
    if not keys:
        raise QuartierError(
            "Es sind noch keine Hauskoordinaten importiert – bitte zuerst das "
            "Adressverzeichnis hochladen, oder Koordinaten verwenden."
        )
    postcodes = {k.split(" ", 1)[0] for k in keys if k[:5].isdigit() and k[5:6] == " "}
    return AddressRegister(
        keys=keys, crs="EPSG:4326", size=len(keys), ambiguous=ambiguous, postcodes=postcodes
    )


def aggregate(
    table: RawTable, spec: MicrodataSpec, listed: int | None = MAX_LISTED, user=None
) -> Aggregation:
    """Place every record in the finest level and count per area.

    Rows that could not be placed are listed up to ``listed`` (None: all) and
    counted in full, so a report never understates them. A data steward of a
    territory counts only in its areas: records elsewhere count as outside
    (:mod:`quartier.access.territories`).
    """
    period = parse_period(spec.period)
    if period is None:
        raise QuartierError("Bitte einen Stichtag angeben (z. B. 31.12.2024).")
    level = finest_level(spec.level)
    index = area_index()
    positions = index.valid_positions(level, period)
    ids = index.areas(level).ids[positions]
    allowed = writable_area_ids(user)
    if allowed is not None:
        ids = ids[np.isin(ids, allowed)]
    shapes = {
        pk: wkb
        for pk, wkb in Area.objects.filter(id__in=ids.tolist()).values_list("id", "geometry")
    }
    polygons = np.array([shapely.from_wkb(bytes(shapes[i])) for i in ids.tolist()], dtype=object)
    agg = Aggregation(level.key, period, ids.tolist(), [], records=len(table.rows))
    lon, lat = _coordinates(table, spec, agg, listed)
    placed = assign_points(lon, lat, polygons)
    inside = placed.area_index >= 0
    agg.placed = int(inside.sum())
    agg.counts = np.bincount(placed.area_index[inside], minlength=ids.size).tolist()
    unmatched_rows = set(np.flatnonzero(np.isnan(lon) | np.isnan(lat)).tolist())
    outside = [r for r in np.flatnonzero(~inside).tolist() if r not in unmatched_rows]
    agg.outside_total = len(outside)
    agg.outside = [f"Zeile {table.line(r)}" for r in outside[:listed]]
    if spec.category_column:
        categories = np.array(_column(table, spec.category_column, "die Merkmale"), dtype=object)
        split = count_by(placed.area_index, categories, ids.size)
        agg.by_category = {str(k): v.tolist() for k, v in sorted(split.items())}
    agg.duplicates = sum(n - 1 for n in Counter(map(tuple, table.rows)).values() if n > 1)
    return agg


def existing_count(key: str, user) -> Indicator:
    """The existing count indicator ``key`` that ``user`` may write into.

    One not visible to ``user`` is answered exactly like an unknown one, so the
    answer tells nothing about indicators of other units; a visible one of
    another unit is refused with 403 (``user`` None: the operator, may all).
    """
    from quartier.access.rights import visible_ids
    from quartier.access.writes import may_write_indicator

    found = Indicator.objects.filter(key=key, kind=Kind.COUNT).first()
    if found is None or (user is not None and found.pk not in visible_ids(user)):
        raise QuartierError("Einzeldaten können nur als Anzahl-Indikator gespeichert werden.")
    if not may_write_indicator(user, found):
        raise QuartierError(
            f"Sie dürfen keine Werte für „{found.name}“ importieren: der Indikator gehört "
            "einer anderen Organisationseinheit.",
            status=403,
        )
    return found


def _indicator(spec: MicrodataSpec, user, suffix: str = "") -> Indicator:
    """The count indicator to write (new ones belong to the uploader's unit, restricted to it)."""
    if spec.indicator_key and not suffix:
        return existing_count(spec.indicator_key, user)
    name = f"{spec.indicator_name}: {suffix}" if suffix else spec.indicator_name
    signed_in = getattr(user, "is_authenticated", False)
    owner = user.units.order_by("name").first() if signed_in else None
    taken = set(Indicator.objects.values_list("key", flat=True))
    return Indicator.objects.create(
        key=suggest_key(name, taken),
        name=name,
        kind=Kind.COUNT,
        unit="Fälle",
        topic=spec.topic,
        owner=owner,
        visibility=Visibility.RESTRICTED if owner else Visibility.INTERNAL,
        description="Aus Einzeldaten gezählt; die Einzeldaten wurden nicht gespeichert.",
    )


def commit(agg: Aggregation, spec: MicrodataSpec, *, user, source_name: str, sha256: str):
    """Store the counts (all areas, zeros included) as one import batch."""
    if outside_codes(user, np.array(agg.area_ids, dtype=np.int64)):
        raise QuartierError(
            "Die Zählung enthält Gebiete außerhalb Ihrer Gebietskörperschaft; dort dürfen Sie "
            "keine Werte importieren. Bitte prüfen Sie die Datei erneut; nichts wurde "
            "gespeichert.",
            status=403,
        )
    with transaction.atomic():
        batch = create_batch(
            source_name,
            user=user,
            sha256=sha256,
            rows_read=agg.records,
            description="Einzeldaten, zu Anzahlen je Gebiet zusammengefasst",
        )
        sets = [(_indicator(spec, user), agg.counts)]
        sets += [(_indicator(spec, user, cat), counts) for cat, counts in agg.by_category.items()]
        if agg.by_category and not spec.indicator_key:
            # The splits add up to the total: protect them together (Geheimhaltung).
            sets[0][0].sum_of.set([ind for ind, _counts in sets[1:]])
        created = [ind.pk for ind, _counts in sets[1 if spec.indicator_key else 0 :]]
        Indicator.objects.filter(pk__in=created).update(created_in_batch=batch)
        rows = [
            (ind.pk, area, agg.period, float(n), "")
            for ind, counts in sets
            for area, n in zip(agg.area_ids, counts, strict=True)
        ]
        if spec.indicator_key:
            write_values(batch, rows)  # an existing indicator may already have these cells
        else:
            inserted = insert_new_values(batch, rows)
            batch.rows_inserted = inserted
            batch.save(update_fields=["rows_inserted"])
    return batch, [ind.key for ind, _c in sets]


def store_register(path, crs: str | None = None) -> int:
    """Replace the address register with the one in ``path`` (CSV or point layer); atomic."""
    from quartier.imports.addresses import read_register

    register = read_register(path, crs)
    keys = list(register.keys)
    xy = np.array([register.keys[k] for k in keys], dtype=float).reshape(-1, 2)
    lon, lat = Transformer.from_crs(register.crs, "EPSG:4326", always_xy=True).transform(
        xy[:, 0], xy[:, 1]
    )
    entries = [
        AddressEntry(key=k, lon=float(x), lat=float(y))
        for k, x, y in zip(keys, lon, lat, strict=True)
    ]
    entries += [
        AddressEntry(key=k, ambiguous=True) for k in register.ambiguous if k not in register.keys
    ]
    with transaction.atomic():
        AddressEntry.objects.all().delete()
        AddressEntry.objects.bulk_create(entries, batch_size=5000)
    return register_size()


# Keys of the register with a postcode in front; the others are one per street and number.
_WITH_POSTCODE = r"^[0-9]{5} "


def register_size() -> int:
    """Addresses (street and house number) in the stored register.

    Every address is stored under a key without postcode (or as ambiguous
    there) and, when it has one, again under a key with postcode; counting the
    rows would count most addresses twice.
    """
    return AddressEntry.objects.exclude(key__regex=_WITH_POSTCODE).count()
