"""Big spreadsheets are read row by row with shared cell texts (issue 14, point 6)."""

import datetime as dt
import tracemalloc

import openpyxl

from quartier.imports.tables import read_table

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
