"""Write the Musterkreis (:mod:`quartier.demo.kreis`) into the database: levels, areas,
territories, the Musterstadt's catalogue with each Gemeinde's data on its own level, and two
Gemeinden's own internal indicators.
"""

from __future__ import annotations

import numpy as np
import shapely
from django.db import transaction

from quartier.access.models import Territory, Unit
from quartier.demo import kreis as kreis_areas
from quartier.demo.generate import Musterstadt
from quartier.demo.geometry import CRS
from quartier.demo.load import (
    SOURCE_NAME,
    demo_units,
    finish,
    load_catalogue,
    store_values,
    to_wgs84,
)
from quartier.indicators.batches import create_batch
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area, Level

# The Gemeinden's own units (with an internal indicator each), by the mode of the Gemeinde.
OWN_UNITS = {"voll": "kreisstadt-sozialplanung", "sozialraeume": "gemeinde-jugendhilfe"}


@transaction.atomic
def load(city: Musterstadt, *, user=None) -> dict[str, int]:
    """Store the Musterkreis of ``city``; returns counts like :func:`quartier.demo.load.load`."""
    built = kreis_areas.build(city)
    area_ids = _load_areas(built)
    territories = _load_territories(built, area_ids)
    units = demo_units()
    Unit.objects.filter(pk__in=[u.pk for u in units.values()]).update(territory=territories[0])
    indicators = load_catalogue(units)
    batch = create_batch(
        f"{SOURCE_NAME} (Musterkreis, Seed {city.seed})",
        user=user,
        sha256=city.digest(),
        description="Fiktive Demodaten: Musterkreis, 2014–2024, je Gemeinde auf ihrer Ebene.",
    )
    held = kreis_areas.held_values(built, city)
    periods = kreis_areas.periods(city)
    # Made before the values are written: on PostgreSQL they are copied (COPY) through the
    # connection, which cannot run a query in between.
    own = list(_own_indicators(built, area_ids, territories, held, periods))
    _open_portals(built, territories, indicators)

    def rows():
        for key, values in held.items():
            ind = indicators[key].id
            for t, period in enumerate(periods):
                for i in np.flatnonzero(~np.isnan(values[t])).tolist():
                    yield ind, area_ids[i], period, float(values[t, i]), ""
        yield from own

    written = store_values(batch, rows())
    facilities = finish(city)
    return {
        "areas": len(area_ids),
        "values": written,
        "indicators": Indicator.objects.count(),
        "facilities": facilities,
        "gemeinden": len(built.gemeinden),
    }


def _load_areas(built: kreis_areas.Musterkreis) -> list[int]:
    """Create the levels and areas (coarse levels first); area id per unit."""
    ids = [0] * len(built.units)
    parent = None
    wgs = to_wgs84(np.array([u.polygon for u in built.units], dtype=object))
    bounds = shapely.bounds(wgs)
    wkb = shapely.to_wkb(wgs, output_dimension=2)
    for order, (key, name) in enumerate(kreis_areas.LEVELS):
        level = Level.objects.create(key=key, name=name, order=order, parent=parent)
        members = built.of_level(key)
        objs = [
            Area(
                level=level,
                code=built.units[i].code,
                name=built.units[i].name,
                geometry=wkb[i],
                source_crs=CRS,
                area_m2=float(shapely.area(built.units[i].polygon)),
                parent_id=ids[built.units[i].parent] if built.units[i].parent >= 0 else None,
                min_lon=bounds[i, 0],
                min_lat=bounds[i, 1],
                max_lon=bounds[i, 2],
                max_lat=bounds[i, 3],
            )
            for i in members
        ]
        for i, area in zip(members, Area.objects.bulk_create(objs, batch_size=2000), strict=True):
            ids[i] = area.pk
        parent = level
    return ids


def _load_territories(built, area_ids) -> list[Territory]:
    """The Kreis first, then its Gemeinden (in the order of ``built.gemeinden``)."""
    top = built.units[0]
    kreis = Territory.objects.create(
        key="musterkreis", name=top.name, kind=Territory.Kind.KREIS, area_id=area_ids[0]
    )
    out = [kreis]
    for i, _mode in built.gemeinden:
        unit = built.units[i]
        out.append(
            Territory.objects.create(
                key=f"gemeinde-{unit.code}",
                name=unit.name,
                kind=Territory.Kind.GEMEINDE,
                parent=kreis,
                area_id=area_ids[i],
            )  # fmt: skip
        )
    return out


