"""Every URL of the project × every role × public, internal and restricted indicators.

The URL patterns are enumerated from the resolver, so routes added later are
covered automatically. Marker values are planted first: a restricted and an
internal count get a unique number, and a public count gets a unique number
that disclosure control must hide. No role may receive what it must not see.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from datetime import date

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from quartier.core import geodoc
from quartier.imports.models import ImportJob
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import ImportBatch, Indicator
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db
P = date(2024, 12, 31)
SECRET_RESTRICTED = 987654  # hze_faelle (restricted to the Jugendamt)
SECRET_INTERNAL = 876543  # esu_uebergewicht (internal)
SECRET_SUPPRESSED = 765432  # arbeitslose (public, but every value is secret by its threshold)
CASES = {
    "public": "kinderarmut",
    "internal": "quote_uebergewicht",
    "restricted": "hze_quote",
}


def patterns(resolver=None, prefix=""):
    """(route template, pattern name) of every URL pattern, admin included."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name


def concrete(route: str, key: str, ids: dict) -> str:
    """A URL for a route template: converters filled with real objects of the test."""
    fills = {
        "key": key,
        "level": "stadtteil",
        "code": "011",
        "layer": "kitas",
        "app_label": "indicators",
        "object_id": str(ids["indicator"]),
        "url": "x",
    }

    def fill(match):
        conv, name = match.group(1), match.group(2)
        if conv == "uuid":
            return str(ids["job"])
        if conv == "int":
            return str(ids["batch"])
        return fills.get(name, "x")

    if route.startswith("gemeinden/<slug:key>"):  # a Gemeinde's portal: Gemeinde A's
        fills["key"] = "a"
    url = re.sub(
        r"<(?:(\w+):)?(\w+)>",
        lambda m: fill(m) if m.group(1) else fills.get(m.group(2), "x"),
        route,
    )
    url = re.sub(
        r"\^|\$|\\Z|\(\?P<(\w+)>[^)]*\)",
        lambda m: fills.get(m.group(1) or "", "x") if m.group(1) else "",
        url,
    )
    url = "/" + url.replace("\\", "")
    if url.endswith(".pdf"):  # Steckbriefe: of the area the markers are planted in, every
        # indicator in one file, so asked once per role (a PDF costs seconds)
        return url.replace("/stadtteil/011.pdf", "/stadtbezirk/01.pdf")
    if url.endswith(".svg"):  # charts: asked for the level and area the markers are planted in
        url = url.replace("/stadtteil/011/", "/stadtbezirk/01/")
        area = "stadtbezirk:01" if url.startswith("/vergleich/") else "01"
        return f"{url}?indikator={key}&ebene=stadtbezirk&stichtag={P.isoformat()}&gebiet={area}"
    query = f"indikator={key}&ebene=stadtteil&stichtag={P.isoformat()}&gemeinde=a&gemeinde=b"
    # The machine interfaces name their parameters in English; ask them for the
    # level where the marker values are planted.
    query += f"&indicator={key}&level=stadtbezirk&period={P.isoformat()}"
    query += f"&properties={key}&datetime={P.isoformat()}"
    return f"{url}?{query}"


FILE_FORMATS = ("csv", "csv-de", "xlsx", "geojson", "gpkg")


def variants(url: str) -> list[str]:
    """The export download is asked for every file format (the API's exports/ shares its code)."""
    if not url.startswith("/export/datei/"):
        return [url]
    return [url] + [f"{url}&format={fmt}" for fmt in FILE_FORMATS]


def readable_text(response) -> str | None:
    """The response as text to search for secrets — files are opened, not skipped."""
    body = b"".join(response) if response.streaming else response.content
    kind = response.get("Content-Type", "").split(";")[0].strip()
    if response.get("Content-Encoding"):
        return None
    if kind == "image/svg+xml":  # charts: their texts are comments beside the glyphs
        return body.decode("utf-8", "replace")
    if kind.startswith("text/") or kind.endswith(("json", "xml", "yaml", "openapi")):
        return body.decode("utf-8", "replace")
    if body[:5] == b"%PDF-":  # Steckbriefe and reports: their text, as a reader sees it
        return pdf_text(body)
    if body[:2] == b"PK":  # XLSX and other zipped office files, ZIPs of PDFs
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(
                pdf_text(data) if data[:5] == b"%PDF-" else data.decode("utf-8", "replace")
                for data in map(archive.read, archive.namelist())
            )
    if body[:16] == b"SQLite format 3\x00":  # GeoPackage
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "export.gpkg")
            with open(path, "wb") as file:
                file.write(body)
            connection = sqlite3.connect(path)
            try:
                return "\n".join(connection.iterdump())
            finally:
                connection.close()
    if kind == geodoc.CONTENT_TYPE:  # the map's geometry: its texts (codes, names, level);
        # the arrays are coordinates, where a six-digit marker could turn up by chance
        doc = geodoc.unpack(body)
        return json.dumps({k: v for k, v in doc.items() if isinstance(v, str | list)})
    if kind.startswith(("image/", "font/")) or kind == "application/javascript":
        return None
    raise AssertionError(f"cannot read {kind} ({len(body)} bytes): extend readable_text")


