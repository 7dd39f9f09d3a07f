"""One status type: the same words in API JSON, export files, map payloads and the script."""

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import AnonymousUser

from quartier.exports.service import build_export
from quartier.indicators import readlayer
from quartier.indicators.models import ImportBatch, Indicator, Value
from quartier.indicators.status import WORDS, Status
from quartier.spatial.models import Area, Level
from tests.exports.conftest import read_csv, refresh_caches

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)
SCRIPTS = Path(__file__).resolve().parents[2] / "src" / "quartier" / "explorer" / "static"


def test_each_status_has_its_word_german_word_and_mark():
    assert WORDS == ["ok", "missing", "suppressed", "confidential"]
    assert [s.german for s in Status] == ["", "keine Daten", "geheim", "vertraulich"]
    assert [s.mark for s in Status] == ["", "–", "•", "V"]
    assert [s.file_mark for s in Status] == ["", "", ".", ""]
    assert [s.shown for s in Status] == [True, False, False, True]
    assert all(Status.from_word(s.word) is s for s in Status)


@pytest.fixture
def gap(db):
    """A public indicator with values for every Sozialraum but the first: one cell missing."""
    indicator = Indicator.objects.create(
        key="luecke_test",
        name="Lückenhaft",
        topic="demografie",
        kind="other",
        decimals=1,
        visibility="public",
    )
    areas = list(Area.objects.filter(level__key="sozialraum").order_by("code"))
    batch = ImportBatch.objects.create(source_name="luecke.csv")
    Value.objects.bulk_create(
        Value(indicator=indicator, area=a, period=P2024, value=1.5, batch=batch) for a in areas[1:]
    )
    refresh_caches()
    return areas[0].code


def _cases(gap_code: str) -> dict[tuple[str, str], Status]:
    """{(indicator key, area code): status} of one shown, one hidden and one missing cell."""
    level = Level.objects.get(key="sozialraum")
    result = readlayer.area_values(
        AnonymousUser(), Indicator.objects.get(key="sgb2_u15"), level, P2024
    )
    hidden = next(c for c, _n, _v, s in result.rows() if s == Status.SUPPRESSED)
    shown = next(c for c, _n, _v, s in result.rows() if s == Status.OK)
    return {
        ("sgb2_u15", hidden): Status.SUPPRESSED,
        ("sgb2_u15", shown): Status.OK,
        ("luecke_test", gap_code): Status.MISSING,
    }


def test_api_exports_and_map_payload_use_the_same_words(client, users, gap):
    cases = _cases(gap)
    api = client.get(
        "/api/v1/values/?indicator=sgb2_u15,luecke_test&level=sozialraum&period=2024"
    ).json()
    api_status = {(r["indicator"], r["area"]): r["status"] for r in api["results"]}
    anonymous = users["anonymous"]
    keys = ["sgb2_u15", "luecke_test"]
    geojson = json.loads(build_export(anonymous, keys, ["sozialraum"], [P2024], "geojson").content)
    geo = {f["properties"]["schluessel"]: f["properties"] for f in geojson["features"]}
    _head, rows, _meta = read_csv(
        build_export(anonymous, keys, ["sozialraum"], [P2024], "csv").content, False
    )
    csv_cells = {row[1]: dict(zip(keys, row[4:], strict=True)) for row in rows}
    workbook = openpyxl.load_workbook(
        io.BytesIO(build_export(anonymous, keys, ["sozialraum"], [P2024], "xlsx").content)
    )
    xlsx = {
        r[1]: dict(zip(keys, r[4:], strict=True))
        for r in workbook["Sozialraum"].iter_rows(min_row=2, values_only=True)
    }
    maps = {}
    for key in keys:
        data = client.get(f"/karte/werte/?ebene=sozialraum&indikator={key}&stichtag={P2024}")
        maps[key] = data.json()
    codes = readlayer.area_values(
        anonymous, Indicator.objects.get(key="sgb2_u15"), Level.objects.get(key="sozialraum"), P2024
    ).codes
    for (key, code), status in cases.items():
        assert api_status[(key, code)] == status.word
        assert geo[code][f"{key}_status"] == (status.german or None)
        if status != Status.OK:
            assert csv_cells[code][key] == status.file_mark
            assert (xlsx[code][key] or "") == status.file_mark
        payload, i = maps[key], codes.index(code)
        code_of_cell = payload["status"][i] if payload["status"] else "0"
        assert payload["statuses"][code_of_cell]["word"] == status.word


def test_a_stewards_confidential_values_carry_the_confidential_word(client, users):
    hze = Indicator.objects.get(key="hze_faelle")
    level = Level.objects.get(key="sozialraum")
    mine = readlayer.area_values(users["steward"], hze, level, P2024)
    secret = [c for c, _n, _v, s in mine.rows() if s == Status.CONFIDENTIAL]
    assert secret
    client.force_login(users["steward"])
    api = client.get("/api/v1/values/?indicator=hze_faelle&level=sozialraum&period=2024").json()
    words = {r["area"]: r["status"] for r in api["results"]}
    assert {words[c] for c in secret} == {"confidential"} and api["confidential"]
    assert {w for c, w in words.items() if c not in secret} <= {"ok", "missing"}
    geojson = json.loads(
        build_export(users["steward"], ["hze_faelle"], ["sozialraum"], [P2024], "geojson").content
    )
    geo = {f["properties"]["schluessel"]: f["properties"] for f in geojson["features"]}
    assert {geo[c]["hze_faelle_status"] for c in secret} == {"vertraulich"}
    assert all(geo[c]["hze_faelle"] is not None for c in secret)
    data = client.get(f"/karte/werte/?ebene=sozialraum&indikator=hze_faelle&stichtag={P2024}")
    payload = data.json()
    assert {
        payload["statuses"][payload["status"][mine.codes.index(c)]]["word"] for c in secret
    } == {"confidential"}
    page = client.get(f"/tabelle/?ebene=sozialraum&indikator=hze_faelle&stichtag={P2024}")
    row = re.search(rf'<tr data-code="{secret[0]}">(.*?)</tr>', page.content.decode(), re.S)
    assert 'class="confidential-mark"' in row.group(1)
    text = client.get(
        f"/tabelle/csv/?ebene=sozialraum&indikator=hze_faelle&stichtag={P2024}&format=international"
    ).content.decode("utf-8-sig")
    cells = {r[0]: r[2] for r in csv.reader(io.StringIO(text)) if len(r) > 2}
    assert all(cells[c] not in ("", ".") for c in secret)


def test_the_map_script_knows_status_words_not_numbers():
    """The payload names each status code; the script compares words, never codes."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in SCRIPTS.rglob("*.js"))
    assert not re.search(r"status\s*[!=]==?\s*[\"']?\d", source)
    assert 'status.word === "suppressed"' in source
