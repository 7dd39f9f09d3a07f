"""The Sozialbericht as an OpenDocument text (ODT), for departments to edit further.

odfpy writes real headings (outline levels), paragraphs, tables with header rows and
images with their alternative texts (svg:title/svg:desc), so the document keeps its
structure in LibreOffice and Word and exports to an accessible PDF from there.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from odf import draw, style, table, text
from odf.opendocument import OpenDocumentText

from quartier.access.territories import whole_label
from quartier.explorer.templatetags.quartier import period as period_text

IMAGE_WIDTH_CM = 16.0


def _styles(document) -> dict:
    bold = style.Style(name="Fett", family="text")
    bold.addElement(style.TextProperties(fontweight="bold"))
    warning = style.Style(name="Vertraulich", family="paragraph")
    warning.addElement(style.TextProperties(fontweight="bold", color="#a30000"))
    cell = style.Style(name="Zelle", family="table-cell")
    cell.addElement(style.TableCellProperties(border="0.5pt solid #999999", padding="0.05cm"))
    image = style.Style(name="Bild", family="graphic")
    image.addElement(style.GraphicProperties(anchortype="as-char"))
    for item in (bold, warning, cell, image):
        document.automaticstyles.addElement(item)
    return {"bold": bold, "warning": warning, "cell": cell, "image": image}


def _heading(parent, level: int, words: str) -> None:
    parent.addElement(text.H(outlinelevel=level, text=words))


def _paragraphs(parent, words: str) -> None:
    for part in [p.strip() for p in words.split("\n\n") if p.strip()]:
        parent.addElement(text.P(text=part))


def _image(document, parent, styles, content: bytes, alt: str, name: str, ratio: float) -> None:
    href = document.addPicture(f"Pictures/{name}.png", "image/png", content)
    frame = draw.Frame(
        stylename=styles["image"],
        width=f"{IMAGE_WIDTH_CM}cm",
        height=f"{IMAGE_WIDTH_CM * ratio:.2f}cm",
        anchortype="as-char",
        name=name,
    )
    frame.addElement(draw.Image(href=href))
    frame.addElement(_svg("title", alt))
    frame.addElement(_svg("desc", alt))
    paragraph = text.P()
    paragraph.addElement(frame)
    parent.addElement(paragraph)


def _svg(tag: str, words: str):
    from odf import svg

    element = getattr(svg, tag.capitalize())()
    element.addText(words)
    return element


def _table(parent, styles, head: list[str], rows: list[tuple], name: str) -> None:
    grid = table.Table(name=name)
    grid.addElement(table.TableColumn(numbercolumnsrepeated=len(head)))
    header = table.TableHeaderRows()
    row = table.TableRow()
    for words in head:
        cell = table.TableCell(stylename=styles["cell"])
        cell.addElement(text.P(text=str(words)))
        row.addElement(cell)
    header.addElement(row)
    grid.addElement(header)
    for values in rows:
        row = table.TableRow()
        for value in values:
            cell = table.TableCell(stylename=styles["cell"])
            cell.addElement(text.P(text=str(value)))
            row.addElement(cell)
        grid.addElement(row)
    parent.addElement(grid)


def _ratio(png: bytes) -> float:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as picture:
        return picture.height / picture.width


def write_odt(context: dict) -> bytes:
    """The ODT of a built report (``context`` as for the PDF template)."""
    document = OpenDocumentText()
    styles = _styles(document)
    body = document.text
    definition = context["definition"]
    document.meta.addElement(_dc_title(definition.title))
    _heading(body, 1, definition.title)
    if context["confidential"]:
        body.addElement(
            text.P(
                stylename=styles["warning"],
                text=_("VERTRAULICH: Dieser Bericht enthält Werte, die für andere geheim sind. "
                       "Nicht weitergeben."),
            )
        )  # fmt: skip
    if context["stichtag"]:
        body.addElement(text.P(text=f"{_('Stichtag')}: {period_text(context['stichtag'])}"))
    _paragraphs(body, definition.introduction)
    number = 0
    for chapter in context["chapters"]:
        _heading(body, 2, chapter.title)
        _paragraphs(body, chapter.text)
        if chapter.note:
            body.addElement(text.P(text=chapter.note))
        for section in chapter.sections:
            number += 1
            _heading(body, 3, f"{section.indicator.name} – {section.level.name}")
            body.addElement(
                text.P(text=f"{_('Stichtag')}: {period_text(section.period)} · "
                            f"{whole_label()}: {section.city}")
            )  # fmt: skip
            for content, alt, kind in (
                (section.map_image, section.map_alt, "karte"),
                (section.chart_image, section.chart_alt, "diagramm"),
            ):
                if content:
                    ratio = _ratio(content)
                    _image(document, body, styles, content, alt, f"{kind}{number}", ratio)
            head = [_("Rang"), _("Schlüssel"), _("Gebiet"), _("Wert")]
            _table(body, styles, head, section.rows, f"Tabelle{number}")
    _heading(body, 2, _("Hinweise"))
    body.addElement(text.P(text=context["marks_note"]))
    if context["sources"]:
        body.addElement(text.P(text=f"{_('Quellen')}: {'; '.join(context['sources'])}"))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def _dc_title(words: str):
    from odf import dc

    element = dc.Title()
    element.addText(words)
    return element
