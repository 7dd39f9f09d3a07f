"""Big spreadsheets are read row by row with shared cell texts (issue 14, point 6)."""

import datetime as dt
import json
import tracemalloc
from dataclasses import replace

import openpyxl
import pytest

from quartier.errors import QuartierError
from quartier.imports.tables import read_table
from quartier.indicators.models import ImportBatch, Indicator, Value

from .test_tables import write_xlsx


def test_xlsx_is_read_in_bounded_python_memory(tmp_path):
    """20,000 rows × 5: openpyxl's full mode peaked at 46 MB of Python objects; the
    streaming reader holds little more than the rows' pooled texts."""
    path = tmp_path / "gross.xlsx"
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("Daten")
    ws.append(["Baublock", "Stichtag", "Einwohner", "Männlich", "Weiblich"])
    for i in range(20_000):
        ws.append([f"{i % 500:05d}", dt.date(2000 + i // 500, 12, 31), i % 997, i % 491, 7])
    book.save(path)
    tracemalloc.start()
    try:
        table = read_table(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(table.rows) == 20_000
    assert table.rows[-1] == ["00499", "2039-12-31", "59", "359", "7"]
    assert peak < 12_000_000, f"{peak / 1e6:.1f} MB"
    # equal values share one string: the sheet's texts are not one object per cell
    assert table.rows[0][4] is table.rows[1][4]
    assert table.rows[0][0] is table.rows[500][0]


def test_xlsx_data_away_from_the_top_left_corner(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "D"
    ws["C3"], ws["D3"] = "Gebiet", "Wert"
    ws["C4"], ws["D4"] = "001", 5
    ws["D6"] = 7
    ws["C6"] = "002"
    book.save(tmp_path / "versetzt.xlsx")
    table = read_table(tmp_path / "versetzt.xlsx")
    # as openpyxl read it: the empty columns A and B stay, unnamed
    assert table.columns == ["Spalte 1", "Spalte 2", "Gebiet", "Wert"]
    assert table.header_row == 2
    assert table.rows == [["", "", "001", "5"], ["", "", "002", "7"]]
    assert [table.line(i) for i in range(2)] == [4, 6]


def test_xlsx_error_cells_are_empty(tmp_path):
    path = write_xlsx(tmp_path / "fehler.xlsx", {"D": [["Gebiet", "Wert"], ["001", "#DIV/0!"]]})
    assert read_table(path).rows == [["001", ""]]


# --- QUARTIER_MAX_IMPORT_ROWS -------------------------------------------------------------------


def test_max_import_rows_setting():
    from quartier.config import load_config

    assert load_config({}).max_import_rows == 1_000_000
    assert load_config({"QUARTIER_MAX_IMPORT_ROWS": "250"}).max_import_rows == 250
    with pytest.raises(QuartierError, match="QUARTIER_MAX_IMPORT_ROWS muss mindestens 1"):
        load_config({"QUARTIER_MAX_IMPORT_ROWS": "0"})


def long_table(tmp_path):
    """An XLSX of 30 Stadtteile with one count each (a mapping for a new indicator)."""
    from quartier.imports.tablemap import NewIndicator, TableMapping
    from quartier.spatial.models import Area

    codes = Area.objects.filter(level__key="stadtteil").values_list("code", flat=True)[:30]
    rows = [["Schlüssel", "Fälle"]] + [[c, i] for i, c in enumerate(codes)]
    path = write_xlsx(tmp_path / "lang.xlsx", {"Daten": rows})
    mapping = TableMapping(
        layout="wide",
        key_column="Schlüssel",
        level="stadtteil",
        period="2030-12-31",
        columns={"Fälle": "lange_faelle"},
        new_indicators=[NewIndicator(key="lange_faelle", name="Lange Fälle", unit="Fälle")],
    )
    mapping_path = tmp_path / "zuordnung.json"
    mapping_path.write_text(json.dumps(mapping.to_json()), encoding="utf-8")
    return path, mapping_path


@pytest.mark.django_db
def test_command_line_refuses_a_table_above_the_limit(capsys, settings, tmp_path):
    from tests.imports.test_saved_mappings import cli

    path, mapping = long_table(tmp_path)
    before = (Indicator.objects.count(), ImportBatch.objects.count(), Value.objects.count())
    settings.QUARTIER = replace(settings.QUARTIER, max_import_rows=20)
    code, out, err = cli(capsys, "import", "table", path, "--mapping", mapping)
    assert code != 0
    assert "mehr als 20 Datenzeilen" in out + err
    assert "QUARTIER_MAX_IMPORT_ROWS" in out + err
    assert (Indicator.objects.count(), ImportBatch.objects.count(), Value.objects.count()) == before
    settings.QUARTIER = replace(settings.QUARTIER, max_import_rows=30)  # exactly the limit
    code, out, err = cli(capsys, "import", "table", path, "--mapping", mapping, "--accept-warnings")
    assert code == 0, out + err
    assert Value.objects.filter(indicator__key="lange_faelle").count() == 30


@pytest.mark.django_db
def test_wizard_refuses_a_table_above_the_limit(client, users, settings, tmp_path):
    from tests.imports.test_wizard import upload

    path, _mapping = long_table(tmp_path)
    settings.QUARTIER = replace(settings.QUARTIER, max_import_rows=20)
    client.force_login(users["admin"])
    response = upload(client, "table", ("lang.xlsx", path.read_bytes()))
    page = response.content.decode()
    assert response.status_code == 200
    assert "mehr als 20 Datenzeilen" in page
    assert ImportBatch.objects.count() == 1  # only the demo batch


def test_long_rows_of_a_big_table_share_their_parsed_cells():
    """60,000 values: per-value dataclasses and cells took 17 MB; now about 7 MB."""
    from quartier.imports.tablemap import TableMapping, to_long
    from quartier.imports.tables import RawTable

    rows = [
        [f"{i % 500:05d}", f"{2000 + i // 500}-12-31", str(i % 997), str(i % 491), "7"]
        for i in range(20_000)
    ]
    table = RawTable(["k", "p", "a", "b", "c"], rows, 0, "csv", None, ";", ",", ".", None, [], [])
    mapping = TableMapping(
        layout="wide", key_column="k", period_column="p", columns={"a": "x", "b": "y", "c": "z"}
    )
    tracemalloc.start()
    try:
        long_rows, problems = to_long(table, mapping)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problems == [] and len(long_rows) == 60_000
    last = long_rows[-1]
    assert (last.line, last.code, last.indicator, last.period, last.column) == (
        20_001,
        "00499",
        "z",
        dt.date(2039, 12, 31),
        "c",
    )
    assert last.cell.value == 7 and long_rows[2].cell is last.cell
    assert long_rows[0].period is long_rows[1497].period  # 31.12.2000 parsed once
    assert peak < 11_000_000, f"{peak / 1e6:.1f} MB"
