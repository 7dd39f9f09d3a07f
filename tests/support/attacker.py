"""An attacker who only uses the public interface: the REST API, the area tree and the sums.

Independent of the protection code: published values come from
``/api/v1/values/`` as the attacker's account gets them, the equations are
built here from the areas' parents (the hierarchy anyone can download) and the
declared sums, and the linear program is :mod:`quartier.core.audit`'s. The true
values (to say which cells are small, and how wide a range must be) come from
the read layer as an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from quartier.core import audit
from quartier.core.disclosure import Groups
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area, Level


@dataclass
class Outcome:
    """What the attacker got: hidden cells, small ones among them, and those narrowed."""

    hidden: int
    small: int
    narrowed: list  # audit.Finding


def _areas(period: date) -> list[Area]:
    """The areas valid on ``period`` (every level), in a fixed order."""
    areas = Area.objects.select_related("level").order_by("level__order", "code")
    return [
        a
        for a in areas
        if (a.valid_from is None or a.valid_from <= period)
        and (a.valid_to is None or a.valid_to > period)
    ]


def published(client, key: str, period: date, areas: list[Area]) -> np.ndarray:
    """Values of ``key`` per area as the API answers them (NaN where hidden or missing)."""
    out = np.full(len(areas), np.nan)
    position = {(a.level.key, a.code): i for i, a in enumerate(areas)}
    for level in Level.objects.all():
        answer = client.get(
            "/api/v1/values/",
            {"indicator": key, "level": level.key, "period": period.isoformat(), "limit": 100000},
        ).json()
        for row in answer.get("results", []):
            if row["status"] == "ok":
                out[position[(level.key, row["area"])]] = row["value"]
    return out


def truth(admin, key: str, period: date, areas: list[Area]) -> np.ndarray:
    """True values per area (NaN where there is none)."""
    out = np.full(len(areas), np.nan)
    position = {a.pk: i for i, a in enumerate(areas)}
    indicator = Indicator.objects.get(key=key)
    for level in Level.objects.all():
        result = readlayer.area_values(admin, indicator, level, period)
        for area_id, value in zip(result.area_ids.tolist(), result.values.tolist(), strict=True):
            if area_id in position:
                out[position[area_id]] = value
    return out


def equations(areas: list[Area], columns: int, sums=(), top: bool = False) -> Groups:
    """Parent = Σ children per column, total = Σ parts per area (cell = column × n + area).

    With ``top`` an extra cell per column holds the sum of the areas without a
    parent (a territory total the attacker is given).
    """
    n = len(areas) + (1 if top else 0)
    position = {a.pk: i for i, a in enumerate(areas)}
    parent = np.array([position.get(a.parent_id, -1) for a in areas])
    if top:
        parent = np.r_[np.where(parent >= 0, parent, n - 1), -1]
    child = np.flatnonzero(parent >= 0)
    totals, group, cell = [], [], []
    for col in range(columns):
        for p in np.unique(parent[child]):
            members = child[parent[child] == p]
            group += [len(totals)] * members.size
            cell += (members + col * n).tolist()
            totals.append(p + col * n)
    for total, parts in sums:
        for area in range(n):
            group += [len(totals)] * len(parts)
            cell += [part * n + area for part in parts]
            totals.append(total * n + area)
    return Groups(np.array(totals), np.array(group), np.array(cell))


def attack_counts(client, admin, keys: list[str], period: date, sums=(), top=False) -> Outcome:
    """The LP attack on counts ``keys`` (linked by ``sums`` over their positions in ``keys``)."""
    areas = _areas(period)
    shown = [published(client, key, period, areas) for key in keys]
    real = [truth(admin, key, period, areas) for key in keys]
    if top:
        shown = [np.r_[s, np.nansum(r)] for s, r in zip(shown, real, strict=True)]
        real = [np.r_[r, np.nansum(r)] for r in real]
    shown, real = np.concatenate(shown), np.concatenate(real)
    minimum = np.concatenate(
        [np.full(len(real) // len(keys), Indicator.objects.get(key=k).min_count) for k in keys]
    )
    present = ~np.isnan(real)
    hidden = present & np.isnan(shown)
    floor = np.where(real >= 1, 1.0, 0.0)  # stronger than anyone outside: knows the non-zeros
    system = audit.system(shown, present, equations(areas, len(keys), sums, top), floor)
    small = np.flatnonzero(hidden & (real >= 1) & (real < minimum))
    narrowed = audit.audit(system, np.nan_to_num(real), small, minimum[small], minimum[small] - 1)
    return Outcome(int(hidden.sum()), int(small.size), narrowed)


def attack_mean(client, admin, key: str, period: date) -> Outcome:
    """The LP attack on a weighted mean through its products (mean × weight)."""
    indicator = Indicator.objects.get(key=key)
    areas = _areas(period)
    weight_key = indicator.weight.key
    shown = published(client, key, period, areas) * published(client, weight_key, period, areas)
    weight = truth(admin, weight_key, period, areas)
    real = truth(admin, key, period, areas) * weight
    present = ~np.isnan(real)
    hidden = present & np.isnan(shown)
    system = audit.system(shown, present, equations(areas, 1), 0.0)
    small = np.flatnonzero(hidden & (weight >= 1) & (weight < indicator.min_denominator))
    narrowed = audit.audit(system, np.nan_to_num(real), small, 2 * real[small], real[small])
    return Outcome(int(hidden.sum()), int(small.size), narrowed)
