"""The smaller points of a table import (issue 14, point 7): row numbers of duplicates,
grouped and foldable findings, counts previewed without decimals, the visibility of new
indicators, local times of batches, and "k. A." as its own symbol.
"""

import json
import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quartier.cli import main
from quartier.errors import QuartierError
from quartier.imports.models import ImportJob
from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.imports.tables import read_table
from quartier.imports.values_import import check_table, commit_table
from quartier.indicators.models import ImportBatch, Indicator
from tests.imports.test_values_import import blocks, existing, mss
from tests.test_accessibility import check as check_accessible

pytestmark = pytest.mark.django_db


def write_csv(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- a) duplicates name the file's row numbers ----------------------------------------------


def test_duplicate_rows_name_the_rows_of_the_file(tmp_path):
    """Row numbers count every row of the file from 1, title, header and blank rows included."""
    a, b, _c = blocks()
    path = write_csv(
        tmp_path / "doppelt.csv",
        [
            "Tabelle 1: Arbeitslose 2030",  # row 1
            "",  # row 2
            "Baublock;Arbeitslose",  # row 3: the header
            f"{a};5",  # row 4
            f"{b};6",  # row 5
            "",  # row 6: a blank row in the data
            f"{a};7",  # row 7: the same cell as row 4
            f"{b};abc",  # row 8
        ],
    )
    table = read_table(path)
    assert [table.line(i) for i in range(len(table.rows))] == [4, 5, 7, 8]
    report, _rows = check_table(table, existing({"Arbeitslose": "arbeitslose"}))
    duplicate = next(e for e in report.errors if e.startswith("Doppelte"))
    assert f"Gebiet {a} / 31.12.2030: Zeilen 4 und 7" in duplicate
    assert any("Zeile 8, Spalte „Arbeitslose“" in e for e in report.errors)  # the same count


def test_duplicate_rows_of_a_spreadsheet_count_its_empty_first_rows(tmp_path):
    import openpyxl

    a, b, _c = blocks()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A2"] = "Arbeitslose je Baublock"  # row 1 stays empty
    sheet.append([])  # row 3
    for row in (["Baublock", "Arbeitslose"], [a, 5], [b, 6], [], [a, 7]):  # rows 4-8
        sheet.append(row)
    book.save(tmp_path / "doppelt.xlsx")
    report, _rows = check_table(
        read_table(tmp_path / "doppelt.xlsx"), existing({"Arbeitslose": "arbeitslose"})
    )
    assert any(f"Gebiet {a} / 31.12.2030: Zeilen 5 und 8" in e for e in report.errors)


def test_a_value_twice_in_one_row_names_the_columns():
    a, _b, _c = blocks()
    table = mss(["x", "y"], [[a, "1", "2"]])
    report, _rows = check_table(table, existing({"x": "arbeitslose", "y": "arbeitslose"}))
    assert any("Zeile 2, Spalte „x“ und Zeile 2, Spalte „y“" in e for e in report.errors)


# --- f) "k. A." is its own symbol ----------------------------------------------------------


def test_keine_angabe_is_listed_as_its_own_symbol():
    a, b, c = blocks()
    d = blocks(4)[3]
    rows = [[a, "."], [b, "k.A."], [c, "k. A."], [d, "/"]]
    report, stored = check_table(mss(["x"], rows), existing({"x": "arbeitslose"}))
    assert {row[4] for row in stored} == {"."}  # all stored as unknown, as before
    notes = " ".join(report.notes)
    assert "1 × Zeichen „.“" in notes
    assert "2 × „k. A.“ (keine Angabe) übernommen" in notes
    assert "1 × „/“ (Zahlenwert nicht sicher genug)" in notes
    assert [row["zeichen"] for row in report.preview] == ["", "k. A.", "k. A.", "/"]


# --- b) findings grouped and foldable; c) counts without decimals; d) visibility -----------


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["admin"])
    return client


UNKNOWN = [f"U{n:04d}" for n in range(1, 61)]  # 60 codes no level knows


