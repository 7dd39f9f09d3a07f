"""Big sheets are read in parts and kept as numbered cells (issue 14, point 6: ≤ 500 MB).

calamine parses a whole worksheet before it gives out a row; a sheet bigger than
``xlsxparts.PART_BYTES`` of XML is therefore handed to it in parts. These tests lower the
part size so that small files take that path, and hold it to the same table as one read.
"""

import datetime as dt
import gc
import zipfile

import numpy as np
import openpyxl
import pytest

from quartier.imports import sheets, xlsxparts
from quartier.imports.cellstore import CellBuilder, Rows, column, rows_of
from quartier.imports.tables import read_table

from .test_tables import write_xlsx


def _loaded_heights(monkeypatch) -> list[int]:
    """Rows of every sheet calamine loads from now on (it holds all of them at once)."""
    heights: list[int] = []
    load = sheets._sheet

    def counted(book, name):
        ws = load(book, name)
        heights.append(ws.height)
        return ws

    monkeypatch.setattr(sheets, "_sheet", counted)
    return heights


def _table_fields(table) -> dict:
    fields = dict(table.__dict__)
    fields["rows"] = list(table.rows)
    fields["lines"] = [table.line(i) for i in range(len(table.rows))]
    return fields


def _mixed_workbook(path):
    """Title merged over the header, data from column B, typed cells, gaps, a merge below."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Daten"
    ws["B1"] = "Einwohner nach Baublock"
    ws.merge_cells("B1:F1")
    ws.append([None, "Baublock", "Stichtag", "Einwohner", "Anteil", "geprüft"])
    for i in range(1500):
        if i % 400 == 7:
            ws.append([])  # an empty row inside the data
            continue
        ws.append(
            [None, f"{i % 300:05d}", dt.date(2020 + i // 300, 12, 31), i % 97, i / 7, i % 2 == 0]
        )
    ws.merge_cells(f"B{ws.max_row - 3}:B{ws.max_row}")  # one code for the last four rows
    other = book.create_sheet("Leer")
    other["A1"] = "nur ein Titel"
    book.save(path)
    return path


def test_a_big_sheet_reads_in_parts_as_in_one(tmp_path, monkeypatch):
    path = _mixed_workbook(tmp_path / "gross.xlsx")
    whole = read_table(path)
    heights = _loaded_heights(monkeypatch)
    monkeypatch.setattr(xlsxparts, "PART_BYTES", 20_000)
    parted = read_table(path)
    assert len(heights) > 5, heights  # several parts …
    assert max(heights) < len(whole.rows) / 4  # … none of them the whole sheet
    assert _table_fields(parted) == _table_fields(whole)
    assert parted.rows[-1][1] == parted.rows[-4][1]  # the merge below the data was read
    assert parted.rows[0] == ["", "00000", "2020-12-31", "0", "0", "WAHR"]


def test_chosen_sheet_and_sheets_without_row_numbers(tmp_path, monkeypatch):
    """Rows without r="…" (as some programs write them) are counted from each part's start."""
    rows = "".join(
        f'<row><c t="inlineStr"><is><t>{i:04d}</t></is></c><c><v>{i}</v></c></row>'
        + ("<row/>" * 99 + "<row></row>" if i % 50 == 49 else "")  # empty rows still count
        for i in range(2000)
    )
    path = tmp_path / "ohne_nummern.xlsx"
    ns = "http://schemas.openxmlformats.org/"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{ns}package/2006/content-types"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
            'worksheets/s.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>',
        )
        zf.writestr(  # as Excel writes it: the document properties first
            "_rels/.rels",
            f'<Relationships xmlns="{ns}package/2006/relationships"><Relationship Id="r2" '
            f'Type="{ns}officeDocument/2006/relationships/extended-properties" '
            'Target="docProps/app.xml"/><Relationship Id="r1" '
            f'Type="{ns}officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr("docProps/app.xml", "<Properties/>")
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{ns}spreadsheetml/2006/main" xmlns:r="{ns}officeDocument/2006/'
            'relationships"><sheets><sheet name="Werte" sheetId="1" r:id="a"/></sheets>'
            "</workbook>",
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{ns}package/2006/relationships"><Relationship Id="a" '
            f'Type="{ns}officeDocument/2006/relationships/worksheet" Target="worksheets/s.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "xl/worksheets/s.xml",
            f'<worksheet xmlns="{ns}spreadsheetml/2006/main"><sheetData><row><c t="inlineStr">'
            f'<is><t>Code</t></is></c><c t="inlineStr"><is><t>Wert</t></is></c></row>{rows}'
            "</sheetData></worksheet>",
        )
    whole = read_table(path, sheet="Werte")
    heights = _loaded_heights(monkeypatch)
    monkeypatch.setattr(xlsxparts, "PART_BYTES", 5_000)
    parted = read_table(path, sheet="werte")
    assert len(heights) > 10 and max(heights) < 500, heights
    assert _table_fields(parted) == _table_fields(whole)
    assert len(parted.rows) == 2000 and parted.rows[1999] == ["1999", "1999"]
    assert parted.line(1999) == 2001 + 100 * 39


def test_read_rows_hold_no_list_per_row(tmp_path):
    """The rows of a read table are numbered cells, made as lists only when asked for."""
    path = write_xlsx(
        tmp_path / "viele.xlsx",
        {"D": [["Gebiet", "Wert"], *([f"{i % 50:03d}", i % 7] for i in range(20_000))]},
    )
    gc.collect()
    before = sum(1 for o in gc.get_objects() if type(o) is list)
    table = read_table(path)
    gc.collect()
    after = sum(1 for o in gc.get_objects() if type(o) is list)
    assert len(table.rows) == 20_000
    assert after - before < 1_000  # the list per row took 20,000
    assert table.rows[20_000 - 1] == ["049", "0"]


def test_rows_of_a_cell_store():
    rows = rows_of([["a", "1", ""], [], ["", "", ""], ["b", "", "3"]])
    assert len(rows) == 4 and rows == [["a", "1"], [], [], ["b", "", "3"]]
    assert rows.lengths().tolist() == [2, 0, 0, 3]
    kept = rows.select(rows.lengths() > 0, width=4)
    assert kept == [["a", "1", "", ""], ["b", "", "3", ""]]
    assert kept[-1] == ["b", "", "3", ""] and kept[::2] == [["a", "1", "", ""]]
    assert column(kept, 2) == ["", "3"] and column([["x", "y"]], 1) == ["y"]
    kept[1] = ["c", "d"]  # written back (merged cells are copied this way)
    assert rows[3] == ["c", "d"] and column(kept, 0) == ["a", "c"]
    with pytest.raises(IndexError):
        kept[2]  # noqa: B018


def test_equal_texts_are_numbered_once_while_the_pool_has_room():
    builder = CellBuilder(pool=3)
    numbers = [builder.number(t) for t in ["a", "b", "a", "c", "c"]]
    assert numbers[0] == numbers[2] and numbers[3] != numbers[4]  # pool full at "c"
    builder.add(numbers)
    rows = builder.finish(leading_empty=2)
    assert rows == [[], [], ["a", "b", "a", "c", "c"]]
    assert isinstance(rows, Rows) and rows.store.cells.dtype == np.int32
