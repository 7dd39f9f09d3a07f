"""Readers for the exported files and expected values straight from the read layer."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest

from quartier.core.numbers import round_half_up
from quartier.indicators import readlayer
from quartier.spatial.index import area_index

P23, P24 = date(2023, 12, 31), date(2024, 12, 31)


def refresh_caches():
    """After writing values or areas inside a test: forget every cache keyed by data state."""
    from quartier.indicators import store
    from quartier.indicators.datastate import bump
    from quartier.indicators.readlayer import stored_periods
    from quartier.spatial.index import clear_area_index

    clear_area_index()
    stored_periods.cache_clear()
    store.clear()
    bump()


def expected(user, key: str, level_key: str, period: date) -> dict[str, tuple[int, object]]:
    """{code: (status, shown value)} as the read layer gives it (rounded like every output)."""
    indicator = readlayer.get_indicator(user, key)
    result = readlayer.area_values(user, indicator, area_index().level(level_key), period)
    out = {}
    for code, _name, value, status in result.rows():
        label = indicator.category_label(value) if value is not None else None
        if label is not None:
            value = label
        elif value is not None:
            value = round_half_up(value, indicator.decimals)
        out[code] = (status, value)
    return out


def read_csv(content: bytes, german: bool):
    """(header, data rows, metadata rows) of an exported CSV; checks BOM and line ends."""
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if german else ","))
    end = rows.index([])
    return rows[0], rows[1:end], rows[end + 1 :]


def csv_number(text: str, german: bool) -> float:
    """A number cell of the CSV (decimal comma for csv-de)."""
    if german:
        assert "." not in text, text
        text = text.replace(",", ".")
    return float(text)


def sheet_xml(content: bytes) -> str:
    """All worksheet and shared-string XML of an XLSX file, decoded."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/") and n.endswith(".xml")]
        return "".join(archive.read(n).decode("utf-8") for n in names)


@pytest.fixture
def planted(db):
    """Two public indicators on the Stadtteile, 2024: a balance with negative values and classes."""
    from quartier.indicators.models import ImportBatch, Indicator, Value
    from quartier.spatial.models import Area

    batch = ImportBatch.objects.create(source_name="test.csv")
    saldo = Indicator.objects.create(
        key="saldo_test",
        name="Wanderungssaldo",
        topic="demografie",
        kind="other",
        unit="je 1.000",
        decimals=1,
        visibility="public",
    )
    klasse = Indicator.objects.create(
        key="klasse_test",
        name="Gebietstyp",
        topic="soziales",
        kind="other",
        decimals=0,
        visibility="public",
        categories=[{"code": 1, "label": "stabil"}, {"code": 2, "label": "-belastet"}],
        definition={"verfahren": "typologie", "eingaben": ["kinderarmut"]},
    )
    areas = list(
        Area.objects.filter(level__key="stadtteil", valid_to__isnull=True).order_by("code")
    )
    saldo_values = {a.code: -12.345 + 1.1 * i for i, a in enumerate(areas)}
    Value.objects.bulk_create(
        [
            Value(indicator=saldo, area=a, period=P24, value=saldo_values[a.code], batch=batch)
            for a in areas
        ]
        + [
            Value(indicator=klasse, area=a, period=P24, value=1 + i % 2, batch=batch)
            for i, a in enumerate(areas)
        ]
    )
    refresh_caches()
    return {"saldo": saldo, "klasse": klasse, "saldo_values": saldo_values, "areas": areas}