def pdf_text(body: bytes) -> str:
    """The text of every page of a PDF (compressed content streams hide it from a search)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def planted(users):
    def plant(key, value, code="01", level="stadtbezirk"):
        area = Area.objects.get(level__key=level, code=code)
        write_values(
            create_batch(f"marker-{key}"),
            [(Indicator.objects.get(key=key).pk, area.pk, P, float(value), "")],
        )

    plant("hze_faelle", SECRET_RESTRICTED)
    plant("esu_uebergewicht", SECRET_INTERNAL)
    Indicator.objects.filter(key="arbeitslose").update(min_count=10_000_000)
    plant("arbeitslose", SECRET_SUPPRESSED)
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.TABLE, source_name="x.csv", created_by=users["steward"]
    )
    return {
        "job": job.pk,
        "batch": ImportBatch.objects.order_by("-pk").first().pk,
        "indicator": Indicator.objects.get(key="hze_quote").pk,
    }


def forms(number: int) -> set[str]:
    """How a number may appear in a page or file."""
    return {str(number), f"{number:,}".replace(",", "."), f"{number:,}"}


def leaked(body: str, secrets: set[str]) -> set[str]:
    return {s for s in secrets if re.search(rf"(?<![\d.,]){re.escape(s)}(?![\d])", body)}


ALLOWED = {  # role → what it may see
    "anonymous": {"public"},
    "analyst": {"public", "internal"},
    "steward": {"public", "internal", "restricted"},  # a data steward of the Jugendamt
    "admin": {"public", "internal", "restricted"},
}


def admin_urls(ids) -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        obj = model.objects.order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
    urls.append(reverse("admin:access_auditentry_export"))
    return urls


def test_no_route_gives_any_role_what_it_must_not_see(client, users, planted):
    allowed = {role: (user, ALLOWED[role]) for role, user in users.items()}
    assert request_every_route(client, allowed, planted) > 1000


def test_no_route_gives_one_gemeinde_what_another_keeps_internal(client, users, planted):
    """Issue 18: a Kreis and two Gemeinden share the installation. The internal marker
    belongs to the Gesundheitsamt of Gemeinde A: the Jugendamt's data steward in
    Gemeinde B and the Kreis's staff (not shared with the Kreis) must not get it
    through any route — while A's own staff see it."""
    from quartier.access.models import Role, Territory, Unit, User
    from quartier.access.rights import visible_ids

    def area(level, code):
        return Area.objects.get(level__key=level, code=code)

    kreis = Territory.objects.create(
        key="kreis", name="Musterkreis", kind="kreis", area=Area.objects.get(level__key="stadt")
    )
    # A is Stadtbezirk 01, where the markers are planted; both open a portal whose headline
    # indicators are all the cases, and the cases share one concept: the Gemeindevergleich
    # and the portals gather them — and must leave out what the user may not see.
    gemeinde_a = Territory.objects.create(
        key="a", name="A", kind="gemeinde", parent=kreis, area=area("stadtbezirk", "01"),
        portal=True,
    )  # fmt: skip
    gemeinde_b = Territory.objects.create(
        key="b", name="B", kind="gemeinde", parent=kreis, area=area("stadtbezirk", "02"),
        portal=True,
    )  # fmt: skip
    markers = ["hze_faelle", "esu_uebergewicht", "arbeitslose", *CASES.values()]
    Indicator.objects.filter(key__in=markers).update(concept="marker", defined_as="gleich")
    for territory in (gemeinde_a, gemeinde_b):
        territory.headline.set(Indicator.objects.filter(key__in=markers))
    Unit.objects.filter(key="gesundheitsamt").update(territory=gemeinde_a)
    Unit.objects.filter(key="jugendamt").update(territory=gemeinde_b)
    planung = Unit.objects.create(key="kreisplanung", name="Sozialplanung", territory=kreis)
    in_kreis = User.objects.create_user("kreis", password="x" * 12, role=Role.ANALYST)
    in_kreis.units.add(planung)
    in_a = User.objects.create_user("a", password="x" * 12, role=Role.ANALYST)
    in_a.units.add(Unit.objects.get(key="gesundheitsamt"))
    steward_b = User.objects.get(pk=users["steward"].pk)  # the Jugendamt's, now in B
    allowed = {
        "steward in B": (steward_b, {"public", "restricted"}),
        "Kreis, not shared": (in_kreis, {"public"}),
    }
    assert request_every_route(client, allowed, planted) > 500
    client.force_login(in_a)  # the control: A's own staff find their internal case on both
    name = Indicator.objects.get(key=CASES["internal"]).name
    for url in ("/gemeinden/?indikator=kinderarmut&gemeinde=a", "/gemeinden/a/"):
        assert name in client.get(url).content.decode(), url
    internal = Indicator.objects.get(key="esu_uebergewicht")
    assert internal.pk in visible_ids(in_a) and internal.pk not in visible_ids(in_kreis)
    for user, sees in ((in_a, True), (steward_b, False), (in_kreis, False)):
        client.force_login(user)
        assert (internal.name in client.get("/api/v1/indicators/").content.decode()) is sees
    Indicator.objects.filter(key="esu_uebergewicht").update(kreis_shared=True)
    in_kreis = User.objects.get(pk=in_kreis.pk)
    assert internal.pk in visible_ids(in_kreis) and internal.pk not in visible_ids(steward_b)


