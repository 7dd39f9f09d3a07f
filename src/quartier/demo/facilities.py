"""Facilities of Musterstadt (Kitas, schools, family and youth centres) as points."""

from __future__ import annotations

import numpy as np
import shapely

from quartier.demo.areas import CityAreas
from quartier.demo.names import FACILITY_THEMES, PERSONS

_STREETS = [
    "Hauptstraße",
    "Schulstraße",
    "Kirchstraße",
    "Bahnhofstraße",
    "Gartenstraße",
    "Lindenallee",
    "Am Markt",
    "Parkweg",
    "Wiesenweg",
    "Bergstraße",
    "Mühlenweg",
    "Ringstraße",
    "Zechenstraße",
    "Friedhofstraße",
    "Rosenweg",
    "Am Sportplatz",
    "Goethestraße",
    "Schillerstraße",
]
_OPERATORS = ["städtisch", "katholisch", "evangelisch", "AWO", "DRK", "Elterninitiative"]
_SECONDARY = ["Gymnasium", "Gesamtschule", "Realschule", "Sekundarschule", "Gymnasium"]


def _random_points(rng, polygons: np.ndarray) -> np.ndarray:
    """One random point inside each polygon (rejection sampling in its bbox)."""
    out = np.empty((len(polygons), 2))
    for i, poly in enumerate(polygons):
        minx, miny, maxx, maxy = poly.bounds
        while True:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(poly, x, y):
                out[i] = x, y
                break
    return out


def _place(rng, city: CityAreas, weights: np.ndarray, n: int):
    weights = np.asarray(weights, dtype=float) + 1e-9
    blocks = rng.choice(len(weights), size=n, replace=False, p=weights / weights.sum())
    return blocks, _random_points(rng, city.blocks.polygons[blocks])


def _quarter_of_blocks(city: CityAreas, blocks: np.ndarray) -> list[str]:
    social = city.level("sozialraum")
    quarter = city.level("stadtteil")
    return [quarter.names[social.parent[city.level("baublock").parent[b]]] for b in blocks]


def _address(rng) -> str:
    return f"{_STREETS[rng.integers(len(_STREETS))]} {rng.integers(1, 120)}"


def make_facilities(
    rng, city: CityAreas, counts: dict[str, np.ndarray], deprivation: np.ndarray
) -> dict[str, list[dict]]:
    """Facilities per layer key, placed where their users live (2024 residents)."""
    last = {key: values[-1] for key, values in counts.items()}
    total = last["ew_gesamt"].sum()
    need = np.clip(1 + 0.5 * deprivation, 0.2, None)
    specs = {
        "kitas": (last["ew_0_2"] + last["ew_3_5"], total / 2500),
        "grundschulen": (last["ew_6_9"], total / 5500),
        "weiterfuehrende_schulen": (last["ew_10_14"] + last["ew_15_17"], total / 12000),
        "familienzentren": (last["ew_u18"] * need, total / 10000),
        "jugendzentren": (last["ew_u18"] * need, total / 12000),
    }
    layers = {}
    for key, (weights, n) in specs.items():
        blocks, points = _place(rng, city, weights, max(3, round(n)))
        quarters = _quarter_of_blocks(city, blocks)
        layers[key] = [
            _facility(key, rng, quarter, x, y, i)
            for i, (quarter, (x, y)) in enumerate(zip(quarters, points, strict=True))
        ]
        _make_unique(layers[key])
    return layers


def _facility(key: str, rng, quarter: str, x: float, y: float, i: int) -> dict:
    attributes: dict = {}
    if key == "kitas":
        operator = _OPERATORS[rng.integers(len(_OPERATORS))]
        name = f"Kita {FACILITY_THEMES[rng.integers(len(FACILITY_THEMES))]}"
        capacity, attributes = int(rng.integers(7, 27) * 5), {"traeger": operator}
    elif key == "grundschulen":
        name = (
            f"{PERSONS[rng.integers(len(PERSONS))]}-Grundschule"
            if i % 2
            else f"Grundschule {quarter}"
        )
        capacity = int(rng.integers(140, 430))
    elif key == "weiterfuehrende_schulen":
        form = _SECONDARY[rng.integers(len(_SECONDARY))]
        name = f"{form} {quarter}"
        capacity, attributes = int(rng.integers(550, 1400)), {"schulform": form}
    elif key == "familienzentren":
        name, capacity = f"Familienzentrum {quarter}", int(rng.integers(60, 250))
    else:
        name, capacity = f"Jugendzentrum {quarter}", int(rng.integers(25, 120))
    return {
        "name": name,
        "address": _address(rng),
        "capacity": capacity,
        "x": round(float(x), 2),
        "y": round(float(y), 2),
        "attributes": attributes,
    }


def _make_unique(items: list[dict]) -> None:
    seen: dict[str, int] = {}
    for item in items:
        seen[item["name"]] = seen.get(item["name"], 0) + 1
        if seen[item["name"]] > 1:
            item["name"] = f"{item['name']} {'I' * seen[item['name']]}"
