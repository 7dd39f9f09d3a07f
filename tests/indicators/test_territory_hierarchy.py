"""Issue 18: Gemeinden of a Kreis hold their data on different levels.

The Musterstadt stands in for a Kreis: its Stadtbezirke are the Gemeinden. Gemeinde A
(01) has its counts only per Stadtteil, B (02) per Baublock, and C (03) per Baublock too,
with the Sozialräume of one Stadtteil hanging directly below the Gemeinde (a level
skipped). Each Gemeinde is aggregated from its own data; the Kreis sums the Gemeinden;
disclosure control holds against an attacker who builds the sums from the areas' parents.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from quartier.access.models import Territory
from quartier.indicators import readlayer, store
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator
from quartier.spatial.index import area_index, clear_area_index
from quartier.spatial.models import Area, Level
from tests.support import attacker

pytestmark = pytest.mark.django_db
P = date(2025, 12, 31)


def below(code: str, level: str) -> list[Area]:
    """The areas of ``level`` inside Stadtbezirk ``code`` (following the parent links)."""
    index = area_index()
    bezirk = Area.objects.get(level__key="stadtbezirk", code=code)
    inside = index.within({bezirk.pk})
    return list(Area.objects.filter(level__key=level, id__in=inside.tolist()).order_by("code"))


@pytest.fixture
def kreis(db):
    """Territories, the skipped level in C, and the counts of A, B and C; {name: areas}."""
    kreis = Territory.objects.create(
        key="kreis", name="Kreis", kind="kreis", area=Area.objects.get(level__key="stadt")
    )
    for bezirk in Area.objects.filter(level__key="stadtbezirk"):
        Territory.objects.create(
            key=f"g{bezirk.code}", name=bezirk.name, kind="gemeinde", parent=kreis, area=bezirk
        )
    c_bezirk = Area.objects.get(level__key="stadtbezirk", code="03")
    emptied = below("03", "stadtteil")[0]
    Area.objects.filter(level__key="sozialraum", parent=emptied).update(parent=c_bezirk)
    clear_area_index()
    indicator = Indicator.objects.create(
        key="kreis_faelle", name="Fälle im Kreis", kind="count", visibility="public",
        min_count=3, topic="soziales",
    )  # fmt: skip
    rng = np.random.default_rng(18)
    rows = [
        (indicator.pk, a.pk, P, float(rng.integers(0, 40)), "") for a in below("01", "stadtteil")
    ]
    for code in ("02", "03"):
        rows += [
            (indicator.pk, a.pk, P, float(rng.choice([0, 1, 2, 5, 9])), "")
            for a in below(code, "baublock")
        ]
    # One Sozialraum below the Gemeinde directly holds a single case: only the sum
    # Gemeinde = Stadtteile + those Sozialräume protects it from being recomputed.
    moved = Area.objects.filter(level__key="sozialraum", parent=c_bezirk).order_by("code")[0]
    blocks = {a.pk for a in below_area(moved, "baublock")}
    first = min(blocks)
    rows = [r if r[1] not in blocks else (*r[:3], float(r[1] == first), "") for r in rows]
    write_values(create_batch("kreis"), rows)
    return {"indicator": indicator, "emptied": emptied, "values": {r[1]: r[3] for r in rows}}


def values_at(users, level: str) -> dict[str, float]:
    indicator = Indicator.objects.get(key="kreis_faelle")
    result = readlayer.area_values(users["admin"], indicator, Level.objects.get(key=level), P)
    return dict(zip(result.codes, result.values.tolist(), strict=True))


def total(kreis, areas: list[Area]) -> float:
    return sum(kreis["values"][a.pk] for a in areas)


def test_each_gemeinde_is_summed_from_its_own_level_and_the_kreis_sums_them(users, kreis):
    gemeinden = values_at(users, "stadtbezirk")
    a = total(kreis, below("01", "stadtteil"))
    b, c = total(kreis, below("02", "baublock")), total(kreis, below("03", "baublock"))
    assert (gemeinden["01"], gemeinden["02"], gemeinden["03"]) == (a, b, c)
    assert all(np.isnan(v) for code, v in gemeinden.items() if code not in ("01", "02", "03"))
    # The note beside the values names every level the Gemeinden were summed from.
    level = Level.objects.get(key="stadtbezirk")
    result = readlayer.area_values(users["admin"], kreis["indicator"], level, P)
    assert result.source_label == "Stadtteil / Baublock"
    assert values_at(users, "stadt") == {"0": a + b + c} or list(
        values_at(users, "stadt").values()
    ) == [a + b + c]
    stadtteile = values_at(users, "stadtteil")
    for area in below("01", "stadtteil"):  # stored there
        assert stadtteile[area.code] == kreis["values"][area.pk]
    for area in below("02", "stadtteil"):  # summed from B's blocks
        assert stadtteile[area.code] == total(kreis, below_area(area, "baublock"))
    assert np.isnan(stadtteile[kreis["emptied"].code])  # its Sozialräume moved up a level
    sozialraeume = values_at(users, "sozialraum")
    for area in below("03", "sozialraum"):  # also those below the Gemeinde directly
        assert sozialraeume[area.code] == total(kreis, below_area(area, "baublock"))


def below_area(area: Area, level: str) -> list[Area]:
    inside = area_index().within({area.pk})
    return list(Area.objects.filter(level__key=level, id__in=inside.tolist()))


def test_an_attacker_with_the_area_tree_narrows_no_hidden_count(client, users, kreis):
    outcome = attacker.attack_counts(client, users["admin"], ["kreis_faelle"], P)
    assert outcome.small > 20 and outcome.narrowed == []


def test_a_page_of_areas_has_the_values_of_the_whole_level(users, kreis):
    """OGC pages read only their own areas where that gives the level's values: here only
    for a page whose areas all hold stored values (A's Stadtteile), not for one with B's."""
    from quartier.indicators.compute import compute, compute_rows

    index = area_index()
    level = Level.objects.get(key="stadtteil")
    whole = compute(index, kreis["indicator"], level, P)
    own = {a.code for a in below("01", "stadtteil")}
    first_a = next(i for i, code in enumerate(whole.codes) if code in own)
    first_b = next(i for i, code in enumerate(whole.codes) if code not in own)
    for rows in ([first_a], [first_a, first_b], [first_b]):
        store.clear()  # the level's whole result forgotten: the page reads its own rows
        page = compute_rows(index, kreis["indicator"], level, P, np.array(rows))
        assert np.array_equal(page.values, whole.values[rows], equal_nan=True), rows


def test_a_value_stored_for_the_kreis_itself_is_used_as_it_is(users, kreis):
    indicator = Indicator.objects.create(
        key="nur_kreis", name="Nur für den Kreis", kind="count", visibility="public",
        topic="soziales",
    )  # fmt: skip
    stadt = Area.objects.get(level__key="stadt")
    write_values(create_batch("kreiswert"), [(indicator.pk, stadt.pk, P, 4321.0, "")])
    result = readlayer.area_values(users["admin"], indicator, Level.objects.get(key="stadt"), P)
    assert result.values.tolist() == [4321.0]