def upload_table(client, tmp_path) -> ImportJob:
    a, b, _c = blocks()
    lines = ["Baublock;Arbeitslose;Quote", f"{a};1.234;12,5", f"{b};7;7"]
    lines += [f"{code};1;1" for code in UNKNOWN]
    path = write_csv(tmp_path / "tabelle.csv", lines)
    response = client.post(
        "/import/tabelle/", {"dateien": [SimpleUploadedFile(path.name, path.read_bytes())]}
    )
    assert response.status_code == 302, response.content.decode()[:300]
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def check_form(**extra) -> dict:
    return {
        "layout": "wide",
        "schluessel": "Baublock",
        "ebene": "baublock",
        "stichtag_art": "fest",
        "stichtag": "2030",
        "spalte-1-ziel": "arbeitslose",
        "spalte-2-ziel": "neu:rate",
        "spalte-2-name": "Testquote",
        "spalte-2-einheit": "%",
        **extra,
    }


def test_wizard_groups_long_findings_and_previews_counts_without_decimals(admin_client, tmp_path):
    job = upload_table(admin_client, tmp_path)
    response = admin_client.post(f"/import/vorgang/{job.pk}/tabelle-pruefen/", check_form())
    assert response.status_code == 302
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    # one foldable group per kind, with its count; 50 examples, the rest counted
    group = re.search(
        r"<details><summary>Unbekannte Gebietsschlüssel \(Zeilen werden übersprungen\): 60"
        r"</summary>(.*?)</details>",
        page,
        re.S,
    )
    assert group, page[page.find('id="warnings"') :][:800]
    assert group.group(1).count("<li>") == 51 and "… und 10 weitere" in group.group(1)
    assert "<summary>Gebiete der Ebene Baublock ohne Werte: " in page
    check_accessible(page, "report")
    # the preview: a count without decimals, rates with theirs
    preview = page[page.index('id="preview"') :]
    cells = re.findall(r'<td class="num">([^<]*)</td>', preview)
    assert cells == ["1.234", "12,5", "7", "7,0"]


def test_small_groups_stay_unfolded(admin_client, tmp_path):
    a, b, _c = blocks()
    path = write_csv(tmp_path / "klein.csv", ["Baublock;Arbeitslose", f"{a};1", "U1;2", "U2;3"])
    response = admin_client.post(
        "/import/tabelle/", {"dateien": [SimpleUploadedFile(path.name, path.read_bytes())]}
    )
    job = ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    form = {k: v for k, v in check_form().items() if not k.startswith("spalte-2")}
    admin_client.post(f"/import/vorgang/{job.pk}/tabelle-pruefen/", form)
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "<details open><summary>Unbekannte Gebietsschlüssel" in page


