"""A big XLSX worksheet handed to calamine in parts, so that it never holds the whole sheet.

calamine parses a whole worksheet before it gives out the first row: for a million rows of
five cells it peaked at 400 MB (its list of cells and the finished grid at once). Here the
worksheet's XML is streamed out of the zip and cut between rows into parts of about
``part_bytes``; each part becomes a small workbook in memory (the other parts of the file —
workbook, styles, shared strings — copied, so numbers, dates and texts read as before) and
is read by calamine on its own. The rows come out as calamine would give them for the whole
sheet; rows left out between parts (empty ones) are given as empty rows.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

PART_BYTES = 16_000_000  # uncompressed worksheet XML read by calamine at a time
_BLOCK = 4_000_000  # bytes decompressed at a time
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
    b'.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
)


def _target(base: str, target: str) -> str:
    """A relationship target as a path in the zip."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (PurePosixPath(base).parent / target).parts:
        if piece == "..":
            if parts:
                parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target path) of ``part``."""
    path = PurePosixPath(part)
    name = str(path.parent / "_rels" / f"{path.name}.rels").lstrip("./")
    root = ElementTree.fromstring(zf.read(name))
    return {
        rel.get("Id"): (rel.get("Type", ""), _target(part, rel.get("Target", "")))
        for rel in root.iter(f"{_PKG}Relationship")
    }


def worksheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its worksheet XML in the zip."""
    office = next(
        (t for kind, t in _rels(zf, "").values() if kind.endswith("/officeDocument")),
        "xl/workbook.xml",
    )
    targets = {rid: target for rid, (_kind, target) in _rels(zf, office).items()}
    root = ElementTree.fromstring(zf.read(office))
    return {
        sheet.get("name"): targets.get(sheet.get(_REL), "") for sheet in root.iter(f"{_MAIN}sheet")
    }


def big_sheet(path: Path, name: str, part_bytes: int) -> str | None:
    """The path of sheet ``name``'s XML in the zip if it is bigger than ``part_bytes``."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = worksheet_parts(zf).get(name)
            if part and zf.getinfo(part).file_size > part_bytes:
                return part
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        pass  # calamine reports a broken file as it always did
    return None


@dataclass
class Part:
    """One part of a sheet as a workbook; ``absolute``: its rows carry their row numbers.

    ``rows``: how many row elements the part holds (calamine leaves empty ones at its end
    out; where rows are counted rather than numbered, they still take their place).
    """

    workbook: bytes
    absolute: bool
    rows: int = 0


def sheet_parts(path: Path, part: str, part_bytes: int = PART_BYTES) -> Iterator[Part]:
    """The worksheet at ``part`` cut between rows into small workbooks, in order."""
    with zipfile.ZipFile(path) as zf:
        others = {}
        sheets = set(worksheet_parts(zf).values())
        for info in zf.infolist():
            name = info.filename
            if name != part and (name.endswith(".xml") or name.endswith(".rels")):
                others[name] = _EMPTY_SHEET if name in sheets else zf.read(name)
        with zf.open(part) as stream:
            for xml, absolute, rows in _cut(stream, part_bytes):
                yield Part(_workbook(others, part, xml), absolute, rows)


def _workbook(others: dict[str, bytes], part: str, xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, content in others.items():
            zf.writestr(name, content)
        zf.writestr(part, xml)
    return out.getvalue()


def _cut(stream, part_bytes: int) -> Iterator[tuple[bytes, bool, int]]:
    """Complete worksheet documents of about ``part_bytes`` each, cut before a row; also
    whether their rows are numbered and how many row elements each holds.
    """
    buffer = b""
    opened = None
    while opened is None:
        block = stream.read(_BLOCK)
        buffer += block
        opened = re.search(rb"<(\w+:)?sheetData\b[^>]*?(/?)>", buffer)
        if not block:
            break
    if opened is None or opened.group(2):  # no rows at all: the sheet as it is
        yield buffer + stream.read(), False, 0
        return
    prefix = opened.group(1) or b""
    head, buffer = buffer[: opened.end()], buffer[opened.end() :]
    tail = b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
    row = re.compile(rb"<" + re.escape(prefix) + rb"row[\s>/]")
    done = False
    while True:
        if not done and len(buffer) <= part_bytes:
            block = stream.read(_BLOCK)
            done = not block
            buffer += block
            continue
        cut = _last_start(buffer, row, part_bytes) if len(buffer) > part_bytes else 0
        if cut <= 0 and len(buffer) > part_bytes:  # a row longer than a part: cut after it
            after = row.search(buffer, 1)
            cut = after.start() if after else 0
        if cut <= 0:
            if done:
                yield head + buffer, _numbered(buffer, row, prefix), len(row.findall(buffer))
                return
            block = stream.read(_BLOCK)  # read on until the next row starts
            done = not block
            buffer += block
            continue
        yield (
            head + buffer[:cut] + tail,
            _numbered(buffer, row, prefix),
            len(row.findall(buffer, 0, cut)),
        )
        buffer = buffer[cut:]


def _last_start(buffer: bytes, row: re.Pattern, limit: int) -> int:
    """Where the last row starting within the first ``limit`` bytes of ``buffer`` starts
    (0 or less: none after the first).
    """
    last = -1
    for begin in (max(1, limit - 65_536), 1):
        for match in row.finditer(buffer, begin, limit + 16):
            if match.start() <= limit:
                last = match.start()
        if last > 0:
            break
    return last


def _numbered(buffer: bytes, row: re.Pattern, prefix: bytes) -> bool:
    """True if the first row of ``buffer`` or its first cell says where it stands (r="…").

    Then calamine places the part's rows by these numbers; else it counts from the part's
    first row.
    """
    first = row.search(buffer)
    if first is None:
        return False
    end = buffer.find(b"</" + prefix + b"row>", first.start())
    head = buffer[first.start() : end if end > 0 else first.start() + 4096]
    tag = head[: head.find(b">") + 1]
    cell = re.search(rb"<" + re.escape(prefix) + rb"c[\s>/][^>]*", head)
    return bool(re.search(rb"\sr=", tag) or (cell and re.search(rb"\sr=", cell.group())))
