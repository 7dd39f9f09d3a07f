"""The Steckbrief as PDF: what the profile shows, tagged, marked, audited, self-contained."""

from __future__ import annotations

import http.server
import io
import threading

import pytest
from pypdf import PdfReader

from quartier.access.models import AuditEntry
from quartier.explorer.chartdata import chartable
from quartier.explorer.profile import area_profile, find_area
from quartier.reports.locationmap import neighbours, scale_length
from quartier.reports.pdf import data_only_fetcher, html_to_pdf

pytestmark = pytest.mark.django_db


def pdf_of(client, level, code, **params):
    response = client.get(f"/berichte/steckbrief/{level}/{code}.pdf", params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    pages = [page.extract_text() for page in reader.pages]
    return response, reader, pages


def test_public_steckbrief_shows_the_profile_tagged_and_audited(client, users):
    response, reader, pages = pdf_of(client, "sozialraum", "01101")
    text = "\n".join(pages)
    flat = "".join(text.split())  # table cells wrap names anywhere
    area = find_area("sozialraum", "01101")
    profile = area_profile(users["anonymous"], area)
    assert area.name in text and "Steckbrief" in pages[0]
    for topic, rows in profile.topics:
        assert str(topic) in text
        for row in rows[:3]:
            assert "".join(row.indicator.name.split())[:20] in flat
    # The figures are the read layer's: every shown value of the area, as formatted.
    from quartier.explorer.templatetags.quartier import shown

    for row in profile.rows:
        if row.status.shown and row.value is not None:
            assert "".join(str(shown(row.value, row.indicator)).split()) in flat, row.indicator.key
    assert "Hilfen zur Erziehung" not in text  # restricted to the Jugendamt
    assert "VERTRAULICH" not in text
    assert response["Content-Disposition"].endswith('steckbrief_sozialraum_01101.pdf"')
    # Tagged PDF in the page's language, with a structure tree and the map's alt text.
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "de"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712  (a pypdf BooleanObject)
    assert "/StructTreeRoot" in root
    alts = _struct_alts(reader)
    assert b"Lage von" in alts
    # The key figures' time series as charts, each described and with its numbers.
    assert "Kennzahlen im Zeitverlauf" in text and "Zahlen zur Zeitreihe" in text
    key_figures = [r for r in profile.rows if r.indicator.key_figure and chartable(r.indicator)]
    assert key_figures and alts.count(b"Zeitreihe") >= len(key_figures)
    # Two charts side by side with their numbers: a page holds four (one per page made
    # an eleven-page Steckbrief and doubled WeasyPrint's work).
    assert len(key_figures) >= 4
    assert max(page.count("Zahlen zur Zeitreihe") for page in pages) == 4
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.target == "sozialraum:01101"
    assert entry.details == {"format": "pdf", "report": "steckbrief", "confidential": False}


def _struct_alts(reader) -> bytes:
    """Every /Alt text of the structure tree, UTF-16 or not, as UTF-8 bytes."""
    found = []

    def walk(node, depth=0):
        node = node.get_object()
        if depth > 50:
            return
        if hasattr(node, "get") and node.get("/Alt") is not None:
            found.append(str(node["/Alt"]).encode())
        kids = node.get("/K") if hasattr(node, "get") else None
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if hasattr(kid, "get"):
                walk(kid, depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return b"\n".join(found)


def test_confidential_steckbrief_says_so_on_every_page(client, users):
    client.force_login(users["steward"])  # Jugendamt: its own restricted indicators unprotected
    area = find_area("stadtteil", "011")
    assert area_profile(users["steward"], area).confidential
    response, _reader, pages = pdf_of(client, "stadtteil", "011")
    assert "Hilfen zur Erziehung" in "\n".join(pages)
    assert len(pages) >= 2
    assert all("VERTRAULICH" in page for page in pages)
    assert response["Content-Disposition"].endswith('_vertraulich.pdf"')
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user == users["steward"] and entry.details["confidential"] is True


def test_secret_values_are_marked_not_printed(client, users):
    """A block whose values the public sees partly as geheim: the PDF prints the mark."""
    from quartier.indicators.status import Status
    from quartier.spatial.models import Area

    for area in Area.objects.filter(level__key="baublock").order_by("code")[:200]:
        rows = area_profile(users["anonymous"], area).rows
        if any(row.status == Status.SUPPRESSED for row in rows):
            break
    else:
        pytest.fail("no block with a secret value")
    _response, _reader, pages = pdf_of(client, "baublock", area.code)
    assert "•" in "\n".join(pages)


def test_unknown_area_is_404_and_not_audited(client):
    response = client.get("/berichte/steckbrief/sozialraum/99999.pdf")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_neighbours_touch_and_the_scale_bar_is_round():
    area = find_area("stadtteil", "011")
    found = neighbours(area)
    assert found and all(a.code != area.code and a.level_id == area.level_id for a in found)
    assert all(a.shape.distance(area.shape) < 1e-5 for a in found)
    assert scale_length(8000) == 2000 and scale_length(900) == 200 and scale_length(10) == 50


def test_a_report_never_fetches_anything_but_data_urls():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        html = (
            f'<html lang="de"><head><title>t</title><link rel="stylesheet" href="{url}/a.css">'
            f'</head><body><img src="{url}/b.png" alt="x"><img src="file:///etc/passwd" alt="y">'
            "<p>Text</p></body></html>"
        )
        assert html_to_pdf(html).startswith(b"%PDF")
    finally:
        server.shutdown()
    assert hits == []
    for url in ("http://example.org/x.png", "file:///etc/passwd", "ftp://h/x"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            data_only_fetcher().fetch(url)


def test_without_pango_only_pdfs_fail_with_a_message(client, monkeypatch):
    """WeasyPrint loads Pango when imported; a server without it must serve everything else."""
    import sys

    class NoPango:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "weasyprint":
                raise OSError("cannot load library 'libpango-1.0-0'")

    for name in [m for m in sys.modules if m.split(".")[0] == "weasyprint"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoPango(), *sys.meta_path])
    response = client.get("/berichte/steckbrief/sozialraum/01101.pdf")
    assert response.status_code == 503
    assert "Pango" in response.content.decode()
    assert client.get("/gebiete/sozialraum/01101/").status_code == 200
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_all_areas_of_a_level_as_a_zip_from_the_command_line(tmp_path, capsys, users):
    import zipfile

    from quartier.cli import main
    from quartier.spatial.models import Area

    target = tmp_path / "sb.zip"
    assert main(["steckbriefe", "--level", "stadtbezirk", "--output", str(target)]) == 0
    codes = sorted(
        Area.objects.filter(level__key="stadtbezirk", valid_to__isnull=True).values_list(
            "code", flat=True
        )
    )
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert names == [f"steckbrief_stadtbezirk_{code}.pdf" for code in codes]
        first = PdfReader(io.BytesIO(archive.read(names[0])))
        assert find_area("stadtbezirk", codes[0]).name in first.pages[0].extract_text()
    out = capsys.readouterr().out
    assert "[100 %]" in out and f"{len(codes)}/{len(codes)} Steckbriefe" in out
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.details == {
        "format": "zip", "report": "steckbriefe", "areas": len(codes), "confidential": False
    }  # fmt: skip
    # With a steward's rights: the Jugendamt's own indicators are in (the city's one area).
    steward = users["steward"].username
    argv = ["steckbriefe", "--level", "stadt", "--user", steward, "--output", str(tmp_path)]
    assert main(argv) == 0
    with zipfile.ZipFile(tmp_path / "steckbriefe_stadt.zip") as archive:
        (name,) = archive.namelist()
        pages = PdfReader(io.BytesIO(archive.read(name))).pages
        assert "Hilfen zur Erziehung" in "".join(page.extract_text() for page in pages)