def _own_indicators(built, area_ids, territories, held, periods):
    """Two Gemeinden's own internal counts (cases of their own services), value rows."""
    rng = np.random.default_rng(18)
    for number, (i, mode) in enumerate(built.gemeinden, start=1):
        if mode not in OWN_UNITS or Unit.objects.filter(key=OWN_UNITS[mode]).exists():
            continue
        name = built.units[i].name
        unit = Unit.objects.create(
            key=OWN_UNITS[mode], name=f"{name}: eigene Fachstelle", territory=territories[number]
        )
        indicator = Indicator.objects.create(
            key=f"{OWN_UNITS[mode].replace('-', '_')}_faelle",
            name=f"Fälle der eigenen Fachstelle ({name})",
            topic="soziales", kind="count", unit="Fälle", visibility="internal", owner=unit,
            min_count=3, description="Nur für die Gemeinde selbst (Musterkreis).",
        )  # fmt: skip
        inside = [k for k, u in enumerate(built.units) if u.blocks.size and _below(built, k, i)]
        residents = held["ew_u18"][-1, inside]
        for k, n in zip(inside, rng.poisson(np.nan_to_num(residents) * 0.02), strict=True):
            yield indicator.id, area_ids[k], periods[-1], float(n), ""
        if mode == "voll":
            own_ids = [area_ids[k] for k in inside]
            yield from _own_child_poverty(unit, own_ids, held, inside, periods)


def _own_child_poverty(unit, ids, held, inside, periods):
    """The Kreisstadt's own child poverty rate, defined more widely than the Kreis's (SGB II
    and Kinderzuschlag), shared with the Kreis: the Gemeindevergleich shows both apart.
    """
    rng = np.random.default_rng(1818)
    common = dict(topic="soziales", visibility="internal", owner=unit, kreis_shared=True)
    count = Indicator.objects.create(
        key="kreisstadt_kinder_sgb2_kiz", name="Kinder unter 15 mit SGB II oder Kinderzuschlag",
        kind="count", unit="Personen", min_count=3, **common,
    )  # fmt: skip
    Indicator.objects.create(  # a rate: computed from its parts, nothing stored
        key="kreisstadt_kinderarmut", name="Kinderarmut (Kreisstadt, mit Kinderzuschlag)",
        kind="rate", unit="%", decimals=1, polarity="worse", numerator=count,
        denominator=Indicator.objects.get(key="ew_u15"), concept="kinderarmut",
        defined_as="Zähler: Kinder unter 15 Jahren in Bedarfsgemeinschaften nach dem SGB II "
        "oder mit Kinderzuschlag (§ 6a BKGG), eigene Auswertung der Kreisstadt. Nenner: "
        "Einwohnerinnen und Einwohner unter 15 Jahren mit Hauptwohnsitz. Stichtag 31.12.",
        description="Eigene Definition der Kreisstadt: weiter gefasst als die des Kreises.",
        **common,
    )  # fmt: skip
    for t, period in enumerate(periods):
        poor = np.nan_to_num(held["sgb2_u15"][t, inside])
        children = np.nan_to_num(held["ew_u15"][t, inside])
        extra = rng.binomial(np.maximum(children - poor, 0).astype(np.int64), 0.05)
        for area_id, n in zip(ids, poor + extra, strict=True):
            yield count.id, area_id, period, float(n), ""


PORTAL_INDICATORS = ("ew_gesamt", "kinderarmut", "arbeitslosenquote", "anteil_alleinerziehend")


def _open_portals(built, territories, indicators) -> None:
    """The two Gemeinden with their own units get a public portal with headline indicators."""
    opened = set()
    for number, (_i, mode) in enumerate(built.gemeinden, start=1):
        if mode in OWN_UNITS and mode not in opened:  # the first Gemeinde of each mode
            opened.add(mode)
            territory = territories[number]
            territory.portal = True
            territory.save(update_fields=["portal"])
            territory.headline.set([indicators[k] for k in PORTAL_INDICATORS if k in indicators])


def _below(built, k: int, ancestor: int) -> bool:
    while k >= 0:
        if k == ancestor:
            return True
        k = built.units[k].parent
    return False
