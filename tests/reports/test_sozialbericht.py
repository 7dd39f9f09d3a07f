"""The Sozialbericht builder: composed, saved, run for a Stichtag as PDF and ODT, re-run."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader

from quartier.imports.models import ImportJob
from quartier.reports.models import ReportDefinition

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Kinderarmutsbericht",
    "introduction": "Wo Kinder in Armut aufwachsen.",
    "k0-title": "Kinder und Familien",
    "k0-level": "stadtteil",
    "k0-indicators": ["kinderarmut", "anteil_u18"],
    "k0-map": "on",
    "k0-chart": "on",
    "k0-text": "Die Kinderarmut ist ungleich verteilt.",
}


def run(client, definition, **choices) -> tuple[ImportJob, bytes]:
    response = client.post(f"/berichte/{definition.pk}/", choices)
    assert response.status_code == 302, response.content[:300]
    job = ImportJob.objects.filter(kind=ImportJob.Kind.REPORT).order_by("-created_at").first()
    assert job.status == ImportJob.Status.DONE, job.error
    download = client.get(f"/berichte/auftrag/{job.pk}/datei/")
    return job, b"".join(download.streaming_content)


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_compose_save_and_run_as_pdf_and_odt_for_two_stichtage(client, users):
    client.force_login(users["analyst"])
    new = client.get("/berichte/neu/").content.decode()
    assert 'name="k0-title"' in new and 'value="Demografie"' in new  # one per Handlungsfeld
    response = client.post("/berichte/neu/", FORM)
    definition = ReportDefinition.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/berichte/{definition.pk}/"
    assert definition.created_by == users["analyst"]
    assert definition.chapters == [
        {"title": "Kinder und Familien", "text": "Die Kinderarmut ist ungleich verteilt.",
         "level": "stadtteil", "indicators": ["kinderarmut", "anteil_u18"],
         "map": True, "chart": True}
    ]  # fmt: skip
    job, body = run(client, definition, stichtag="2024-12-31", format="pdf")
    assert job.result["filename"] == f"sozialbericht_{definition.pk}_2024-12-31.pdf"
    text = pdf_text(body)
    flat = "".join(text.split())
    for words in (
        "Kinderarmutsbericht",
        "Wo Kinder in Armut",
        "Kinder und Familien",
        "Die Kinderarmut ist ungleich verteilt",
        "Stichtag 31.12.2024",
        "Altstadt",
    ):
        assert "".join(words.split()) in flat, words  # fmt: skip
    reader = PdfReader(io.BytesIO(body))
    assert reader.trailer["/Root"]["/Lang"] == "de" and "/StructTreeRoot" in reader.trailer["/Root"]
    # The next year's report is the same definition, run again for another Stichtag.
    _job, earlier = run(client, definition, stichtag="2023-12-31", format="pdf")
    assert "Stichtag 31.12.2023" in pdf_text(earlier)
    # ODT: headings, the chapter text, tables and the images with their descriptions.
    job, odt = run(client, definition, stichtag="2024-12-31", format="odt")
    assert job.result["filename"].endswith(".odt")
    with zipfile.ZipFile(io.BytesIO(odt)) as archive:
        content = archive.read("content.xml").decode()
        pictures = [n for n in archive.namelist() if n.startswith("Pictures/")]
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
    assert "Kinder und Familien" in content and "<text:h" in content and "<table:table " in content
    assert "Die Kinderarmut ist ungleich verteilt." in content and "svg:desc" in content
    assert len(pictures) == 4  # map and chart of two indicators


def test_a_run_shows_what_the_runner_may_see_and_names_nothing_else(client, users):
    """A definition naming an indicator its author may no longer see: left out, counted."""
    definition = ReportDefinition.objects.create(
        title="Hilfen",
        created_by=users["analyst"],
        chapters=[{"title": "Jugendhilfe", "text": "", "level": "stadtbezirk",
                   "indicators": ["hze_quote", "kinderarmut"], "map": False, "chart": False}],
    )  # fmt: skip
    client.force_login(users["analyst"])
    _job, body = run(client, definition, format="pdf")
    text = pdf_text(body)
    assert "Hilfen zur Erziehung" not in text and "hze_quote" not in text
    assert "1 Indikatoren dieses Kapitels fehlen" in text and "Kinderarmut" in text
    assert "VERTRAULICH" not in text


def test_a_stewards_report_of_its_own_restricted_indicator_is_confidential(client, users):
    client.force_login(users["steward"])
    form = {**FORM, "k0-indicators": ["hze_quote"], "k0-level": "stadtbezirk"}
    form.pop("k0-map")
    form.pop("k0-chart")
    assert client.post("/berichte/neu/", form).status_code == 302
    definition = ReportDefinition.objects.get()
    job, body = run(client, definition, format="pdf")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(body)).pages]
    assert all("VERTRAULICH" in page for page in pages)
    assert job.result["confidential"] is True and "_vertraulich" in job.result["filename"]


def test_others_cannot_see_run_edit_or_delete_a_report(client, users):
    client.force_login(users["analyst"])
    client.post("/berichte/neu/", FORM)
    definition = ReportDefinition.objects.get()
    client.force_login(users["steward"])
    for url in (f"/berichte/{definition.pk}/", f"/berichte/{definition.pk}/bearbeiten/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/berichte/{definition.pk}/", {"format": "pdf"}).status_code == 404
    assert client.post(f"/berichte/{definition.pk}/loeschen/").status_code == 404
    assert "Kinderarmutsbericht" not in client.get("/berichte/").content.decode()
    assert not ImportJob.objects.filter(kind=ImportJob.Kind.REPORT).exists()
    client.force_login(users["analyst"])
    assert client.post(f"/berichte/{definition.pk}/loeschen/").status_code == 302
    assert not ReportDefinition.objects.exists()


def test_an_analyst_cannot_put_a_hidden_indicator_into_a_chapter(client, users):
    client.force_login(users["analyst"])
    response = client.post("/berichte/neu/", {**FORM, "k0-indicators": ["hze_quote"]})
    assert response.status_code == 400 and not ReportDefinition.objects.exists()
    assert "Hilfen zur Erziehung" not in response.content.decode()