def test_visibility_of_new_indicators_is_asked_in_the_wizard(admin_client, tmp_path):
    job = upload_table(admin_client, tmp_path)
    page = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    fieldset = page[page.index('<fieldset id="sichtbarkeit">') :]
    fieldset = fieldset[: fieldset.index("</fieldset>")]
    assert re.search(r'value="internal" aria-describedby="[^"]+" checked', fieldset)  # default
    for label, sentence in (
        ("intern (Standard)", "Alle angemeldeten Personen sehen die Werte"),
        ("öffentlich", "auch ohne Anmeldung im öffentlichen Portal"),
        ("eingeschränkt", "Nur Ihre Organisationseinheit und die Administration"),
    ):
        assert f">{label}</label>" in fieldset and sentence in fieldset
    admin_client.post(
        f"/import/vorgang/{job.pk}/tabelle-pruefen/", check_form(sichtbarkeit="public")
    )
    report = admin_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert "<li>Neu angelegt, Sichtbarkeit „öffentlich“: Testquote</li>" in report
    admin_client.post(f"/import/vorgang/{job.pk}/uebernehmen/", {"warnungen_akzeptiert": "ja"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert Indicator.objects.get(name="Testquote").visibility == "public"
    mapping = admin_client.get(f"/import/vorgang/{job.pk}/zuordnung.json").json()
    assert mapping["new_indicators"][0]["visibility"] == "public"  # reused by the CLI


def test_new_indicators_are_internal_unless_the_mapping_says_otherwise():
    a, _b, _c = blocks()

    def mapping(**visibility) -> TableMapping:
        return TableMapping.from_json(
            existing(
                {"x": "neu_x"},
                new_indicators=[NewIndicator(key="neu_x", name="Neu X", **visibility)],
            ).to_json()
        )

    assert mapping().new_indicators[0].visibility == "internal"
    assert mapping(visibility="eingeschränkt").new_indicators[0].visibility == "restricted"
    with pytest.raises(QuartierError, match="Unbekannte Sichtbarkeit „geheim“"):
        mapping(visibility="geheim")
    commit_table(
        mss(["x"], [[a, "3"]]),
        mapping(visibility="öffentlich"),
        source_name="t",
        sha256="",
        accept_warnings=True,
    )
    assert Indicator.objects.get(key="neu_x").visibility == "public"


def cli_mapping(tmp_path, **visibility) -> str:
    data = existing({"Arbeitslose": "arbeitslose", "Quote": "cli_quote"}).to_json()
    data["new_indicators"] = [
        {"key": "cli_quote", "name": "CLI-Quote", "unit": "%", "kind": "rate", **visibility}
    ]
    path = tmp_path / "zuordnung.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_the_command_line_groups_findings_and_sets_visibility(tmp_path, capsys):
    a, b, _c = blocks()
    lines = ["Baublock;Arbeitslose;Quote", f"{a};3;12,5", f"{b};4;7"]
    csv = write_csv(tmp_path / "t.csv", lines + [f"{code};1;1" for code in UNKNOWN])
    mapping = cli_mapping(tmp_path, visibility="restricted")
    assert main(["import", "table", str(csv), "--mapping", mapping, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  - Unbekannte Gebietsschlüssel (Zeilen werden übersprungen): 60\n" in out
    assert "      „U0001“" in out and "      „U0006“" not in out  # five examples
    assert "      … und 55 weitere\n" in out
    assert "  - Neu angelegt, Sichtbarkeit „eingeschränkt“: CLI-Quote\n" in out
    assert main(["import", "table", str(csv), "--mapping", mapping, "--accept-warnings"]) == 0
    assert Indicator.objects.get(key="cli_quote").visibility == "restricted"


# --- e) the same local time in `quartier batches` and /import/laeufe/ ------------------------


@pytest.mark.parametrize(
    "utc, local", [((2024, 1, 15, 12, 0), "13:00 CET"), ((2024, 7, 15, 12, 0), "14:00 CEST")]
)
def test_batches_show_local_time_on_the_web_and_the_command_line(admin_client, capsys, utc, local):
    from quartier.indicators.batches import create_batch

    batch = create_batch("zeit.csv")
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=datetime(*utc, tzinfo=UTC))
    assert main(["batches"]) == 0
    lines = capsys.readouterr().out.splitlines()
    line = next(x for x in lines if x.split()[0] == str(batch.pk))
    assert f"{utc[0]}-{utc[1]:02d}-15 {local}" in line
    page = admin_client.get("/import/laeufe/").content.decode()
    assert f"15.{utc[1]:02d}.{utc[0]} {local}" in page
    detail = admin_client.get(f"/import/laeufe/{batch.pk}/").content.decode()
    assert f"15.{utc[1]:02d}.{utc[0]} {local}" in detail


# --- geometry findings are grouped by kind too -------------------------------------------


def test_geometry_findings_are_grouped_by_kind():
    from quartier.imports.findings import group_geometry

    findings = [
        {
            "severity": "warning",
            "code": str(n),
            "message": f"Geometrie von {n} …",
            "kind": "repaired",
        }
        for n in range(12)
    ]
    findings.insert(3, {"severity": "warning", "code": None, "message": "Einzeln.", "kind": ""})
    groups = group_geometry(findings)
    assert [(g["title"], g["count"], g["open"]) for g in groups] == [
        ("Ungültige Geometrien, repariert", 12, False),
        ("Einzeln.", 1, True),
    ]
    assert groups[0]["items"][0] == "Geometrie von 0 …" and groups[0]["severity"] == "warning"
