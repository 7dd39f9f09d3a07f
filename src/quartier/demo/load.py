"""Write a generated Musterstadt into the database through the normal import path."""

from __future__ import annotations

from datetime import date

import numpy as np
import shapely
from django.db import transaction
from pyproj import Transformer

from quartier.access.models import Unit
from quartier.demo.catalogue import FACILITY_LAYERS, INDICATORS, KEY_FIGURES, SUMS, UNITS
from quartier.demo.generate import Musterstadt
from quartier.demo.geometry import CRS
from quartier.indicators.batches import create_batch, insert_new_values
from quartier.indicators.bulkload import foreign_keys_checked_at_the_end
from quartier.indicators.models import Indicator
from quartier.spatial.display import prepare_all
from quartier.spatial.index import clear_area_index
from quartier.spatial.models import Area, Facility, FacilityLayer, Level

SOURCE_NAME = "Musterstadt-Generator"
_TO_WGS84 = None


def _transformer() -> Transformer:
    global _TO_WGS84
    if _TO_WGS84 is None:
        _TO_WGS84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    return _TO_WGS84


def to_wgs84(geoms: np.ndarray) -> np.ndarray:
    """Reproject EPSG:25832 geometries to EPSG:4326 (lon/lat order)."""
    return shapely.transform(
        geoms, lambda xy: np.column_stack(_transformer().transform(xy[:, 0], xy[:, 1]))
    )


def is_loaded() -> bool:
    """True if a Musterstadt is already in the database."""
    return Level.objects.filter(key="baublock").exists()


@transaction.atomic
def load(city: Musterstadt, *, user=None) -> dict[str, int]:
    """Store ``city``: units, levels, areas, indicators, values (one import batch), facilities."""
    units = demo_units()
    area_ids = _load_areas(city)
    indicators = load_catalogue(units)
    batch = create_batch(
        f"{SOURCE_NAME} (Seed {city.seed})",
        user=user,
        sha256=city.digest(),
        description="Fiktive Demodaten: Musterstadt, 2014–2024.",
    )
    block_ids = area_ids["baublock"]
    periods = [date(year, 12, 31) for year in city.years]

    def rows():
        for key, values in city.counts.items():
            ind = indicators[key].id
            for t, period in enumerate(periods):
                for area, value in zip(block_ids, values[t].tolist(), strict=True):
                    if value == value:  # NaN: undefined (e.g. mean age of nobody), not stored
                        yield ind, area, period, value, ""

    written = store_values(batch, rows())
    facilities = finish(city)
    return {
        "areas": sum(len(ids) for ids in area_ids.values()),
        "values": written,
        "indicators": len(indicators),
        "facilities": facilities,
    }


def demo_units() -> dict[str, Unit]:
    """The demo's organisational units by key (created if missing)."""
    return {
        key: Unit.objects.get_or_create(key=key, defaults={"name": name})[0] for key, name in UNITS
    }


def store_values(batch, rows) -> int:
    """Insert the value ``rows`` as ``batch`` into a fresh database; returns their number."""
    with foreign_keys_checked_at_the_end():  # a fresh database: nobody else writes
        written = insert_new_values(batch, rows)
    batch.rows_read = batch.rows_inserted = written
    batch.save(update_fields=["rows_read", "rows_inserted"])
    return written


def finish(city: Musterstadt) -> int:
    """Facilities, then the map's geometry built now, not by the first request; returns the
    number of facilities.
    """
    facilities = _load_facilities(city)
    clear_area_index()
    prepare_all()
    return facilities


def _load_areas(city: Musterstadt) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    parent_level = None
    for order, data in enumerate(city.city.levels):
        level = Level.objects.create(key=data.key, name=data.name, order=order, parent=parent_level)
        wgs = to_wgs84(data.polygons)
        bounds = shapely.bounds(wgs)
        wkb = shapely.to_wkb(wgs, output_dimension=2)
        parents = ids[parent_level.key] if parent_level else None
        objs = [
            Area(
                level=level,
                code=code,
                name=name,
                geometry=wkb[i],
                source_crs=CRS,
                area_m2=float(shapely.area(data.polygons[i])),
                parent_id=parents[data.parent[i]] if parents else None,
                min_lon=bounds[i, 0],
                min_lat=bounds[i, 1],
                max_lon=bounds[i, 2],
                max_lat=bounds[i, 3],
            )
            for i, (code, name) in enumerate(zip(data.codes, data.names, strict=True))
        ]
        created = Area.objects.bulk_create(objs, batch_size=2000)
        ids[data.key] = [a.pk for a in created]
        parent_level = level
    return ids


def load_catalogue(units: dict[str, Unit]) -> dict[str, Indicator]:
    """The demo catalogue: indicators owned by ``units``, with their parts and sums."""
    created: dict[str, Indicator] = {}
    refs = ("numerator", "denominator", "weight")
    for order, spec in enumerate(INDICATORS):
        fields = {k: v for k, v in spec.items() if k not in (*refs, "owner")}
        for ref in refs:
            if spec.get(ref):
                fields[ref] = created[spec[ref]]
        fields["owner"] = units[spec["owner"]]
        indicator = Indicator.objects.create(
            sort_order=order, key_figure=spec["key"] in KEY_FIGURES, **fields
        )
        created[indicator.key] = indicator
    for total, parts in SUMS.items():
        created[total].sum_of.set([created[p] for p in parts])
    return created


def _load_facilities(city: Musterstadt) -> int:
    count = 0
    for key, name, capacity_label in FACILITY_LAYERS:
        layer = FacilityLayer.objects.create(
            key=key,
            name=name,
            capacity_label=capacity_label,
            source="Musterstadt (fiktive Demodaten)",
        )
        items = city.facilities[key]
        xy = np.array([[f["x"], f["y"]] for f in items])
        lon, lat = _transformer().transform(xy[:, 0], xy[:, 1])
        Facility.objects.bulk_create(
            [
                Facility(
                    layer=layer,
                    name=f["name"],
                    address=f"{f['address']}, Musterstadt",
                    capacity=f["capacity"],
                    lon=round(float(lon[i]), 6),
                    lat=round(float(lat[i]), 6),
                    attributes=f["attributes"],
                )
                for i, f in enumerate(items)
            ]
        )
        count += len(items)
    return count
