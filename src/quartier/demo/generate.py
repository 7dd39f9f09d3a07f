"""Musterstadt: a deterministic, seeded demo city — no external data.

``generate(seed)`` returns everything in memory (geometry in EPSG:25832, block
counts for 2014–2024, facilities); :mod:`quartier.demo.load` writes it into the
database through the normal import-batch path. The same seed always gives the
same city: :meth:`Musterstadt.digest` proves it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import shapely

from quartier.demo import geometry
from quartier.demo.areas import CityAreas, build_areas
from quartier.demo.facilities import make_facilities
from quartier.demo.population import YEARS, simulate

DEFAULT_SEED = 2024


@dataclass
class Musterstadt:
    """The generated city: areas, block counts per year and facilities."""

    seed: int
    layout: geometry.Layout
    city: CityAreas
    counts: dict[str, np.ndarray]  # indicator key → (years, blocks)
    facilities: dict[str, list[dict]]
    years: list[int]

    def digest(self) -> str:
        """SHA-256 over all generated geometry, values and facilities."""
        h = hashlib.sha256()
        for level in self.city.levels:
            h.update(level.key.encode())
            h.update("\x1f".join(level.codes).encode())
            h.update("\x1f".join(level.names).encode())
            h.update(level.parent.tobytes())
            for poly in level.polygons:
                h.update(shapely.to_wkb(poly, output_dimension=2))
        for key in sorted(self.counts):
            h.update(key.encode())
            h.update(np.ascontiguousarray(self.counts[key], dtype=np.float64).tobytes())
        h.update(json.dumps(self.facilities, sort_keys=True, ensure_ascii=False).encode())
        return h.hexdigest()


def generate(seed: int = DEFAULT_SEED, layout: geometry.Layout = geometry.FULL) -> Musterstadt:
    """Build Musterstadt for ``seed``; everything random comes from one generator."""
    rng = np.random.default_rng(seed)
    city = build_areas(rng, layout)
    xy, area = city.blocks.xy, city.blocks.area_m2
    counts, fields = simulate(xy, area, rng, layout.radius)
    facilities = make_facilities(rng, city, counts, fields["deprivation"])
    return Musterstadt(seed, layout, city, counts, facilities, list(YEARS))
