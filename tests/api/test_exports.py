"""File exports through the API, each format asked for by the documented ``format`` parameter."""

from __future__ import annotations

import io
import json

import openpyxl
import pyogrio
import pytest

from quartier.spatial.index import area_index
from tests.exports.conftest import P24, csv_number, expected, read_csv

pytestmark = pytest.mark.django_db
URL = "/api/v1/exports/"
QUERY = {"indicator": "kinderarmut,ew_gesamt", "level": "stadtbezirk", "period": "2024"}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "csv-de": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}


def rows_of(fmt: str, content: bytes, tmp_path) -> dict[str, object]:
    """{area code: shown kinderarmut value} read back from the file with a real parser."""
    if fmt in ("csv", "csv-de"):
        german = fmt == "csv-de"
        header, rows, _meta = read_csv(content, german)
        column = next(i for i, name in enumerate(header) if name.startswith("kinderarmut"))
        return {r[1]: csv_number(r[column], german) if r[column] else None for r in rows}
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content))["Stadtbezirk"]
        rows = list(sheet.iter_rows(values_only=True))
        column = next(i for i, name in enumerate(rows[0]) if name.startswith("kinderarmut"))
        return {r[1]: r[column] for r in rows[1:]}
    if fmt == "geojson":
        doc = json.loads(content)
        assert doc["type"] == "FeatureCollection"
        return {
            f["properties"]["schluessel"]: f["properties"]["kinderarmut"] for f in doc["features"]
        }
    path = tmp_path / "export.gpkg"
    path.write_bytes(content)
    frame = pyogrio.read_dataframe(path, layer="stadtbezirk")
    assert frame.geometry.notna().all()
    return dict(zip(frame["schluessel"], frame["kinderarmut"], strict=True))


@pytest.mark.parametrize("fmt", sorted(MEDIA_TYPES))
def test_every_format_by_the_documented_parameter(client, users, tmp_path, fmt):
    # Issue 13: DRF took ``format`` as its own renderer override and answered 404.
    response = client.get(URL, {**QUERY, "format": fmt})
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == MEDIA_TYPES[fmt]
    extension = "csv" if fmt.startswith("csv") else fmt
    assert response["Content-Disposition"].endswith(f'.{extension}"')
    got = rows_of(fmt, response.content, tmp_path)
    want = expected(users["anonymous"], "kinderarmut", "stadtbezirk", P24)
    assert (
        len(got)
        == len(want)
        == area_index().valid_positions(area_index().level("stadtbezirk"), P24).size
    )
    for code, (_status, value) in want.items():
        assert got[code] == pytest.approx(value), code


def test_format_and_accept_do_not_choose_a_renderer(client):
    default = client.get(URL, QUERY)
    assert default.status_code == 200 and default["Content-Type"] == MEDIA_TYPES["csv"]
    # A client naming the media type it wants is not refused (406) either.
    gpkg = client.get(URL, {**QUERY, "format": "gpkg"}, HTTP_ACCEPT=MEDIA_TYPES["gpkg"])
    assert gpkg.status_code == 200 and gpkg["Content-Type"] == MEDIA_TYPES["gpkg"]
    unknown = client.get(URL, {**QUERY, "format": "pdf"})
    assert unknown.status_code == 400 and unknown["Content-Type"] == "application/json"
    assert "csv-de" in unknown.json()["error"]  # the message lists the formats
    assert client.get(URL, {**QUERY, "format": "json"}).status_code == 400  # not a file format
    # Elsewhere DRF's own parameter still works, e.g. for the OpenAPI document.
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