def request_every_route(client, allowed_by_role: dict, planted) -> int:
    """Ask every route as each role of ``{role: (user, what it may see)}``; fail on a leak."""
    routes = [(r, n) for r, n in patterns() if not r.startswith("admin/")]
    assert len(routes) >= 30
    names = {kind: Indicator.objects.get(key=key).name for kind, key in CASES.items()}
    requested = 0
    for role, (user, allowed) in allowed_by_role.items():
        client.logout()
        if user.is_authenticated:
            client.force_login(user)
        secrets = set()
        if "restricted" not in allowed:
            secrets |= forms(SECRET_RESTRICTED)
        if "internal" not in allowed:
            secrets |= forms(SECRET_INTERNAL)
        if role != "admin":  # arbeitslose belongs to the Sozialamt: only admins see it unhidden
            secrets |= forms(SECRET_SUPPRESSED)
        hidden_names = {names[kind] for kind in CASES if kind not in allowed}
        # Every URL once per role (the admin pages and the marker-key URLs do not depend
        # on the case): each response is searched for every secret and hidden name.
        urls = {}
        for key in CASES.values():
            urls.update(dict.fromkeys(concrete(route, key, planted) for route, _name in routes))
            urls.update(
                dict.fromkeys(
                    concrete(route, k, planted)
                    for route, _n in routes
                    if "<slug:key>" in route or route.startswith(("api/", "ogc/", "export/"))
                    for k in ("hze_faelle", "esu_uebergewicht", "arbeitslose")
                )
            )
        urls.update(dict.fromkeys(admin_urls(planted)))
        for url in [v for u in urls for v in variants(u)]:
            response = client.get(url)
            requested += 1
            assert response.status_code < 500, (role, url, response.status_code)
            body = readable_text(response)
            if body is None:
                continue
            assert not leaked(body, secrets), (role, url, leaked(body, secrets))
            for name in hidden_names:
                assert name not in body, (role, url, name)
    return requested


def test_every_route_is_enumerated():
    """New routes show up here without anyone adding them to the test."""
    names = {name for _route, name in patterns()}
    for expected in [
        "home",
        "map",
        "values",
        "table_csv",
        "profile",
        "compare",
        "start",
        "table_upload",
        "microdata_upload",
        "batches",
        "imprint",
        "time_series_chart",
        "comparison_chart",
        "distribution_chart",
        "steckbrief",
        "job_file",
    ]:
        assert expected in names


def test_owner_steward_and_admin_see_the_planted_values(client, users, planted):
    client.force_login(users["admin"])
    text = client.get("/tabelle/?indikator=arbeitslose&ebene=stadtbezirk&stichtag=2024-12-31")
    assert "765.432" in text.content.decode() and "Vertraulich" in text.content.decode()
    client.force_login(users["steward"])
    html = client.get("/tabelle/?indikator=hze_faelle&ebene=stadtbezirk&stichtag=2024-12-31")
    assert "987.654" in html.content.decode()
    # The matrix reads PDFs as text: the marker is found where it may be shown.
    pdf = client.get("/berichte/steckbrief/stadtbezirk/01.pdf")
    assert "987.654" in readable_text(pdf)


def test_a_sozialbericht_of_every_role_shows_no_marker_it_must_not_see(client, users, planted):
    """The report builder reads through the read layer too: each role runs a report naming all
    three marked indicators at the marked level; its PDF and ODT are searched like any page."""
    from quartier.reports.models import ReportDefinition

    chapter = {"title": "Marker", "text": "", "level": "stadtbezirk", "map": False,
               "chart": False, "indicators": ["hze_faelle", "esu_uebergewicht", "arbeitslose"]}  # fmt: skip
    for role, user in users.items():
        if role == "anonymous":
            continue
        client.force_login(user)
        definition = ReportDefinition.objects.create(
            title=f"Marker {role}", chapters=[chapter], created_by=user
        )
        secrets = set()
        if "restricted" not in ALLOWED[role]:
            secrets |= forms(SECRET_RESTRICTED)
        if "internal" not in ALLOWED[role]:
            secrets |= forms(SECRET_INTERNAL)
        if role != "admin":
            secrets |= forms(SECRET_SUPPRESSED)
        for fmt in ("pdf", "odt"):
            client.post(f"/berichte/{definition.pk}/", {"format": fmt, "stichtag": P.isoformat()})
            job = ImportJob.objects.filter(kind=ImportJob.Kind.REPORT).order_by("-created_at")[0]
            assert job.status == ImportJob.Status.DONE, (role, fmt, job.error)
            response = client.get(f"/berichte/auftrag/{job.pk}/datei/")
            body = readable_text(response)
            assert not leaked(body, secrets), (role, fmt, leaked(body, secrets))
        if role == "steward":  # the control: the marker is found where it may be shown
            assert "987.654" in body
