"""GDAL's OAPIF driver (through pyogrio) against the running app: layers, every feature, CRS."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from quartier.spatial.index import area_index
from quartier.spatial.models import Area
from tests.ogc.helpers import LATEST, default_keys, expected_values, same, suppressed_codes

pytestmark = pytest.mark.django_db


def codes(level):
    return area_index().valid_labels(area_index().level(level), None)[0]


def check_values(df, level, keys, period=LATEST):
    for key in keys:
        want = expected_values(key, level, period)
        got = dict(zip(df["id"], df[key], strict=True))
        wrong = [c for c in want if not same(got[c], want[c])]
        assert not wrong, (key, wrong[:5])


def test_gdal_lists_one_layer_per_level(server, gdal):
    layers = gdal("list_layers", f"OAPIF:{server}/ogc")
    assert [name for name, _kind in layers] == [
        "stadt",
        "stadtbezirk",
        "stadtteil",
        "sozialraum",
        "baublock",
    ]
    info = gdal("read_info", f"OAPIF:{server}/ogc", layer="stadtteil")
    assert info["features"] == 45
    assert info["layer_metadata"]["TITLE"] == "Stadtteil"
    fields = dict(zip(info["fields"], info["ogr_types"], strict=True))
    assert fields["period"] == "OFTDate" and fields["kinderarmut"] == "OFTReal"
    assert fields["code"] == "OFTString"


def test_gdal_reads_every_sozialraum_page_by_page_with_all_values(server, gdal):
    # 40 per page: the 225 features only arrive if GDAL follows six next links.
    df = gdal("read_dataframe", f"OAPIF:{server}/ogc", layer="sozialraum", PAGE_SIZE=40)
    assert len(df) == 225
    assert list(df["id"]) == codes("sozialraum")
    assert list(df["code"]) == list(df["id"])
    assert df.crs.to_string() == "OGC:CRS84"
    keys = default_keys()
    assert [c for c in df.columns if c in keys] == keys
    check_values(df, "sozialraum", keys)
    hidden = suppressed_codes("arbeitslose", "sozialraum")
    assert hidden
    rows = df.set_index("id").loc[sorted(hidden)]
    assert rows["arbeitslose"].isna().all()
    assert rows["suppressed"].str.contains("arbeitslose").all()


def test_gdal_reads_all_5000_blocks_with_selected_properties(server, gdal):
    url = f"OAPIF:{server}/ogc?properties=ew_gesamt,arbeitslose,kinderarmut"
    df = gdal("read_dataframe", url, layer="baublock")
    assert len(df) == 5000 and df["id"].is_unique
    assert list(df["id"]) == codes("baublock")
    assert df["id"].str.len().eq(8).all() and df["id"].iloc[0] == "01101001"  # leading zero
    check_values(df, "baublock", ["ew_gesamt", "arbeitslose", "kinderarmut"])


def test_gdal_reads_utm32_coordinates_and_filters_by_bbox(server, gdal):
    df = gdal(
        "read_dataframe",
        f"OAPIF:{server}/ogc?properties=ew_gesamt",
        layer="stadtteil",
        CRS="EPSG:25832",
    )
    assert df.crs.to_epsg() == 25832 and len(df) == 45
    forward = Transformer.from_crs("OGC:CRS84", "EPSG:25832", always_xy=True)
    stored = dict(
        Area.objects.filter(level__key="stadtteil", valid_to__isnull=True).values_list(
            "code", "geometry"
        )
    )
    for code, shape in zip(df["id"], df.geometry, strict=True):
        lonlat = shapely.get_coordinates(shapely.from_wkb(bytes(stored[code])))
        want = np.column_stack(forward.transform(lonlat[:, 0], lonlat[:, 1]))
        assert np.abs(shapely.get_coordinates(shape) - want).max() < 0.001, code
    minx, miny, maxx, maxy = df.total_bounds
    box = (minx + 2000, miny + 2000, minx + 5000, miny + 4000)
    inside = gdal(
        "read_dataframe",
        f"OAPIF:{server}/ogc?properties=ew_gesamt",
        layer="stadtteil",
        CRS="EPSG:25832",
        bbox=box,
    )
    want = sorted(df.loc[df.intersects(shapely.box(*box)), "id"])
    assert 0 < len(want) < 45
    assert sorted(inside["id"]) == want


def test_gdal_date_filter_becomes_the_datetime_parameter(server, gdal):
    df = gdal(
        "read_dataframe",
        f"OAPIF:{server}/ogc?properties=kinderarmut",
        layer="stadtteil",
        where="period = '2016-12-31'",
    )
    assert len(df) == 45
    assert (df["period"].dt.strftime("%Y-%m-%d") == "2016-12-31").all()
    check_values(df, "stadtteil", ["kinderarmut"], date(2016, 12, 31))
