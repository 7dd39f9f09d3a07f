"""Issue 18, point 3: comparison across the Gemeinden of a Kreis, and a Gemeinde's portal.

The Musterstadt stands in for a Kreis: its Stadtbezirke are the Gemeinden. Every value the
Gemeindevergleich shows is checked against the read layer's values of the level it comes
from (the same protection); definitions decide what is ranked together.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest

from quartier.access.models import Role, Territory, Unit, User
from quartier.explorer.municipal import compare_municipalities
from quartier.indicators import readlayer
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator
from quartier.spatial.index import area_index
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
P = date(2024, 12, 31)
DEFINITION = "Fälle nach § 1, Stichtag 31.12."


def inside(area: Area, level: str) -> list[Area]:
    ids = area_index().within({area.pk}).tolist()
    return list(Area.objects.filter(level__key=level, id__in=ids).order_by("code"))


@pytest.fixture
def kreis(db):
    """The Kreis and one Gemeinde per Stadtbezirk, a unit and an analyst in A (01), B (02) and
    the Kreis; a Kreis count per Stadtteil outside A, A's own count of the same definition
    (shared with the Kreis), B's own count of another definition (not shared).
    """
    root = Territory.objects.create(
        key="testkreis", name="Testkreis", kind="kreis", area=Area.objects.get(level__key="stadt")
    )
    places = {}
    for bezirk in Area.objects.filter(level__key="stadtbezirk").order_by("code"):
        places[bezirk.code] = Territory.objects.create(
            key=f"g{bezirk.code}", name=f"Gemeinde {bezirk.name}", kind="gemeinde",
            parent=root, area=bezirk,
        )  # fmt: skip
    staff = {}
    for name, territory in (("a", places["01"]), ("b", places["02"]), ("kreis", root)):
        unit = Unit.objects.create(key=f"unit-{name}", name=f"Amt {name}", territory=territory)
        user = User.objects.create_user(f"user-{name}", password="x" * 12, role=Role.ANALYST)
        user.units.add(unit)
        staff[name] = (user, unit)
    common = dict(kind="count", topic="soziales", min_count=3, concept="faelle")
    kreis_count = Indicator.objects.create(
        key="kreis_faelle", name="Fälle (Kreis)", visibility="public", defined_as=DEFINITION,
        owner=staff["kreis"][1], **common,
    )  # fmt: skip
    own_a = Indicator.objects.create(
        key="a_faelle", name="Fälle (eigene Zählung A)", visibility="internal",
        kreis_shared=True, defined_as="  fälle NACH § 1,\nStichtag 31.12. ", owner=staff["a"][1],
        **common,
    )  # fmt: skip
    own_b = Indicator.objects.create(
        key="b_faelle", name="Fälle (eigene Zählung B)", visibility="internal",
        defined_as="Fälle nach § 2 (mit Nachzahlungen)", owner=staff["b"][1], **common,
    )  # fmt: skip
    rng = np.random.default_rng(18)
    rows = []
    for code, territory in places.items():
        for area in inside(territory.area, "stadtteil"):
            n = float(rng.integers(4, 60))
            rows.append(((own_a if code == "01" else kreis_count).pk, area.pk, P, n, ""))
            if code == "02":
                rows.append((own_b.pk, area.pk, P, n + 7, ""))
    write_values(create_batch("faelle"), rows)
    return {
        "places": places,
        "staff": {k: v[0] for k, v in staff.items()},
        "stored": {(r[0], r[1]): r[3] for r in rows},
    }


def level(key: str) -> Level:
    return Level.objects.get(key=key)


def test_every_gemeinde_is_ranked_and_set_against_the_kreis(client, users, kreis):
    kinderarmut = Indicator.objects.get(key="kinderarmut")
    result = compare_municipalities(users["anonymous"], kinderarmut, P)
    published = readlayer.area_values(users["anonymous"], kinderarmut, level("stadtbezirk"), P)
    assert sorted(row.code for row in result.rows) == sorted(published.codes)
    total = readlayer.total_value(users["anonymous"], kinderarmut, P)
    assert result.whole == total
    for row in result.rows:
        assert row.cell.value == published.value_of(row.code)
        assert row.cell.source == "Baublock"  # the Musterstadt's counts are stored per block
        assert row.deviation == pytest.approx(row.cell.value - total)
    by_rank = sorted(result.rows, key=lambda r: r.rank)
    assert [r.rank for r in by_rank] == list(range(1, len(result.rows) + 1))
    assert [r.cell.value for r in by_rank] == sorted((r.cell.value for r in by_rank), reverse=True)
    page = client.get("/gemeinden/?indikator=kinderarmut").content.decode()
    assert "Kreis insgesamt" in page and "Abweichung vom Kreiswert" in page


def test_only_equal_definitions_are_ranked_together(users, kreis):
    """The Kreis sees A's own count (same definition, spaces and case aside) in A's row and
    ranked with the others; B's own count, defined otherwise, only B's staff see — beside
    the comparable value, unranked. Nobody sees an indicator they may not."""
    kreis_count = Indicator.objects.get(key="kreis_faelle")
    staff, stored = kreis["staff"], kreis["stored"]

    def total(key: str, code: str) -> float:
        indicator = Indicator.objects.get(key=key)
        areas = inside(kreis["places"][code].area, "stadtteil")
        return sum(stored[(indicator.pk, a.pk)] for a in areas)

    as_kreis = compare_municipalities(staff["kreis"], kreis_count, P)
    rows = {row.code: row for row in as_kreis.rows}
    assert not as_kreis.differing  # B's own count is not shared: not gathered
    assert rows["01"].cell.indicator.key == "a_faelle"
    assert rows["01"].cell.value == total("a_faelle", "01")
    assert rows["02"].cell.value == total("kreis_faelle", "02") and rows["02"].others == []
    assert rows["02"].cell.source == "Stadtteil"  # where the Kreis count is stored
    assert rows["01"].rank is not None and sorted(r.rank for r in rows.values()) == list(
        range(1, len(rows) + 1)
    )
    as_b = compare_municipalities(staff["b"], kreis_count, P)
    rows = {row.code: row for row in as_b.rows}
    assert as_b.differing and [d.number for d in as_b.definitions] == [1, 2]
    assert rows["01"].cell is None and rows["01"].rank is None  # A's own: not for B
    (definition, cell), *more = rows["02"].others
    assert not more and definition.indicators[0].key == "b_faelle"
    assert cell.value == total("b_faelle", "02") and rows["02"].cell.indicator.key != "b_faelle"
    as_a = compare_municipalities(staff["a"], kreis_count, P)
    assert not as_a.differing and {r.code: r for r in as_a.rows}["01"].cell.value == total(
        "a_faelle", "01"
    )


def test_the_page_names_differing_definitions_only_to_those_who_may_see_them(client, kreis):
    for who, sees in (("b", True), ("a", False), ("kreis", False)):
        client.force_login(kreis["staff"][who])
        page = client.get("/gemeinden/?indikator=kreis_faelle").content.decode()
        assert ("nicht gleich" in page) is sees, who
        assert ("Fälle (eigene Zählung B)" in page) is sees, who
        assert ("Fälle (eigene Zählung A)" in page) is (who != "b"), who


def test_small_areas_of_several_gemeinden_on_one_map_and_table(client, users, kreis):
    """A's and B's Sozialräume, each row as the level's own table shows it; for the count
    held per Stadtteil only, the Stadtteile stand in (the nearest coarser level)."""
    client.force_login(users["analyst"])
    response = client.get(
        "/gemeinden/?indikator=kinderarmut&gemeinde=g01&gemeinde=g02&ebene=sozialraum"
    )
    comparison = response.context["c"]
    kinderarmut = Indicator.objects.get(key="kinderarmut")
    published = readlayer.area_values(users["analyst"], kinderarmut, level("sozialraum"), P)
    expected = [
        a.code for code in ("01", "02") for a in inside(kreis["places"][code].area, "sozialraum")
    ]
    assert [r.code for r in comparison.small_rows] == expected
    gemeinden = {r.place.key: r.cell.value for r in comparison.rows}
    for row in comparison.small_rows:
        assert row.level.key == "sozialraum"
        assert row.cell.status == published.status_of(row.code)
        assert row.cell.value == published.value_of(row.code)
        if row.cell.value is not None:
            assert row.from_municipality == pytest.approx(row.cell.value - gemeinden[row.place.key])
    page = response.content.decode()
    svg = page[
        page.index("<svg", page.index('class="small-map"')) : page.index(
            "</svg>", page.index('class="small-map"')
        )
    ]
    assert svg.count("<path") == len(expected)
    table = page[page.index('id="kleinraeume"') :]
    assert table.count('<tr data-code="') == len(expected)

    client.force_login(kreis["staff"]["kreis"])
    response = client.get(
        "/gemeinden/?indikator=kreis_faelle&gemeinde=g01&gemeinde=g02&ebene=sozialraum"
    )
    small = response.context["c"].small_rows
    assert {r.level.key for r in small} == {"stadtteil"}
    assert {r.cell.indicator.key for r in small if r.place.key == "g01"} == {"a_faelle"}
    assert len(small) == len(inside(kreis["places"]["01"].area, "stadtteil")) + len(
        inside(kreis["places"]["02"].area, "stadtteil")
    )


def test_a_kreis_is_called_a_kreis_and_a_city_stays_a_city(client, settings, users):
    page = client.get("/tabelle/?indikator=kinderarmut&ebene=stadtbezirk").content.decode()
    assert "Gesamtstadt" in page and "Abweichung vom Stadtwert" in page
    assert re.search(r"<title>[^<]*Musterstadt</title>", page)
    assert client.get("/gemeinden/").status_code == 404  # no Gemeinden: nothing to compare
    assert 'href="/gemeinden/"' not in page
    Territory.objects.create(
        key="k", name="Testkreis", kind="kreis", area=Area.objects.get(level__key="stadt")
    )
    page = client.get("/tabelle/?indikator=kinderarmut&ebene=stadtbezirk").content.decode()
    assert "Kreis insgesamt" in page and "Abweichung vom Kreiswert" in page
    assert "Gesamtstadt" not in page
    assert re.search(r"<title>[^<]*Testkreis</title>", page)
    values = client.get("/karte/werte/?indikator=kinderarmut&ebene=stadtbezirk").json()
    assert values["city_label"] == "Kreis insgesamt"


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_gemeinde_portal_shows_its_headline_indicators_to_whom_may_see_them(client, users, kreis):
    a = kreis["places"]["01"]
    assert client.get(f"/gemeinden/{a.key}/").status_code == 404  # no portal opened
    a.portal = True
    a.save()
    internal = Indicator.objects.get(key="quote_uebergewicht")
    a.headline.set([Indicator.objects.get(key="kinderarmut"), internal])
    page = client.get(f"/gemeinden/{a.key}/").content.decode()
    kinderarmut = readlayer.area_values(
        users["anonymous"], Indicator.objects.get(key="kinderarmut"), level("stadtbezirk"), P
    ).value_of("01")
    assert a.name in page and 'data-indicator="kinderarmut"' in page
    assert f"{kinderarmut:.1f}".replace(".", ",") in page
    assert internal.name not in page  # internal: not for the public
    client.force_login(kreis["staff"]["a"])
    assert internal.name in client.get(f"/gemeinden/{a.key}/").content.decode()
    assert client.get(f"/gemeinden/{a.key}/logo").status_code == 404


def test_a_portal_logo_is_uploaded_as_a_raster_image_only(client, users, kreis):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quartier.access.admin import TerritoryForm

    a = kreis["places"]["01"]
    fields = {"key": a.key, "name": a.name, "kind": "gemeinde", "parent": a.parent_id,
              "area": a.area_id, "portal": True}  # fmt: skip
    svg = SimpleUploadedFile("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>")
    form = TerritoryForm(fields, {"logo_file": svg}, instance=a)
    assert not form.is_valid() and "logo_file" in form.errors
    form = TerritoryForm(fields, {"logo_file": SimpleUploadedFile("logo.png", PNG)}, instance=a)
    assert form.is_valid(), form.errors
    form.save()
    response = client.get(f"/gemeinden/{a.key}/logo")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content == PNG
    assert f'src="/gemeinden/{a.key}/logo"' in client.get(f"/gemeinden/{a.key}/").content.decode()
