"""Tell what kind of file an upload is, from its bytes: CSV text, XLSX or ODS — or junk;
and for text, which encoding and delimiter it uses.

People upload whatever their software produced: legacy .xls, password-protected workbooks,
PDFs, screenshots, zip archives, HTML pages saved as ".xls". Each gets a German message that
says what to do instead, before any parser sees the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import zipfile
from collections import Counter
from pathlib import Path

from quartier.errors import QuartierError

MAX_UNZIPPED_BYTES = 500 * 1024 * 1024
SNIFF_BYTES = 64 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_MAGIC = (
    (b"%PDF", "eine PDF-Datei"),
    (b"\x89PNG", "ein Bild (PNG)"),
    (b"\xff\xd8\xff", "ein Bild (JPEG)"),
    (b"GIF8", "ein Bild (GIF)"),
    (b"\x1f\x8b", "ein gzip-Archiv"),
    (b"Rar!", "ein RAR-Archiv"),
    (b"7z\xbc\xaf", "ein 7-Zip-Archiv"),
    (b"SQLite format 3", "eine SQLite-Datenbank"),
)
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_UPLOAD_HINT = "Bitte eine CSV-, Excel- (.xlsx) oder OpenDocument-Datei (.ods) hochladen."
# Bytes that occur in text files; everything else counts as a control character.
_TEXT_BYTES = bytes([9, 10, 12, 13, *range(32, 127), *range(128, 256)])


def sniff_format(path: Path, original_name: str | None = None) -> str:
    """Return "csv", "xlsx" or "ods" from the file's content; the name is only used in messages.

    Raises QuartierError for empty files, legacy or encrypted Office files, binary files
    and archives without a table.
    """
    name = original_name or path.name
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            size = path.stat().st_size
    except OSError as exc:
        raise QuartierError(f"Die Datei „{name}“ lässt sich nicht öffnen.") from exc
    if not head.strip(b" \t\r\n\x0c\xef\xbb\xbf") and size <= len(head):
        raise QuartierError(f"Die Datei „{name}“ ist leer. Bitte eine Datei mit Daten hochladen.")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(path, name)
    if head.startswith(_OLE_MAGIC):
        _raise_ole(path)
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise QuartierError(f"Die Datei „{name}“ ist {what}, keine Tabelle. {_UPLOAD_HINT}")
    _check_text(head, name)
    return "csv"


def _sniff_zip(path: Path, name: str) -> str:
    """Tell xlsx from ods from other zip files; refuse broken, encrypted or huge ones."""
    kind = "ODS-Datei" if name.lower().endswith(".ods") else "Excel-Datei"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            mime = archive.read("mimetype")[:100].strip() if "mimetype" in names else b""
            manifest = b""
            if mime == _ODS_MIME and "META-INF/manifest.xml" in names:
                manifest = archive.read("META-INF/manifest.xml")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise QuartierError(
            f"Die {kind} ist beschädigt oder unvollständig. "
            "Bitte die Datei neu speichern und erneut hochladen."
        ) from exc
    if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
        raise QuartierError(
            f"Die {kind} ist entpackt größer als 500 MB. Bitte die Daten auf mehrere Dateien "
            "aufteilen oder als CSV hochladen."
        )
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise QuartierError("Das Format .xlsb wird nicht unterstützt. Bitte als .xlsx speichern.")
    if mime == _ODS_MIME:
        if b"encryption-data" in manifest:
            raise QuartierError(
                "Die ODS-Datei ist mit einem Passwort geschützt. Bitte ohne Passwort speichern "
                "und erneut hochladen."
            )
        return "ods"
    raise QuartierError(f"Die Datei „{name}“ ist ein ZIP-Archiv ohne Tabelle. {_UPLOAD_HINT}")


def _raise_ole(path: Path) -> None:
    """Old binary Office file: either a legacy .xls or an encrypted .xlsx (same container)."""
    with open(path, "rb") as handle:
        data = handle.read(16 * 1024 * 1024)
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise QuartierError(
            "Die Excel-Datei ist mit einem Passwort geschützt. Bitte den Kennwortschutz in "
            "Excel entfernen, die Datei speichern und erneut hochladen."
        )
    raise QuartierError(
        "Das alte Excel-Format (.xls) wird nicht unterstützt. Bitte die Datei in Excel "
        "als „Excel-Arbeitsmappe (.xlsx)“ speichern und erneut hochladen."
    )


def _check_text(head: bytes, name: str) -> None:
    """Refuse binary junk and text formats that are not tables (HTML, XML, JSON)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # Excel's "Unicode-Text" export: UTF-16 is full of NUL bytes by design
    controls = len(head.translate(None, _TEXT_BYTES))
    if b"\x00" in head or controls > 0.01 * len(head):
        raise QuartierError(
            f"Die Datei „{name}“ ist keine Textdatei (CSV) und keine Excel- oder "
            f"OpenDocument-Tabelle. {_UPLOAD_HINT}"
        )
    start = head.lstrip(b" \t\r\n\xef\xbb\xbf")[:1]
    if start == b"<":
        raise QuartierError(
            f"Die Datei „{name}“ ist eine Webseite oder XML-Datei, keine Tabelle. "
            "Bitte in Excel öffnen und als .xlsx oder CSV speichern."
        )
    if start in (b"{", b"["):
        raise QuartierError(f"Die Datei „{name}“ enthält JSON, keine Tabelle. {_UPLOAD_HINT}")


# --- text files -------------------------------------------------------------------------------


def decode_text(raw: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode with the given encoding, else UTF-8 (with or without BOM), else Windows-1252."""
    if encoding:
        try:
            return raw.decode(encoding).removeprefix("\ufeff"), encoding
        except LookupError as exc:
            raise QuartierError(f"Die Zeichenkodierung „{encoding}“ ist unbekannt.") from exc
        except UnicodeDecodeError as exc:
            raise QuartierError(
                f"Die Datei ist nicht in der Zeichenkodierung „{encoding}“ gespeichert. "
                "Bitte die Angabe weglassen, dann wird die Kodierung erkannt."
            ) from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    elif raw.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "cp1252")
    for candidate in candidates:
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise QuartierError(
        "Die Zeichenkodierung der Datei ist nicht erkennbar. Bitte in Excel als "
        "„CSV UTF-8 (durch Trennzeichen getrennt)“ speichern."
    )


def detect_delimiter(text: str) -> str:
    """Pick the delimiter that splits the first lines into the most consistent rows."""
    sample = text[:SNIFF_BYTES]
    if len(text) > len(sample):
        sample = sample[: sample.rfind("\n") + 1]  # drop a cut-off last line
    hint = re.match(r"sep=(.)\s*$", sample.split("\n", 1)[0])
    if hint:  # Excel's own "sep=;" first line
        return hint.group(1)
    best, best_score = ";", 0.0
    for candidate in (";", ",", "\t", "|"):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=candidate)
        lengths = [trimmed_len(row) for row in reader]
        lengths = [n for n in lengths if n]
        if not lengths:
            continue
        width, frequency = Counter(lengths).most_common(1)[0]
        score = frequency / len(lengths) * math.log(width)  # consistent and wide wins
        if score > best_score:
            best, best_score = candidate, score
    return best


def trimmed_len(row: list[str]) -> int:
    """Length of a row without its trailing empty cells (a trailing delimiter adds one)."""
    n = len(row)
    while n and not row[n - 1]:
        n -= 1
    return n
