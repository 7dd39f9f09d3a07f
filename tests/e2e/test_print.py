"""Printing profile, table, comparison and map pages: the content, none of the controls.

Chromium renders each page with the print media type at the printable width of an A4
sheet (about 700 CSS px inside the margins): the navigation, forms and buttons are gone,
no table is cut off at the right edge, the foot names the page and the day; the map
keeps its size and its legend. On screen, a "Drucken" button opens the print dialog.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

A4_WIDTH = 700  # CSS px: 210 mm minus 2 × 12 mm margins at 96 dpi ≈ 703 px

PAGES = [
    "/gebiete/stadtteil/011/",
    "/tabelle/?indikator=kinderarmut&ebene=stadtteil&stichtag=2024-12-31",
    "/vergleich/?gebiet=stadtteil:011&gebiet=stadtteil:012&gebiet=stadtbezirk:01",
]

WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  let worst = null;
  for (const el of document.querySelectorAll('main *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > limit + 1 && (!worst || box.right > worst.right))
      worst = {tag: el.tagName + '.' + el.className, right: Math.round(box.right)};
  }
  return worst;
}"""

CLIPPED = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.scrollWidth > el.clientWidth + 1
    && ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX))
  .map(el => el.tagName + '.' + el.className)"""


def printed(page, path):
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": A4_WIDTH, "height": 1000})
    page.goto(page.server + path)
    page.wait_for_load_state("networkidle")
    on_screen = page.locator("[data-print]").first.is_visible()
    page.emulate_media(media="print")
    return on_screen


def test_pages_print_their_content_without_controls(page):
    for path in PAGES:
        assert printed(page, path), f"{path}: no print button on screen"
        assert page.locator(".site-header").is_hidden(), path
        assert page.locator("[data-print]").first.is_hidden(), path
        assert page.locator("form.choices").first.is_hidden(), path
        assert page.locator("main table").first.is_visible(), path
        assert page.evaluate(WIDEST) is None, (path, page.evaluate(WIDEST))
        assert page.evaluate(CLIPPED) == [], (path, page.evaluate(CLIPPED))
        foot = page.locator(".print-footer")
        assert foot.is_visible() and path.split("?")[0] in foot.inner_text(), path


def test_the_map_prints_with_its_legend_and_without_its_settings(page):
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(page.server + "/karte/?indikator=kinderarmut&ebene=stadtteil")
    wait_ready(page)
    assert page.locator("[data-print]").is_visible()
    page.emulate_media(media="print")
    assert page.locator("#map-controls").is_hidden()
    assert page.locator(".leaflet-control-zoom").is_hidden()
    box = page.locator("#map").bounding_box()
    assert box["width"] > 500 and box["height"] > 400, box
    assert page.locator("#legend li").first.is_visible()
    drawn = page.locator("#map .leaflet-overlay-pane canvas, #map .leaflet-overlay-pane svg")
    assert drawn.first.is_visible()  # the areas' layer is printed, not only the frame


def test_a_profile_printed_to_pdf_by_chromium_keeps_every_column(page):
    """Chromium's own print to PDF (A4): every column header and the last column's values."""
    import io

    from pypdf import PdfReader

    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(page.server + "/gebiete/stadtteil/011/")
    page.wait_for_load_state("networkidle")
    pdf = page.pdf(format="A4", margin={"top": "12mm", "bottom": "12mm", "left": "12mm",
                                        "right": "12mm"})  # fmt: skip
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    for header in ("Indikator", "Gesamtstadt", "AbweichungvomStadtwert", "Rang", "Veränderung"):
        assert header in text, header
    # The last column (change) of the first row, as the page shows it.
    change = page.locator("table.profile-table tbody tr").first.locator("td.change")
    first = "".join(change.inner_text().split())
    assert first and first in text, first
