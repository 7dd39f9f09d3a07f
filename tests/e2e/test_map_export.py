"""The map's PNG export (issue 17 point 5) in real Chromium: title, Stichtag, legend, source,
scale bar, optional area names, and VERTRAULICH in title and footer for unprotected values."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.e2e.helpers import wait_ready

pytestmark = [pytest.mark.e2e]
PASSWORD = "png-export-test-password"
ALERT = (0xA3, 0x00, 0x00)  # export.js draws VERTRAULICH in this colour


@pytest.fixture(scope="module")
def jugendamt(server, django_db_blocker):
    """A data steward of the Jugendamt, as the demo account ``jugendamt`` (committed, so the
    server thread sees it; disabled after the module — its audit entries stay, by design)."""
    from quartier.access.models import Unit, User
    from quartier.cli import DEMO_ACCOUNTS

    _name, role, unit, _purpose = next(a for a in DEMO_ACCOUNTS if a[0] == "jugendamt")
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.connection is not None and not connection.is_usable():
            connection.close()
        user = User.objects.create_user("jugendamt_png", password=PASSWORD, role=role)
        user.units.add(Unit.objects.get(key=unit))
    yield user.username
    with django_db_blocker.unblock():  # tests in between may have blocked the database again
        User.objects.filter(pk=user.pk).update(is_active=False)


def sign_in(page, username: str) -> None:
    page.goto(f"{page.server}/anmelden/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))


def export(page, press: bool = False):
    """Trigger the export (click, or Enter on the focused button); return the download's name,
    the decoded image and what the script says it drew where."""
    with page.expect_download() as info:
        if press:
            page.focus("#export-png")
            page.keyboard.press("Enter")
        else:
            page.click("#export-png")
    with open(info.value.path(), "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    drawn = page.evaluate(
        "() => { const e = window.quartier.lastExport;"
        " return { layout: e.layout, texts: e.texts, scaleBar: e.scaleBar, labels: e.labels }; }"
    )
    return info.value.suggested_filename, Image.open(io.BytesIO(data)).convert("RGB"), drawn


def band(image, top, bottom, left=0, right=None):
    """Pixels (r, g, b) of a horizontal band of the image."""
    right = image.width if right is None else right
    data = image.crop((int(left), int(top), int(right), int(bottom))).tobytes()
    return [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]


def inked(pixels) -> int:
    """How many pixels are clearly not the white background (text, swatches, lines)."""
    return sum(1 for r, g, b in pixels if r + g + b < 600)


def alert(pixels) -> int:
    """How many pixels are (close to) the VERTRAULICH colour."""
    return sum(1 for p in pixels if all(abs(a - b) <= 40 for a, b in zip(p, ALERT, strict=True)))


def check_layout(page, image, drawn):
    """The image is the map plus title, legend and footer, each with something drawn."""
    layout = drawn["layout"]
    box = layout["map"]
    assert (image.width, image.height) == (layout["width"], layout["height"])
    screen = page.evaluate("() => { const s = window.quartier.map.getSize(); return [s.x, s.y]; }")
    # The map keeps the view's aspect ratio; the image is larger than the map alone.
    assert abs(box["w"] / box["h"] - screen[0] / screen[1]) < 0.02
    assert image.width > box["x"] + box["w"] + 200 and image.height > box["y"] + box["h"] + 40
    title = band(image, 0, box["y"])
    footer = band(image, box["y"] + box["h"], image.height)
    legend = band(image, box["y"], box["y"] + box["h"], left=layout["legend"]["x"])
    assert inked(title) > 500 and inked(footer) > 300 and inked(legend) > 1000
    return title, footer


def check_scale_bar(page, drawn):
    """The image's scale bar measures what Leaflet's scale control measures on screen."""
    text, width = page.evaluate(
        "() => { const el = document.querySelector('.leaflet-control-scale-line');"
        " return [el.textContent, parseFloat(el.style.width)]; }"
    )
    number, unit = re.fullmatch(r"([\d.]+) (k?m)", text.strip()).groups()
    screen_mpp = float(number) * (1000 if unit == "km" else 1) / width
    bar = drawn["scaleBar"]
    image_mpp = bar["metres"] / bar["width"]
    assert image_mpp * drawn["layout"]["scale"] == pytest.approx(screen_mpp, rel=0.05)
    assert bar["label"].endswith((" m", " km")) and 40 <= bar["width"] <= 150


def test_confidential_map_image_says_vertraulich_in_title_and_footer(page, jugendamt):
    sign_in(page, jugendamt)
    page.goto(f"{page.server}/karte/?ebene=sozialraum&indikator=hze_faelle")
    wait_ready(page)
    view = page.evaluate(
        "() => { const v = window.quartier.values;"
        " return { confidential: v.confidential, period: v.period, level: v.level.name,"
        " source: v.indicator.source }; }"
    )
    assert view["confidential"] is True  # the server's word, from the read layer

    texts = page.evaluate("window.quartier.imageTexts()")
    year, month, day = view["period"].split("-")
    assert texts["confidential"] is True and texts["mark"] == "VERTRAULICH"
    assert texts["lines"][0] == f"VERTRAULICH – Hilfen zur Erziehung (Fälle) nach {view['level']}"
    assert texts["stichtag"] == f"Stichtag: {day}.{month}.{year}"
    assert texts["source"] == f"Quelle: {view['source']}" and texts["source"] in texts["lines"]
    assert texts["footer"].startswith("VERTRAULICH: ") and texts["lines"][-1] == texts["footer"]
    labels = [entry["label"] for entry in texts["legend"]]
    assert labels[-2].startswith("keine Daten (") and labels[-1].startswith("geheim (•) (")

    name, image, drawn = export(page)
    assert name.endswith("_vertraulich.png")
    assert drawn["texts"]["lines"] == texts["lines"]
    title, footer = check_layout(page, image, drawn)
    assert alert(title) > 50 and alert(footer) > 50  # VERTRAULICH drawn in both bands
    check_scale_bar(page, drawn)


@pytest.mark.django_db
def test_public_map_image_has_no_mark_and_optional_area_names(page):
    page.goto(f"{page.server}/karte/?ebene=stadtbezirk&indikator=kinderarmut")
    wait_ready(page)
    assert page.evaluate("window.quartier.values.confidential") is False
    texts = page.evaluate("window.quartier.imageTexts()")
    assert texts["mark"] == "" and texts["footer"] == ""
    assert not any("VERTRAULICH" in line for line in texts["lines"])
    assert texts["stichtag"].startswith("Stichtag: ")

    name, plain, drawn = export(page)
    assert not name.endswith("_vertraulich.png") and drawn["labels"] == 0
    title, footer = check_layout(page, plain, drawn)
    assert alert(title) == 0 and alert(footer) == 0
    check_scale_bar(page, drawn)

    # Area names: a labelled checkbox, switched by keyboard; the export is started by Enter.
    assert page.inner_text("label[for='export-labels']") == "Gebietsnamen ins Bild"
    page.focus("#export-labels")
    page.keyboard.press("Space")
    assert page.is_checked("#export-labels")
    _name, labelled, drawn = export(page, press=True)
    assert drawn["labels"] > 0
    box = drawn["layout"]["map"]
    area = (box["x"], box["y"], box["x"] + box["w"], box["y"] + box["h"])
    assert labelled.crop(area).tobytes() != plain.crop(area).tobytes()


@pytest.mark.django_db
def test_english_image_texts(browser, server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/karte/?ebene=stadtbezirk&indikator=kinderarmut&vergleich=2019-12-31")
    wait_ready(page)
    texts = page.evaluate("window.quartier.imageTexts()")
    assert ": change by " in texts["title"] and texts["stichtag"].startswith("Change from ")
    assert texts["legend"][-1]["label"].startswith("secret (•)")
    context.close()
