"""Static accessibility checks of the server-rendered pages (BITV 2.0 / WCAG 2.1 AA basics).

Every form control has a label (or aria-label), ids are unique, every data table has a
caption or an accessible name, the page has a language, one h1 and a skip link target.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from html.parser import HTMLParser

import pytest

from quartier.analysis import registry

pytestmark = pytest.mark.django_db
P = date(2024, 12, 31)


class Structure(HTMLParser):
    """The parts of a page these checks need."""

    def __init__(self):
        super().__init__()
        self.ids, self.label_for, self.controls, self.tables, self.h1 = [], set(), [], [], 0
        self.lang, self._table, self._label_depth = None, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        labelled = ("input", "select", "textarea", "progress")
        if tag in labelled and a.get("type") not in ("hidden", "submit"):
            self.controls.append((tag, a, self._label_depth > 0))
        if tag == "table":
            self._table = {"attrs": a, "caption": False}
            self.tables.append(self._table)
        if tag == "caption" and self._table is not None:
            self._table["caption"] = True

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def check(html: str, url: str) -> None:
    page = Structure()
    page.feed(html)
    assert page.lang in ("de", "en"), url
    assert page.h1 == 1, f"{url}: {page.h1} h1"
    doubles = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not doubles, f"{url}: ids used twice: {doubles}"
    for tag, attrs, wrapped in page.controls:
        named = (
            wrapped
            or attrs.get("id") in page.label_for
            or attrs.get("aria-label")
            or (attrs.get("aria-labelledby"))
        )
        assert named, f"{url}: <{tag} {attrs}> has no label"
    for table in page.tables:
        a = table["attrs"]
        assert table["caption"] or a.get("aria-label") or a.get("aria-labelledby"), (
            f"{url}: table {a} without caption"
        )


def test_pages_and_forms_have_labels_captions_and_unique_ids(client, users):
    from quartier.analysis.runs import run_lisa, run_mss
    from quartier.imports.models import ImportJob

    client.force_login(users["admin"])
    mss = run_mss(
        users["admin"],
        "A11y MSS",
        "sozialraum",
        P,
        {
            "s1": "arbeitslosenquote",
            "s3": "sgb2_quote",
            "s4": "kinderarmut",
            "d_years": 2,
            "residents": "ew_gesamt",
        },
    )
    lisa = run_lisa(users["admin"], "A11y LISA", "sozialraum", P, "kinderarmut", 99)
    job = ImportJob.objects.create(  # an analysis waiting for the worker
        kind=ImportJob.Kind.ANALYSIS,
        status=ImportJob.Status.QUEUED,
        created_by=users["admin"],
        source_name="A11y",
    )
    urls = [
        "/",
        "/karte/",
        f"/tabelle/?indikator=kinderarmut&ebene=stadtteil&stichtag={P.isoformat()}",
        "/gebiete/stadtteil/011/",
        "/vergleich/?gebiet=stadtteil:011&gebiet=stadtteil:012",
        "/export/",
        f"/export/?indikator=kinderarmut&ebene=stadtteil&stichtag={P.isoformat()}",
        "/schnittstellen/",
        "/ogc/?f=html",
        "/ogc/collections/stadtteil/items?f=html&limit=5",
        "/import/",
        *(f"/analysen/neu/{m.key}/" for m in registry.methods()),
        f"/analysen/{mss.pk}/",
        f"/analysen/{lisa.pk}/",
        f"/analysen/auftrag/{job.pk}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        check(response.content.decode(), url)
