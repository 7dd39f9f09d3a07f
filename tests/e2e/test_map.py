"""The map explorer in real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import json
import re
import struct
import urllib.request
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from quartier.core import geodoc
from quartier.spatial.display import ARRAYS, read
from tests.e2e.helpers import (
    biggest_area,
    change,
    expected_class_colour,
    legend,
    nearest_legend_colour,
    shown_colour,
    wait_ready,
)

# The database marker makes pytest-django create the test database even when only
# browser tests run; the app in the server thread reads the committed Musterstadt.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def open_map(page, query="ebene=stadtteil&indikator=kinderarmut"):
    page.goto(f"{page.server}/karte/?{query}")
    wait_ready(page)


def test_block_level_loads_with_legend_and_all_areas(page):
    open_map(page, "ebene=baublock&indikator=kinderarmut")
    lines = legend(page)
    assert len(lines) == 7  # five classes, "keine Daten" and "geheim"
    assert "keine Daten" in lines[-2] and "geheim" in lines[-1]
    counts = [int(re.search(r"(\d+) Gebiete", line).group(1)) for line in lines]
    assert sum(counts) == 5000
    assert page.evaluate("window.quartier.geometry.codes.length") == 5000


@pytest.mark.parametrize("steps", ["int16", "int32"])
def test_the_browser_decodes_the_geometry_document_as_the_server_encoded_it(page, steps):
    """The map's binary geometry (quartier.core.geodoc) read by geometry.js, compared with
    the document decoded independently in Python: every vertex and label point. A level
    spanning more than 0.33 degrees (a Kreis) has int32 steps: sent here re-packed."""
    with urllib.request.urlopen(f"{page.server}/karte/geometrie/sozialraum/?stichtag=") as r:
        body = r.read()
    doc = read(body)
    if steps == "int32":
        raw = geodoc.unpack(body)
        arrays = {name: raw.pop(name) for name in ARRAYS}
        arrays["steps"] = arrays["steps"].astype(np.int32)
        body = geodoc.pack(raw, arrays)

        def repacked(route):
            route.fulfill(status=200, content_type=geodoc.CONTENT_TYPE, body=body)

        page.route("**/karte/geometrie/sozialraum/**", repacked)
    open_map(page, "ebene=sozialraum&indikator=kinderarmut")
    (x0, y0), scale = doc["origin"], doc["scale"]

    def lat_lngs(flat):
        xy = np.cumsum(np.array(flat, dtype=np.int64).reshape(-1, 2), axis=0)
        return np.column_stack([y0 + xy[:, 1] / scale, x0 + xy[:, 0] / scale])

    shown = page.evaluate("""() => { const g = window.quartier.geometry;
        return { codes: g.codes, shapes: g.shapes, labels: g.labels, steps: g.steps.BYTES_PER_ELEMENT }; }""")
    assert shown["steps"] == np.dtype(steps).itemsize
    assert shown["codes"] == doc["codes"] and len(doc["codes"]) == 225
    assert [len(a) for a in shown["shapes"]] == [len(a) for a in doc["shapes"]]
    vertices = 0
    for area, expected in zip(shown["shapes"], doc["shapes"], strict=True):
        for polygon, rings in zip(area, expected, strict=True):
            for ring, flat in zip(polygon, rings, strict=True):
                assert np.allclose(np.array(ring), lat_lngs(flat), rtol=0, atol=1e-9)
                vertices += len(ring)
    assert vertices > 225 * 4
    labels = np.array(doc["labels"]) / scale + [x0, y0]
    assert np.allclose(np.array(shown["labels"]), labels[:, ::-1], rtol=0, atol=1e-9)


def test_colours_match_the_legend_class_of_each_area(page):
    open_map(page)
    code = biggest_area(page)
    expected = expected_class_colour(page, code)
    assert nearest_legend_colour(page, shown_colour(page, code)) == expected


def test_switching_indicator_level_period_and_classification(page):
    open_map(page)
    code = biggest_area(page)
    first_legend = legend(page)

    change(page, "#indicator", "ew_gesamt")
    assert legend(page) != first_legend
    assert "Personen" in legend(page)[0]
    assert nearest_legend_colour(page, shown_colour(page, code)) == expected_class_colour(
        page, code
    )

    change(page, "#level", "stadtbezirk")
    assert page.evaluate("window.quartier.geometry.codes.length") == 10
    assert sum(int(re.search(r"(\d+) Gebiete", line).group(1)) for line in legend(page)) == 10
    by_level = legend(page)

    change(page, "#period", "2015-12-31")
    assert legend(page) != by_level
    assert "31.12.2015" in page.inner_text("#map-title")

    change(page, "#level", "sozialraum")
    before = legend(page)
    change(page, "#method", "gleich")
    after = legend(page)
    assert after != before
    bounds = [
        float(x.replace(".", "").replace(",", "."))
        for x in re.findall(r"bis ([\d.,]+)", " ".join(after))
    ]
    widths = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
    assert max(widths) - min(widths) <= 1  # equal intervals (bounds are shown rounded)

    page.fill("#classes", "7")
    page.dispatch_event("#classes", "change")
    page.wait_for_function("() => document.querySelectorAll('#legend li').length === 9")
    code = biggest_area(page)
    assert nearest_legend_colour(page, shown_colour(page, code)) == expected_class_colour(
        page, code
    )


def test_standard_deviation_classes(page):
    open_map(page, "ebene=sozialraum&indikator=kinderarmut&methode=sd")
    lines = legend(page)
    assert len(lines) == 6  # < -1, -1..+1, +1..+1.5, > +1.5 SD, keine Daten, geheim
    assert not page.is_hidden("#sd-box")


def test_tooltip_shows_name_code_value_and_city_value(page):
    open_map(page)
    code = biggest_area(page)
    point = page.evaluate(
        """(code) => { const q = window.quartier; const i = q.geometry.index.get(code);
        const p = q.map.latLngToContainerPoint(q.geometry.labels[i]);
        const r = document.getElementById('map').getBoundingClientRect();
        return [p.x + r.left, p.y + r.top, q.geometry.names[i], q.values.values[i]]; }""",
        code,
    )
    page.mouse.move(point[0], point[1])
    tooltip = page.locator(".area-tooltip")
    tooltip.wait_for()
    text = tooltip.inner_text()
    assert point[2] in text and code in text
    assert f"{point[3]:.1f}".replace(".", ",") + " %" in text
    assert "Gesamtstadt" in text


def test_the_map_takes_the_meaning_of_each_status_from_the_payload(page):
    """The script knows status words, not codes: renumbered codes still mean "geheim"."""

    def renumber(route):
        body = route.fetch().json()
        body["status"] = body["status"].replace("2", "7")
        body["statuses"]["7"] = body["statuses"].pop("2")
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/karte/werte/**", renumber)
    open_map(page, "ebene=sozialraum&indikator=sgb2_u15&stichtag=2024-12-31")
    i, colour, expected = page.evaluate(
        """() => { const q = window.quartier; const i = q.values.status.indexOf("7");
        return [i, q.colours[i], q.values.suppressed.colour]; }"""
    )
    assert i >= 0 and colour == expected
    x, y = page.evaluate(
        """(i) => { const q = window.quartier;
        const p = q.map.latLngToContainerPoint(q.geometry.labels[i]);
        const r = document.getElementById('map').getBoundingClientRect();
        return [p.x + r.left, p.y + r.top]; }""",
        i,
    )
    page.mouse.move(x, y)
    tooltip = page.locator(".area-tooltip")
    tooltip.wait_for()
    assert "• geheim" in tooltip.inner_text()


def test_click_selects_area_and_opens_its_profile(page):
    open_map(page)
    code = biggest_area(page)
    x, y, name = page.evaluate(
        """(code) => { const q = window.quartier; const i = q.geometry.index.get(code);
        const p = q.map.latLngToContainerPoint(q.geometry.labels[i]);
        const r = document.getElementById('map').getBoundingClientRect();
        return [p.x + r.left, p.y + r.top, q.geometry.names[i]]; }""",
        code,
    )
    page.mouse.click(x, y)
    panel = page.locator("#area-panel")
    panel.locator("h2").wait_for()
    assert panel.locator("h2").inner_text() == name
    assert parse_qs(urlsplit(page.url).query)["gebiet"] == [code]
    value_in_panel = panel.locator("td.strong").inner_text()
    panel.get_by_role("link", name="Steckbrief öffnen").click()
    page.wait_for_url(re.compile(r"/gebiete/"))  # the map page has an h1 too
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == name
    row = page.locator('tr[data-indicator="kinderarmut"] td.value')
    assert row.inner_text() in value_in_panel


def test_permalink_restores_the_view(page, browser):
    open_map(page)
    change(page, "#level", "sozialraum")
    change(page, "#indicator", "sgb2_quote")
    change(page, "#period", "2019-12-31")
    change(page, "#method", "natuerlich")
    page.evaluate("() => { window.quartier.map.setView([51.53, 7.45], 13, {animate: false}); }")
    code = biggest_area(page)
    page.evaluate("(c) => document.getElementById('area-search').value = c", code)
    page.click("#area-search-go")
    page.locator("#area-panel h2").wait_for()
    page.wait_for_function("() => new URLSearchParams(location.search).has('gebiet')")
    page.wait_for_timeout(300)
    url = page.url
    shown = legend(page)
    center = page.evaluate(
        "(() => { const c = window.quartier.map.getCenter(); return [c.lat, c.lng, window.quartier.map.getZoom()]; })()"
    )

    other = browser.new_context(locale="de-DE", viewport={"width": 1400, "height": 900}).new_page()
    other.goto(url)
    wait_ready(other)
    other.locator("#area-panel h2").wait_for()
    assert other.input_value("#level") == "sozialraum"
    assert other.input_value("#indicator") == "sgb2_quote"
    assert other.input_value("#period") == "2019-12-31"
    assert other.input_value("#method") == "natuerlich"
    assert legend(other) == shown
    again = other.evaluate(
        "(() => { const c = window.quartier.map.getCenter(); return [c.lat, c.lng, window.quartier.map.getZoom()]; })()"
    )
    assert again == pytest.approx(center, abs=1e-4)
    assert parse_qs(urlsplit(other.url).query)["gebiet"] == [code]
    other.context.close()


def test_table_view_shows_the_same_values_as_the_map(page):
    open_map(page, "ebene=stadtteil&indikator=arbeitslosenquote&stichtag=2020-12-31")
    on_map = page.evaluate(
        "() => Object.fromEntries(window.quartier.geometry.codes.map((c, i) => [c, window.quartier.values.values[i]]))"
    )
    page.click("#table-link")
    page.wait_for_selector("table#werte")
    rows = page.locator("table#werte tbody tr")
    assert rows.count() == len(on_map)
    for i in range(rows.count()):
        row = rows.nth(i)
        code = row.get_attribute("data-code")
        shown = row.locator("td.value").inner_text()
        assert shown == f"{on_map[code]:.1f}".replace(".", ","), code


def test_change_mode_uses_a_diverging_palette_centred_on_zero(page):
    open_map(page, "ebene=stadtteil&indikator=kinderarmut")
    page.check("#change-mode")
    page.wait_for_function("() => new URLSearchParams(location.search).has('vergleich')")
    wait_ready(page)
    change(page, "#compare", "2015-12-31")
    title = page.inner_text("#map-title")
    assert "Veränderung" in title
    data = page.evaluate("window.quartier.values")
    uppers = [e["upper"] for e in data["legend"]]
    lowers = [e["lower"] for e in data["legend"]]
    assert min(lowers) < 0 < max(uppers)
    assert 0 in uppers  # a class boundary at zero
    assert data["indicator"]["unit"] == "Prozentpunkte"
    colours = [e["colour"] for e in data["legend"]]
    zero = uppers.index(0)
    assert int(colours[0][5:7], 16) > int(colours[0][1:3], 16)  # strongest decrease: blue
    assert int(colours[-1][1:3], 16) > int(colours[-1][5:7], 16)  # strongest increase: red
    assert zero < len(colours) - 1


def test_facility_layer_with_popup(page):
    open_map(page)
    page.check("#fac-kitas")
    page.wait_for_function(
        "() => { let n = 0; window.quartier.map.eachLayer(l => { if (l.feature) n += 1; }); return n > 50; }"
    )
    page.evaluate(
        "() => { let first; window.quartier.map.eachLayer(l => { if (l.feature && !first) first = l; }); first.openPopup(); }"
    )
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Kita" in popup.inner_text() and "Plätze" in popup.inner_text()
    assert "einrichtungen=kitas" in page.url


def test_search_finds_an_area_by_name(page):
    open_map(page)
    name = page.evaluate("window.quartier.geometry.names[3]")
    page.fill("#area-search", name.lower())
    page.press("#area-search", "Enter")
    page.locator("#area-panel h2").wait_for()
    assert page.inner_text("#area-panel h2") == name
    assert "Gefunden" in page.inner_text("#area-search-result")


def test_png_export_has_title_legend_and_source(page):
    open_map(page)
    with page.expect_download() as info:
        page.click("#export-png")
    path = info.value.path()
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    layout = page.evaluate("window.quartier.lastExport.layout")
    assert (width, height) == (layout["width"], layout["height"])
    assert width > layout["map"]["w"] and height > layout["map"]["h"]
    assert info.value.suggested_filename.startswith("karte_kinderarmut_stadtteil_")


def test_english_interface(browser, server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(
        f"{server}/karte/?ebene=stadtteil&indikator=kinderarmut"
        "&stichtag=2024-12-31&vergleich=2019-12-31"
    )
    wait_ready(page)
    assert page.inner_text("#legend h2") == "Legend"
    assert "areas" in legend(page)[0]
    assert "What to show?" in page.inner_text(".controls")
    # Issue 16: Leaflet's buttons, the change's unit and dates in the page's language;
    # dates as the table page writes them (Django's short date format).
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "Zoom in"
    assert page.get_attribute(".leaflet-control-zoom-out", "title") == "Zoom out"
    assert "percentage points" in legend(page)[0] and "Prozentpunkte" not in legend(page)[0]
    assert page.locator("#period option:checked").inner_text() == "12/31/2024"
    page.goto(f"{server}/tabelle/?ebene=stadtteil&indikator=kinderarmut&stichtag=2024-12-31")
    assert "12/31/2024" in page.inner_text("h1")
    context.close()


def test_a_view_without_any_visible_value_explains_its_empty_legend(page):
    # Issue 13: every block is missing or secret here; the map answered 500 in a load test.
    open_map(page, "ebene=baublock&indikator=gymnasialquote&stichtag=2014-12-31")
    lines = legend(page)
    assert len(lines) == 2 and "keine Daten" in lines[0] and "geheim" in lines[1]
    note = page.locator("#legend [role=note]").first.inner_text()
    assert "kein Gebiet dieser Ebene einen sichtbaren Wert" in note


def test_area_names_in_tooltips_are_text_never_html(page):
    """Names come from imported files; until values arrived the tooltip rendered them as HTML."""
    injected = '<img id="injected" src="x" onerror="window.injected=1">Mitte'
    held = []

    def rename_areas_hold_parents(route):
        if "/geometrie/stadtteil/" not in route.request.url:
            held.append(route)  # the parent level's outlines: areas drawn, values not yet set
            return
        doc = geodoc.unpack(route.fetch().body())
        arrays = {name: doc.pop(name) for name in ARRAYS}
        doc["names"] = [injected] * len(doc["names"])
        route.fulfill(status=200, content_type=geodoc.CONTENT_TYPE, body=geodoc.pack(doc, arrays))

    page.route("**/karte/geometrie/**", rename_areas_hold_parents)
    page.goto(f"{page.server}/karte/?ebene=stadtteil&indikator=kinderarmut")
    page.wait_for_function("() => window.quartier && window.quartier.geometry !== null")
    assert page.evaluate("window.quartier.values") is None
    x, y = page.evaluate(
        """() => { const q = window.quartier; q.map.setView(q.geometry.labels[0], 14);
        const p = q.map.latLngToContainerPoint(q.geometry.labels[0]);
        const r = document.getElementById('map').getBoundingClientRect();
        return [p.x + r.left, p.y + r.top]; }"""
    )
    page.mouse.move(x, y)
    tooltip = page.locator(".area-tooltip")
    tooltip.wait_for()
    assert injected in tooltip.inner_text()
    assert page.locator("#injected").count() == 0
    for route in held:
        route.continue_()
    wait_ready(page)


def test_loading_is_shown_and_announced_and_errors_are_shown(page):
    """Issue 16: on a slow connection map and legend stayed blank without a word."""
    held = []
    page.route("**/karte/werte/**", lambda route: held.append(route))
    page.goto(f"{page.server}/karte/?ebene=stadtteil&indikator=kinderarmut")
    status = page.locator("#map-status")
    page.wait_for_function("() => document.querySelector('#map-status.active') !== null")
    assert "Lädt" in status.inner_text() and status.get_attribute("role") == "status"
    assert status.is_visible() and status.locator("progress").count() == 1
    assert page.get_attribute("#map", "aria-busy") == "true"
    assert page.get_attribute("#legend", "aria-busy") == "true"
    assert "Lädt …" in page.inner_text("#legend")
    for route in held:
        route.continue_()
    page.unroute("**/karte/werte/**")
    wait_ready(page)
    assert page.get_attribute("#map", "aria-busy") == "false"
    assert page.get_attribute("#legend", "aria-busy") == "false"
    assert status.inner_text() == "" and "Lädt" not in page.inner_text("#legend")

    page.route(
        "**/karte/werte/**",
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"error": "Wartung"}'
        ),
    )
    page.select_option("#indicator", "ew_gesamt")
    page.wait_for_function("() => document.getElementById('map').dataset.state === 'error'")
    alert = status.locator("[role=alert]")
    assert "konnte nicht geladen werden: Wartung" in alert.inner_text()
    assert status.get_by_role("button", name="Erneut versuchen").is_visible()
    page.unroute("**/karte/werte/**")
    status.get_by_role("button", name="Erneut versuchen").click()
    wait_ready(page)
    assert status.inner_text() == ""
    page.watch.errors.clear()  # the browser logs the 503 it was given


def test_side_panel_agrees_with_the_map_in_change_mode(page):
    """Issue 16: the map showed −4.3 percentage points, the panel the level and its rank."""
    open_map(page, "ebene=stadtteil&indikator=kinderarmut&stichtag=2024-12-31&gebiet=011")
    panel = page.locator("#area-panel")
    panel.locator("h2").wait_for()
    assert "Prozentpunkte" not in panel.inner_text()
    page.check("#change-mode")
    page.wait_for_function(
        "() => document.querySelector('#area-panel').innerText.includes('Veränderung')"
    )
    wait_ready(page)
    value = panel.locator("td.strong").inner_text()
    assert value.endswith("Prozentpunkte") and value[0] in "+−-"
    assert "stärkste Zunahme" in panel.locator(".panel-rank").inner_text()
    city = panel.locator("tbody tr").first.locator("td.city").inner_text()
    assert city.endswith("Prozentpunkte")  # the city column has its unit …
    for cell in panel.locator("td.city, thead th").all():  # … and nothing is clipped
        assert cell.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), cell.inner_text()
    table = panel.locator("table")
    assert table.evaluate("t => t.getBoundingClientRect().right") <= panel.evaluate(
        "p => p.getBoundingClientRect().right"
    )
    # Orientation: a metric scale bar, German zoom buttons, labels that never overlap.
    assert page.locator(".leaflet-control-scale-line").inner_text().endswith(("m", "km"))
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "Vergrößern"
    assert page.get_attribute(".leaflet-control-zoom-out", "title") == "Verkleinern"
    page.evaluate("() => window.quartier.map.setZoom(window.quartier.map.getZoom() + 1)")
    page.wait_for_timeout(400)
    boxes = page.eval_on_selector_all(
        ".area-label",
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })",
    )
    assert len(boxes) > 10
    for n, a in enumerate(boxes):
        for b in boxes[n + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_phone_map_first_controls_in_a_drawer_no_horizontal_scrolling_axe_clean(page):
    """Issue 16 (WCAG 1.4.10, 2.5.8): at 320 px the map page was 611–858 px wide."""
    from tests.e2e.helpers import axe_violations

    page.set_viewport_size({"width": 320, "height": 700})
    open_map(page, "ebene=stadtteil&indikator=kinderarmut&einrichtungen=kitas,grundschulen")
    width = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(width) == 0
    toggle = page.locator("#controls-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#map-controls").is_hidden()
    assert page.locator("#map").bounding_box()["y"] < 700  # the map comes first
    level = page.evaluate(
        "() => { const q = window.quartier; const [w, s, e, n] = q.geometry.bbox;"
        " return q.map.getBounds().contains([[s, w], [n, e]]); }"
    )
    assert level  # the whole city in view
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#map-controls").is_visible()
    assert page.evaluate(width) == 0
    for target in [toggle, page.locator("#fac-kitas"), page.locator(".leaflet-control-zoom-in")]:
        box = target.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24
    # Facility layers: each its own symbol, with a legend.
    page.wait_for_selector('#facility-legend li[data-layer="grundschulen"]')
    shapes = page.eval_on_selector_all(
        "#facility-legend li svg > *", "els => els.map(e => e.tagName + e.getAttribute('fill'))"
    )
    assert len(shapes) == 2 and len(set(shapes)) == 2
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    page.set_viewport_size({"width": 1440, "height": 900})
    assert page.locator("#map-controls").is_visible() and toggle.is_hidden()
    assert page.evaluate(width) == 0
    assert axe_violations(page) == []
