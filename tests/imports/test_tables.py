import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from quartier.errors import QuartierError
from quartier.imports import sniffing
from quartier.imports.cells import parse_cell, parse_column
from quartier.imports.tables import list_sheets, read_table, sniff_format

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
COVERED = object()  # marks a covered cell of a merged range in write_ods


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] = None):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
    book.save(path)
    return path


def write_ods(path: Path, sheets: dict[str, list[list]], spans=None, trailing_rows=0):
    """An ODS file; spans maps (sheet, row, col) to (rows, cols) of a merged cell."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for r, row in enumerate(rows):
            element = TableRow()
            for c, value in enumerate(row):
                if value is COVERED:
                    element.addElement(CoveredTableCell())
                    continue
                extra = {}
                if spans and (name, r, c) in spans:
                    down, across = spans[(name, r, c)]
                    extra = {"numberrowsspanned": down, "numbercolumnsspanned": across}
                if value is None:
                    cell = TableCell(**extra)
                elif isinstance(value, dt.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat(), **extra)
                    cell.addElement(P(text=value.strftime("%d.%m.%Y")))
                elif isinstance(value, int | float):
                    cell = TableCell(valuetype="float", value=value, **extra)
                    cell.addElement(P(text=str(value).replace(".", ",")))
                else:
                    cell = TableCell(valuetype="string", **extra)
                    cell.addElement(P(text=value))
                element.addElement(cell)
            table.addElement(element)
        if trailing_rows:  # as LibreOffice writes formatted but empty rows down to row 1048576
            element = TableRow(numberrowsrepeated=trailing_rows)
            element.addElement(TableCell(numbercolumnsrepeated=1024))
            table.addElement(element)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


# --- CSV ------------------------------------------------------------------------------------


def test_semicolon_csv_with_decimal_comma(tmp_path):
    path = write(tmp_path, "ew.csv", "Stadtteil;Einwohner;Anteil\n001;1.234;12,5\n002;987;3,25\n")
    table = read_table(path)
    assert table.file_format == "csv"
    assert table.delimiter == ";"
    assert table.encoding == "utf-8"
    assert table.columns == ["Stadtteil", "Einwohner", "Anteil"]
    assert table.rows == [["001", "1.234", "12,5"], ["002", "987", "3,25"]]
    assert (table.decimal, table.thousands) == (",", ".")
    assert table.header_row == 0
    assert table.sheets == [] and table.sheet is None
    assert parse_cell(table.rows[0][1], table.decimal, table.thousands).value == 1234.0


def test_utf8_with_bom(tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeffGebiet;Wert\nMitte;1\n")
    table = read_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.columns == ["Gebiet", "Wert"]  # no BOM glued to the first name


def test_windows_1252_with_umlauts(tmp_path):
    text = "Stadtteil;Bevölkerung\nKöln-Mülheim;12\nÖstliche Straße;3\n"
    path = write(tmp_path, "alt.csv", text, encoding="cp1252")
    table = read_table(path)
    assert table.encoding == "cp1252"
    assert table.columns == ["Stadtteil", "Bevölkerung"]
    assert table.rows[0][0] == "Köln-Mülheim" and table.rows[1][0] == "Östliche Straße"
    assert "Zeichenkodierung Windows-1252 erkannt." in table.notes


def test_utf8_umlauts_are_not_mistaken_for_windows_1252(tmp_path):
    path = write(tmp_path, "neu.csv", "Stadtteil;Wert\nKöln;1\n")
    table = read_table(path)
    assert table.encoding == "utf-8" and table.rows[0][0] == "Köln"
    assert not any("1252" in note for note in table.notes)


def test_comma_csv_with_decimal_point_and_quoted_commas(tmp_path):
    text = 'Name,Wert,Quote\n"Müller, Hans",1234.5,0.25\n"A ""B"" C",7,1.5\n'
    table = read_table(write(tmp_path, "en.csv", text))
    assert table.delimiter == ","
    assert table.rows == [["Müller, Hans", "1234.5", "0.25"], ['A "B" C', "7", "1.5"]]
    assert (table.decimal, table.thousands) == (".", None)


def test_quoted_delimiters_do_not_confuse_delimiter_detection(tmp_path):
    text = 'Name;Wert\n"a;b;c";1\n"d;e;f";2\n"g;h";3\n'
    table = read_table(write(tmp_path, "q.csv", text))
    assert table.delimiter == ";"
    assert table.rows[0] == ["a;b;c", "1"]


@pytest.mark.parametrize("delimiter", ["\t", "|"])
def test_tab_and_pipe_delimiters(tmp_path, delimiter):
    text = delimiter.join(["Gebiet", "Jahr", "Wert"]) + "\n" + delimiter.join(["01", "2023", "5"])
    table = read_table(write(tmp_path, "t.csv", text + "\n"))
    assert table.delimiter == delimiter
    assert table.columns == ["Gebiet", "Jahr", "Wert"]
    assert table.rows == [["01", "2023", "5"]]


def test_explicit_delimiter_and_encoding_win(tmp_path):
    path = write(tmp_path, "x.csv", "a,b;c\n1,2;3\n", encoding="cp1252")
    table = read_table(path, delimiter=";", encoding="cp1252")
    assert table.columns == ["a,b", "c"] and table.encoding == "cp1252"


def test_crlf_and_trailing_delimiter(tmp_path):
    path = write(tmp_path, "crlf.csv", "Gebiet;Wert;\r\nA;1;\r\nB;2;\r\n")
    table = read_table(path)
    assert table.columns == ["Gebiet", "Wert"]  # the trailing ";" adds no column
    assert table.rows == [["A", "1"], ["B", "2"]]


def test_title_lines_above_the_header_are_skipped(tmp_path):
    text = (
        "Einwohner nach Stadtteilen 2023\n"
        "\n"
        "Stadtteil;Einwohner;Fläche\n"
        "Mitte;1.234;2,5\n"
        "Nord;567;3,75\n"
        ";;\n"
        "Süd;89;1,0\n"
    )
    table = read_table(write(tmp_path, "titel.csv", text))
    assert table.header_row == 2
    assert table.columns == ["Stadtteil", "Einwohner", "Fläche"]
    assert [row[0] for row in table.rows] == ["Mitte", "Nord", "Süd"]  # empty row dropped
    assert any("Kopfzeile in Zeile 3 erkannt" in note for note in table.notes)


def test_two_cell_title_directly_above_the_header(tmp_path):
    text = "Tabelle 1;Einwohner\nStadtteil;EW;Fläche\nA;1;2\nB;3;4\n"
    table = read_table(write(tmp_path, "titel2.csv", text))
    assert table.header_row == 1
    assert table.columns == ["Stadtteil", "EW", "Fläche"]


def test_text_only_table_is_not_mistaken_for_a_two_row_header(tmp_path):
    text = "Gebiet;Name;Typ\nA;Mitte;Stadtteil\nB;Nord;Stadtteil\n"
    table = read_table(write(tmp_path, "text.csv", text))
    assert table.columns == ["Gebiet", "Name", "Typ"]
    assert len(table.rows) == 2


def test_header_of_years_is_still_the_header(tmp_path):
    text = "Quelle: Amt für Statistik\nStadtteil;2021;2022;2023\nMitte;1;2;3\nNord;4;5;6\n"
    table = read_table(write(tmp_path, "jahre.csv", text))
    assert table.header_row == 1
    assert table.columns == ["Stadtteil", "2021", "2022", "2023"]


def test_explicit_header_row(tmp_path):
    path = write(tmp_path, "h.csv", "a;b\nx;y\n1;2\n")
    table = read_table(path, header_row=1)
    assert table.header_row == 1 and table.columns == ["x", "y"] and table.rows == [["1", "2"]]
    with pytest.raises(QuartierError, match="Kopfzeile 10 gibt es nicht"):
        read_table(path, header_row=9)


def test_ids_keep_leading_zeros(tmp_path):
    table = read_table(write(tmp_path, "ids.csv", "Schlüssel;Wert\n001;5\n0815;6\n"))
    assert [row[0] for row in table.rows] == ["001", "0815"]


def test_more_cells_than_header_become_named_columns(tmp_path):
    text = "id,wert\n01,5,50.0,1.5\n02,6,60.0,2.5\n"
    table = read_table(write(tmp_path, "mehr.csv", text))
    assert table.columns == ["id", "wert", "Spalte 3", "Spalte 4"]
    assert table.rows[0] == ["01", "5", "50.0", "1.5"]
    assert any("mehr Werte als die Kopfzeile" in note for note in table.notes)


def test_empty_and_duplicate_header_names(tmp_path):
    text = "Gebiet;;Wert;Wert\nA;x;1;2\nB;y;3\n"
    table = read_table(write(tmp_path, "namen.csv", text))
    assert table.columns == ["Gebiet", "Spalte 2", "Wert", "Wert (2)"]
    assert table.rows[1] == ["B", "y", "3", ""]  # short rows are padded
    assert any("Spalte 2" in note for note in table.notes)
    assert any("Wert (2)" in note for note in table.notes)


def test_two_row_header_in_csv_is_combined(tmp_path):
    text = (
        "Stadtteil;Altersgruppen;;;Insgesamt\n"
        ";unter 6;6 bis 15;15 und älter;\n"
        "Mitte;10;20;30;60\n"
        "Nord;1;2;3;6\n"
    )
    table = read_table(write(tmp_path, "zwei.csv", text))
    assert table.columns == [
        "Stadtteil",
        "Altersgruppen – unter 6",
        "Altersgruppen – 6 bis 15",
        "Altersgruppen – 15 und älter",
        "Insgesamt",
    ]
    assert table.header_row == 0
    assert table.rows[0] == ["Mitte", "10", "20", "30", "60"]
    assert any("zwei Zeilen" in note for note in table.notes)


def test_ambiguous_thousands_in_semicolon_csv_are_german(tmp_path):
    table = read_table(write(tmp_path, "tsd.csv", "Gebiet;Einwohner\nA;12.345\nB;1.001\nC;17\n"))
    assert (table.decimal, table.thousands) == (",", ".")
    assert parse_cell(table.rows[0][1], table.decimal, table.thousands).value == 12345.0


def test_ambiguous_dots_in_comma_csv_are_decimals(tmp_path):
    table = read_table(write(tmp_path, "dez.csv", "Gebiet,Quote\nA,12.345\nB,1.001\n"))
    assert (table.decimal, table.thousands) == (".", None)


def test_excel_sep_line(tmp_path):
    table = read_table(write(tmp_path, "sep.csv", "sep=|\nGebiet|Wert\nA|1,5\n"))
    assert table.delimiter == "|"
    assert table.columns == ["Gebiet", "Wert"] and table.header_row == 1


def test_utf16_unicode_text_from_excel(tmp_path):
    path = write(tmp_path, "unicode.txt", "Gebiet\tWert\nKöln\t1,5\n", encoding="utf-16")
    table = read_table(path)
    assert table.encoding == "utf-16" and table.delimiter == "\t"
    assert table.rows == [["Köln", "1,5"]]


def test_statistics_symbols_and_sentinels_survive_reading(tmp_path):
    text = "Gebiet;Wert\nA;.\nB;-\nC;x\nD;-9999\nE;12,5p\nF;…\n"
    table = read_table(write(tmp_path, "sym.csv", text))
    cells = parse_column([row[1] for row in table.rows], table.decimal, table.thousands)
    assert [c.flag for c in cells] == [".", "-", "x", "sentinel", "p", "..."]
    assert cells[1].value == 0.0 and cells[4].value == 12.5


def test_row_limit(tmp_path):
    text = "Gebiet;Wert\n" + "".join(f"{i};{i}\n" for i in range(30))
    path = write(tmp_path, "lang.csv", text)
    assert len(read_table(path, max_rows=30).rows) == 30
    with pytest.raises(QuartierError, match="mehr als 10 Datenzeilen"):
        read_table(path, max_rows=10)


def test_column_limit(tmp_path):
    header = ";".join(f"S{i}" for i in range(501))
    path = write(tmp_path, "breit.csv", header + "\n" + ";".join("1" * 501) + "\n")
    with pytest.raises(QuartierError, match="mehr als 500 Spalten"):
        read_table(path)


def test_header_without_data(tmp_path):
    with pytest.raises(QuartierError, match="keine Daten"):
        read_table(write(tmp_path, "kopf.csv", "Gebiet;Wert\n"))


def test_only_delimiters_is_no_data(tmp_path):
    with pytest.raises(QuartierError, match="enthält keine Daten"):
        read_table(write(tmp_path, "leer.csv", ";;;\n;;;\n"))


def test_wrong_explicit_encoding(tmp_path):
    path = write(tmp_path, "x.csv", "Gebiet;Wert\nKöln;1\n", encoding="cp1252")
    with pytest.raises(QuartierError, match="nicht in der Zeichenkodierung „utf-8“"):
        read_table(path, encoding="utf-8")
    with pytest.raises(QuartierError, match="unbekannt"):
        read_table(path, encoding="klingonisch")


def test_undecodable_bytes(tmp_path):
    # 0x81 and 0x8d are neither UTF-8 here nor defined in Windows-1252
    path = write(tmp_path, "kaputt.csv", b"Gebiet;Wert\nA\x81\x8d;1\n")
    with pytest.raises(QuartierError, match="Zeichenkodierung der Datei ist nicht erkennbar"):
        read_table(path)


def test_unclosed_quote_is_reported_not_swallowed(tmp_path):
    path = write(tmp_path, "quote.csv", 'Gebiet;Wert\nA;"1\nB;2\nC;3\n')
    with pytest.raises(QuartierError, match="Anführungszeichen"):
        read_table(path)


def test_bad_explicit_delimiter(tmp_path):
    with pytest.raises(QuartierError, match="kein gültiges Trennzeichen"):
        read_table(write(tmp_path, "x.csv", "a;b\n1;2\n"), delimiter=";;")


# --- refused files ----------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \r\n\t\n", b"\xef\xbb\xbf"])
def test_empty_files(tmp_path, content):
    path = write(tmp_path, "leer.csv", content)
    with pytest.raises(QuartierError, match="ist leer"):
        read_table(path)


def test_binary_junk_named_csv(tmp_path):
    junk = bytes(range(256)) * 40
    with pytest.raises(QuartierError, match="keine Textdatei"):
        read_table(write(tmp_path, "daten.csv", junk))


def test_png_named_csv(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(100)
    with pytest.raises(QuartierError, match="ein Bild"):
        sniff_format(write(tmp_path, "bild.csv", png))


def test_legacy_xls(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "Workbook".encode("utf-16-le")
    with pytest.raises(QuartierError, match=r"\.xls\).*\.xlsx"):
        read_table(write(tmp_path, "alt.xls", ole))


def test_password_protected_xlsx(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(QuartierError, match="Passwort"):
        read_table(write(tmp_path, "geheim.xlsx", ole))


def test_truncated_xlsx(tmp_path):
    full = write_xlsx(tmp_path / "voll.xlsx", {"Daten": [["Gebiet", "Wert"], ["A", 1]]})
    data = full.read_bytes()
    path = write(tmp_path, "kaputt.xlsx", data[: len(data) // 2])
    with pytest.raises(QuartierError, match="Die Excel-Datei ist beschädigt"):
        read_table(path)


def test_xlsx_with_corrupt_part(tmp_path):
    path = tmp_path / "teil.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "das ist kein XML <<<")
    with pytest.raises(QuartierError, match="Die Excel-Datei ist beschädigt"):
        read_table(path)


def test_zip_without_table(tmp_path):
    path = tmp_path / "archiv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("liesmich.txt", "hallo")
    with pytest.raises(QuartierError, match="ZIP-Archiv ohne Tabelle"):
        sniff_format(path)


def test_unzipped_size_limit(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "gross.xlsx", {"Daten": [["Gebiet", "Wert"], ["A", 1]]})
    monkeypatch.setattr(sniffing, "MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(QuartierError, match="größer als 500 MB"):
        read_table(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("<html><body><table><tr><td>1</td></tr></table></body></html>", "Webseite"),
        ('{"type": "FeatureCollection"}', "JSON"),
    ],
)
def test_text_that_is_not_a_table(tmp_path, content, match):
    with pytest.raises(QuartierError, match=match):
        read_table(write(tmp_path, "tabelle.xls", content))


def test_format_comes_from_content_not_name(tmp_path):
    xlsx = write_xlsx(tmp_path / "a.xlsx", {"Daten": [["a"], [1]]})
    renamed = write(tmp_path, "eigentlich.csv", xlsx.read_bytes())
    assert sniff_format(renamed) == "xlsx"
    assert sniff_format(write(tmp_path, "text.xlsx", "a;b\n1;2\n")) == "csv"
    ods = write_ods(tmp_path / "b.ods", {"Blatt": [["a"], [1]]})
    assert sniff_format(ods, original_name="upload.bin") == "ods"


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_values_become_lossless_text(tmp_path):
    rows = [
        ["Schlüssel", "Anzahl", "Quote", "Klein", "Stichtag", "Zeit"],
        ["001", 12, 1234.5, 0.00001, dt.datetime(2023, 12, 31), dt.datetime(2024, 1, 2, 8, 30)],
        ["002", 12.0, 0.1, None, dt.date(2024, 6, 30), None],
    ]
    table = read_table(write_xlsx(tmp_path / "werte.xlsx", {"Daten": rows}))
    assert table.file_format == "xlsx" and table.encoding is None and table.delimiter is None
    assert table.rows[0] == ["001", "12", "1234.5", "1e-05", "2023-12-31", "2024-01-02 08:30:00"]
    assert table.rows[1] == ["002", "12", "0.1", "", "2024-06-30", ""]
    assert table.decimal == "."
    assert parse_cell(table.rows[0][3], table.decimal, table.thousands).value == 1e-05


def test_xlsx_text_cells_stay_as_typed(tmp_path):
    table = read_table(write_xlsx(tmp_path / "t.xlsx", {"D": [["id", "w"], ["0815", "12,5"]]}))
    assert table.rows == [["0815", "12,5"]]


def test_xlsx_merged_two_row_header(tmp_path):
    rows = [
        ["Einwohner nach Altersgruppen 2023", None, None, None, None],
        [None] * 5,
        ["Stadtteil", "Altersgruppen", None, None, "Insgesamt"],
        [None, "unter 6", "6 bis 15", "15 und älter", None],
        ["001", 10, 20, 30, 60],
        ["002", 1, 2, 3, 6],
    ]
    merges = ["A1:E1", "A3:A4", "B3:D3", "E3:E4"]
    path = write_xlsx(tmp_path / "merged.xlsx", {"Tabelle1": rows}, {"Tabelle1": merges})
    table = read_table(path)
    assert table.columns == [
        "Stadtteil",
        "Altersgruppen – unter 6",
        "Altersgruppen – 6 bis 15",
        "Altersgruppen – 15 und älter",
        "Insgesamt",
    ]
    assert table.header_row == 2
    assert table.rows == [["001", "10", "20", "30", "60"], ["002", "1", "2", "3", "6"]]
    assert any("zwei Zeilen (3 und 4)" in note for note in table.notes)
    assert any("Verbundene Zellen der Kopfzeile" in note for note in table.notes)


def test_xlsx_vertically_merged_header_is_one_header(tmp_path):
    rows = [["Gebiet", "Wert"], [None, None], ["A", 1], ["B", 2]]
    path = write_xlsx(tmp_path / "v.xlsx", {"D": rows}, {"D": ["A1:A2", "B1:B2"]})
    table = read_table(path)
    assert table.columns == ["Gebiet", "Wert"]
    assert table.rows == [["A", "1"], ["B", "2"]]


def test_xlsx_merged_header_without_sub_headers(tmp_path):
    rows = [["Gebiet", "Wert", None], ["A", 1, 2], ["B", 3, 4]]
    path = write_xlsx(tmp_path / "h.xlsx", {"D": rows}, {"D": ["B1:C1"]})
    table = read_table(path)
    assert table.columns == ["Gebiet", "Wert", "Wert (2)"]
    assert table.rows == [["A", "1", "2"], ["B", "3", "4"]]


def test_xlsx_merged_cells_in_data_are_filled(tmp_path):
    rows = [["Bezirk", "Stadtteil", "Wert"], ["Mitte", "A", 1], [None, "B", 2]]
    path = write_xlsx(tmp_path / "d.xlsx", {"D": rows}, {"D": ["A2:A3"]})
    table = read_table(path)
    assert table.rows == [["Mitte", "A", "1"], ["Mitte", "B", "2"]]
    assert any("Datenbereich" in note for note in table.notes)


def test_xlsx_sheet_choice(tmp_path):
    sheets = {"Deckblatt": [], "Daten": [["Gebiet", "Wert"], ["A", 1]], "Mehr": [["x"], [2]]}
    path = write_xlsx(tmp_path / "blaetter.xlsx", sheets)
    assert list_sheets(path) == ["Deckblatt", "Daten", "Mehr"]
    table = read_table(path)  # the first sheet with data
    assert table.sheet == "Daten" and table.sheets == ["Deckblatt", "Daten", "Mehr"]
    assert read_table(path, sheet="mehr").columns == ["x"]  # case does not matter
    with pytest.raises(QuartierError, match="„Gibtsnicht“ gibt es nicht.*„Daten“"):
        read_table(path, sheet="Gibtsnicht")


def test_xlsx_without_any_data(tmp_path):
    path = write_xlsx(tmp_path / "leer.xlsx", {"A": [], "B": []})
    with pytest.raises(QuartierError, match="kein Tabellenblatt mit Daten"):
        read_table(path)


def test_xlsx_row_limit(tmp_path):
    rows = [["Gebiet", "Wert"]] + [[f"{i:03d}", i] for i in range(50)]
    path = write_xlsx(tmp_path / "lang.xlsx", {"D": rows})
    with pytest.raises(QuartierError, match="mehr als 5 Datenzeilen"):
        read_table(path, max_rows=5)


# --- ODS --------------------------------------------------------------------------------------


def test_ods_values_and_title_line(tmp_path):
    sheets = {
        "Leer": [],
        "Einwohner": [
            ["Einwohner 2023"],
            [],
            ["Schlüssel", "Stadtteil", "Einwohner", "Quote", "Stichtag"],
            ["001", "Innenstadt  Nord", 1234, 12.5, dt.date(2023, 12, 31)],
            ["002", "Süd", 99, 0.1, dt.date(2023, 12, 31)],
        ],
    }
    path = write_ods(tmp_path / "ew.ods", sheets, trailing_rows=1_048_000)
    assert list_sheets(path) == ["Leer", "Einwohner"]
    table = read_table(path)
    assert table.file_format == "ods" and table.sheet == "Einwohner"
    assert table.header_row == 2
    assert table.columns == ["Schlüssel", "Stadtteil", "Einwohner", "Quote", "Stichtag"]
    assert table.rows == [
        ["001", "Innenstadt  Nord", "1234", "12.5", "2023-12-31"],
        ["002", "Süd", "99", "0.1", "2023-12-31"],
    ]
    assert table.decimal == "."


def test_ods_merged_two_row_header(tmp_path):
    rows = [
        ["Stadtteil", "Altersgruppen", COVERED, "Insgesamt"],
        [COVERED, "unter 18", "ab 18", COVERED],
        ["A", 1, 2, 3],
        ["B", 4, 5, 9],
    ]
    spans = {("T", 0, 0): (2, 1), ("T", 0, 1): (1, 2), ("T", 0, 3): (2, 1)}
    table = read_table(write_ods(tmp_path / "m.ods", {"T": rows}, spans))
    assert table.columns == [
        "Stadtteil",
        "Altersgruppen – unter 18",
        "Altersgruppen – ab 18",
        "Insgesamt",
    ]
    assert table.rows == [["A", "1", "2", "3"], ["B", "4", "5", "9"]]


def test_ods_unknown_sheet(tmp_path):
    path = write_ods(tmp_path / "s.ods", {"Daten": [["a"], [1]]})
    with pytest.raises(QuartierError, match="Vorhanden: „Daten“"):
        read_table(path, sheet="Tabelle1")


def test_truncated_ods(tmp_path):
    data = write_ods(tmp_path / "voll.ods", {"D": [["a"], [1]]}).read_bytes()
    path = write(tmp_path, "kaputt.ods", data[: len(data) - 200])
    with pytest.raises(QuartierError, match="Die ODS-Datei ist beschädigt"):
        read_table(path)


# --- real data (../shared/data) ------------------------------------------------------------------

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not available")


@needs_data
def test_berlin_mss_2021():
    table = read_table(DATA / "berlin-mss-2021" / "mss_2021_index_indikatoren.csv")
    assert len(table.rows) == 542
    assert (table.delimiter, table.encoding) == (",", "utf-8")
    plr = table.columns.index("PLR_ID")
    assert table.rows[0][plr] == "01100101"
    assert all(len(row[plr]) == 8 for row in table.rows)
    s1 = parse_column(
        [row[table.columns.index("S1")] for row in table.rows], table.decimal, table.thousands
    )
    assert s1[0].value == pytest.approx(4.22594)
    assert not any(cell.problem for cell in s1)
    assert sum(cell.flag == "sentinel" for cell in s1) == 6
    invalid = [row for row in table.rows if row[-1].startswith("ungültig")]
    assert len(invalid) == 6


@needs_data
def test_koeln_stadtteile_2012():
    table = read_table(DATA / "koeln-stadtteile-2012" / "bevoelkerung_stadtteile_2005-2012.csv")
    assert len(table.rows) == 29_135
    assert table.columns == [
        "id",
        "tab_id",
        "tabelle",
        "jahr",
        "raum_id",
        "raum",
        "zei_id",
        "zeile",
        "zahl",
    ]
    raum = table.columns.index("raum_id")
    assert "001" in {row[raum] for row in table.rows}
    assert table.rows[0][0] == "010.005.2005.000.010"  # dotted IDs are no thousands evidence
    assert (table.decimal, table.thousands) == (".", None)
    zahl = parse_column([row[-1] for row in table.rows], table.decimal, table.thousands)
    assert zahl[0].value == 1023101.0
    assert not any(cell.problem for cell in zahl)


@needs_data
def test_berlin_population_2024_t2():
    path = (
        DATA / "berlin-einwohner-plr-2024" / "berlin-lor-population-2024-02-t2-planning-areas.csv"
    )
    table = read_table(path)
    assert len(table.rows) == 542
    assert len(table.columns) == 27
    assert not any(name.startswith("Spalte") for name in table.columns)
    assert table.rows[0][0] == "01100101"
    # the eight age groups add up to the inhabitants in every row: columns are not shifted
    ages = [
        i
        for i, name in enumerate(table.columns)
        if name.startswith("inhabitants_age_") and not name.endswith("_percentage")
    ]
    total = table.columns.index("inhabitants")
    assert len(ages) == 8
    for row in table.rows:
        assert sum(int(row[i]) for i in ages) == int(row[total])
