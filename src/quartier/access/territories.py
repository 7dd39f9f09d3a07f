"""Where a data steward may import values: the areas of the own territories.

Several territories (a Kreis and its Gemeinden) share an installation; each may name
its area (:attr:`~quartier.access.models.Territory.area`). A data steward whose units
all belong to territories with an area imports values only for those areas and the
areas below them; a value for an area elsewhere stops the import with a German
message. Administrators, the operator at the command line (``user`` None) and units
of the whole installation (no territory, as in a single city) are not limited.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext, gettext_noop

from quartier.access.rights import is_admin, unit_ids


def writable_area_ids(user) -> np.ndarray | None:
    """Sorted ids of the areas ``user`` may import values for; None: any area."""
    from quartier.access.models import Unit
    from quartier.spatial.index import area_index

    if user is None or is_admin(user):
        return None
    units = list(Unit.objects.filter(id__in=unit_ids(user)).select_related("territory"))
    if not units or any(u.territory is None or u.territory.area_id is None for u in units):
        return None
    return area_index().within({u.territory.area_id for u in units})


def outside_codes(user, area_ids: np.ndarray) -> list[str]:
    """Codes of the areas among ``area_ids`` that ``user`` may not import values for."""
    from quartier.spatial.index import area_index

    allowed = writable_area_ids(user)
    if allowed is None:
        return []
    outside = np.setdiff1d(np.unique(np.asarray(area_ids, dtype=np.int64)), allowed)
    outside = outside[outside >= 0]  # -1: a code that matched no area (reported elsewhere)
    if not outside.size:
        return []
    index = area_index()
    codes = []
    for level in index.levels:
        areas = index.areas(level)
        codes += [areas.codes[i] for i in np.flatnonzero(np.isin(areas.ids, outside))]
    return sorted(set(codes))


@dataclass(frozen=True)
class Place:
    """A territory as pages name it (read from the catalogue snapshot, no query of its own)."""

    id: int
    key: str
    name: str
    kind: str
    parent_id: int | None
    area_id: int | None


def places() -> list[Place]:
    """Every territory of the installation, by name."""
    from quartier.indicators.catalogue import snapshot

    return [Place(*row) for row in snapshot().territory_rows]


def root_kreis() -> Place | None:
    """The Kreis the installation is for (a root territory of kind Kreis), or None."""
    roots = [p for p in places() if p.parent_id is None]
    kreise = [p for p in roots if p.kind == "kreis"]
    return kreise[0] if len(roots) == 1 and kreise else None


def municipalities() -> list[Place]:
    """The Gemeinden and cities with an area, by name: the members of a comparison."""
    return [p for p in places() if p.kind != "kreis" and p.area_id is not None]


def whole_label_id() -> str:
    """The untranslated :func:`whole_label` (for texts translated later, per language)."""
    if root_kreis() is not None:
        return gettext_noop("Kreis insgesamt")
    return gettext_noop("Gesamtstadt")


def whole_label() -> str:
    """What the value of the whole installation is called: "Gesamtstadt", or "Kreis insgesamt"."""
    return gettext(whole_label_id())


def whole_noun() -> str:
    """The whole installation in "Abweichung vom …wert"/"Anteil an …": Stadt or Kreis."""
    return "kreis" if root_kreis() is not None else "stadt"


def whole_texts() -> dict:
    """Template words for the whole installation (a Stadt or a Kreis), translated."""
    kreis = root_kreis() is not None
    return {
        "whole_label": whole_label(),
        "whole_is_kreis": kreis,
        "has_municipalities": bool(municipalities()),
        "whole_deviation": gettext("Abweichung vom Kreiswert")
        if kreis
        else gettext("Abweichung vom Stadtwert"),
    }


def installation_name() -> str:
    """The name in headers and titles: QUARTIER_MUNICIPALITY, else the Kreis's name,
    else "Musterstadt" (the demo's).
    """
    from django.conf import settings

    configured = getattr(settings.QUARTIER, "municipality", "")
    if configured:
        return configured
    kreis = root_kreis()
    return kreis.name if kreis is not None else "Musterstadt"


MAX_LOGO_BYTES = 500 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def logo_type(data: bytes) -> str | None:
    """The content type of a PNG, JPEG or WebP image by its first bytes (None: another)."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
