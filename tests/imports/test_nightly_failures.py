"""Nightly jobs fail loudly: a table that matches no area stores nothing and exits non-zero."""

from __future__ import annotations

import json

import pytest

from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.indicators.models import ImportBatch, Indicator, Value
from quartier.spatial.models import Area
from tests.imports.test_saved_mappings import cli

pytestmark = pytest.mark.django_db


def stadtteil_table(tmp_path, codes) -> tuple:
    """A CSV of one count per code, and a mapping creating a new indicator for it."""
    path = tmp_path / "faelle.csv"
    path.write_text(
        "schluessel;faelle\n" + "".join(f"{c};{i + 7}\n" for i, c in enumerate(codes)),
        encoding="utf-8",
    )
    mapping = TableMapping(
        layout="wide",
        key_column="schluessel",
        level="stadtteil",
        period="2030-12-31",
        columns={"faelle": "naechtliche_faelle"},
        new_indicators=[NewIndicator(key="naechtliche_faelle", name="Fälle", unit="Fälle")],
    )
    mapping_path = tmp_path / "zuordnung.json"
    mapping_path.write_text(json.dumps(mapping.to_json()), encoding="utf-8")
    return path, mapping_path


def stored() -> tuple[int, int, int]:
    return Indicator.objects.count(), ImportBatch.objects.count(), Value.objects.count()


def test_a_table_matching_no_area_is_refused(capsys, tmp_path):
    # Codes of another level (Baublöcke) for the level Stadtteil: nothing matches.
    blocks = (
        Area.objects.filter(level__key="baublock").order_by("code").values_list("code", flat=True)
    )
    path, mapping = stadtteil_table(tmp_path, [f"X{c}" for c in blocks[:40]])
    before = stored()
    for extra in ([], ["--accept-warnings"]):
        code, out, err = cli(capsys, "import", "table", path, "--mapping", mapping, *extra)
        assert code != 0, out
        assert (
            "Kein Gebietsschlüssel der Datei passt zu einem Gebiet der Raumebene Stadtteil" in out
        )
        assert "Nichts wurde gespeichert" in out
        assert stored() == before


def test_a_table_whose_codes_match_is_imported(capsys, tmp_path):
    """The same file with real codes goes through: the refusal is about matching, not the file."""
    codes = (
        Area.objects.filter(level__key="stadtteil").order_by("code").values_list("code", flat=True)
    )
    path, mapping = stadtteil_table(tmp_path, list(codes))
    code, out, err = cli(capsys, "import", "table", path, "--mapping", mapping, "--accept-warnings")
    assert code == 0, out + err
    assert Value.objects.filter(indicator__key="naechtliche_faelle").count() == len(set(codes))


def test_the_wizard_shows_the_empty_match_as_an_error(client, users, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quartier.imports.models import ImportJob

    client.force_login(users["admin"])
    data = b"schluessel;faelle\nQ1;3\nQ2;4\nQ3;5\n"
    response = client.post("/import/tabelle/", {"dateien": SimpleUploadedFile("f.csv", data)})
    job = ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    form = {
        "layout": "wide",
        "schluessel": "schluessel",
        "ebene": "stadtteil",
        "stichtag_art": "fest",
        "stichtag": "2030",
        "spalte-1-ziel": "ew_gesamt",
    }
    client.post(f"/import/vorgang/{job.pk}/tabelle-pruefen/", form)
    report = client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert 'id="errors"' in report and "Kein Gebietsschlüssel der Datei passt" in report
    assert 'id="commit"' not in report  # errors block: no button to commit
