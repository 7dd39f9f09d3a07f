"""Text cells are neutralised against formula injection; numbers stay numbers."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from quartier.exports.formulas import neutralise
from quartier.exports.service import build_export
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area
from tests.exports.conftest import P24, csv_number, read_csv, refresh_caches, sheet_xml

pytestmark = pytest.mark.django_db

EVIL_NAME = '=HYPERLINK("http://example.invalid","Klick")'


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30", "'+49 30"),
        ("-Süd", "'-Süd"),
        ("@SUMME(A1)", "'@SUMME(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Altstadt", "Altstadt"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(text, safe):
    assert neutralise(text) == safe


@pytest.fixture
def planted_text(db):
    """An area name and indicator texts that a spreadsheet would run as formulas."""
    area = Area.objects.get(level__key="stadtteil", code="011", valid_to__isnull=True)
    area.name = EVIL_NAME
    area.save(update_fields=["name"])
    Area.objects.filter(level__key="stadtteil", code="012", valid_to__isnull=True).update(
        name="-Süd"
    )
    Indicator.objects.filter(key="kinderarmut").update(
        source="@SUMME(A1:A9)", description="+Beschreibung", unit="-%"
    )
    refresh_caches()


@pytest.mark.parametrize("fmt", ["csv", "csv-de"])
def test_csv_text_cells_are_neutralised(users, planted_text, fmt):
    export = build_export(users["anonymous"], ["kinderarmut"], ["stadtteil"], [P24], fmt)
    header, rows, meta = read_csv(export.content, fmt == "csv-de")
    names = {row[1]: row[2] for row in rows}
    assert names["011"] == "'" + EVIL_NAME and names["012"] == "'-Süd"
    assert header[4].endswith("(-%)")  # inside the text, harmless
    record = dict(zip(meta[-2], meta[-1], strict=True))
    assert record["Quelle"] == "'@SUMME(A1:A9)"
    assert record["Beschreibung"] == "'+Beschreibung"
    assert record["Einheit"] == "'-%"
    every_cell = [text for row in [header, *rows, *meta] for text in row]
    assert not [t for t in every_cell if t[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [t for t in every_cell if t[:1] == "-" and not _is_number(t, fmt == "csv-de")]


def _is_number(text, german):
    try:
        csv_number(text, german)
    except (ValueError, AssertionError):
        return False
    return True


def test_xlsx_text_cells_are_neutralised_and_no_cell_is_a_formula(users, planted_text):
    export = build_export(users["anonymous"], ["kinderarmut"], ["stadtteil"], [P24], "xlsx")
    assert "<f>" not in sheet_xml(export.content)
    wb = openpyxl.load_workbook(io.BytesIO(export.content))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + EVIL_NAME in texts and "'-Süd" in texts
    assert {"'@SUMME(A1:A9)", "'+Beschreibung", "'-%"} <= set(texts)
    assert not [t for t in texts if t[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_negative_numbers_stay_numbers(users, planted):
    values = planted["saldo_values"]
    negative = {code for code, v in values.items() if v < 0}
    assert len(negative) > 5
    for fmt in ("csv", "csv-de"):
        export = build_export(users["anonymous"], ["saldo_test"], ["stadtteil"], None, fmt)
        _header, rows, _meta = read_csv(export.content, fmt == "csv-de")
        shown = {row[1]: row[4] for row in rows}
        for code in negative:
            assert shown[code].startswith("-")  # not "'-": a number, not text
            assert csv_number(shown[code], fmt == "csv-de") == pytest.approx(values[code], abs=0.05)
    export = build_export(users["anonymous"], ["saldo_test"], ["stadtteil"], None, "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(export.content))["Stadtteil"]
    for code, cell in ((row[1].value, row[4]) for row in ws.iter_rows(min_row=2)):
        assert cell.data_type == "n" and cell.number_format == "#,##0.0"
        assert cell.value == pytest.approx(values[code], abs=0.05)
    assert -12.3 in {round(c.value, 1) for c in ws["E"][1:]}  # -12.345 rounded half away from 0
    doc = json.loads(
        build_export(users["anonymous"], ["saldo_test"], ["stadtteil"], None, "geojson").content
    )
    assert {f["properties"]["saldo_test"] for f in doc["features"]} >= {-12.3}
