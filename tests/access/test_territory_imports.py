"""Issue 18: a Gemeinde's data steward imports values only for the Gemeinde's areas.

The Musterstadt stands in for a Kreis here: its Stadtbezirke 01 and 02 are Gemeinden A
and B, and the Jugendamt (whose data steward the ``steward`` account is) belongs to B.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quartier.access.models import Territory, Unit
from quartier.access.territories import outside_codes
from quartier.errors import QuartierError
from quartier.imports.checkreport import CheckFailed
from quartier.imports.tablemap import TableMapping
from quartier.imports.tables import RawTable
from quartier.imports.values_import import check_table, commit_table
from quartier.indicators.models import ImportBatch, Value
from quartier.spatial.index import area_index
from quartier.spatial.models import Area

pytestmark = pytest.mark.django_db


@pytest.fixture
def gemeinden(users):
    """Kreis (the Stadt's area) with Gemeinden A (Stadtbezirk 01) and B (02)."""
    bezirk = {a.code: a for a in Area.objects.filter(level__key="stadtbezirk")}
    kreis = Territory.objects.create(
        key="kreis", name="Musterkreis", kind="kreis", area=Area.objects.get(level__key="stadt")
    )
    a = Territory.objects.create(
        key="a", name="A", kind="gemeinde", parent=kreis, area=bezirk["01"]
    )
    b = Territory.objects.create(
        key="b", name="B", kind="gemeinde", parent=kreis, area=bezirk["02"]
    )
    Unit.objects.filter(key="jugendamt").update(territory=b)
    return {"kreis": kreis, "a": a, "b": b}


def codes_in(territory: Territory, level: str) -> list[str]:
    """Codes of the areas of ``level`` inside ``territory``."""
    index = area_index()
    areas = index.areas(index.level(level))
    inside = np.isin(areas.ids, index.within({territory.area_id}))
    return sorted(areas.codes[i] for i in np.flatnonzero(inside))


def table(codes: list[str]) -> RawTable:
    rows = [[code, "7"] for code in codes]
    return RawTable(["Gebiet", "HzE"], rows, 0, "csv", "utf-8", ";", ",", ".", None, [], [])


MAPPING = TableMapping(
    layout="wide",
    key_column="Gebiet",
    level="stadtteil",
    period="2025-12-31",
    columns={"HzE": "hze_faelle"},
)


def test_a_value_for_another_gemeindes_area_stops_the_import(users, gemeinden):
    steward = type(users["steward"]).objects.get(pk=users["steward"].pk)
    own = codes_in(gemeinden["b"], "stadtteil")
    other = codes_in(gemeinden["a"], "stadtteil")
    assert own and other and not set(own) & set(other)
    report, _rows = check_table(table(own + other[:1]), MAPPING, steward)
    outside = [e for e in report.errors if "außerhalb Ihrer Gebietskörperschaft" in e]
    assert len(outside) == 1 and other[0] in outside[0]
    before = Value.objects.count(), ImportBatch.objects.count()
    with pytest.raises(CheckFailed):
        commit_table(table(own + other[:1]), MAPPING, user=steward, source_name="x", sha256="1")
    assert (Value.objects.count(), ImportBatch.objects.count()) == before
    # The warning about areas without values names only the steward's own.
    report, _rows = check_table(table(own[:1]), MAPPING, steward)
    assert not report.errors
    missing = " ".join(w for w in report.warnings if "ohne Werte" in w)
    assert own[1] in missing and other[0] not in missing
    batch, _report = commit_table(table(own), MAPPING, user=steward, source_name="x", sha256="2")
    stored = Value.objects.filter(batch=batch)
    assert sorted(stored.values_list("area__code", flat=True)) == own


def test_the_kreis_and_the_administration_import_everywhere(users, gemeinden):
    everywhere = codes_in(gemeinden["a"], "stadtteil") + codes_in(gemeinden["b"], "stadtteil")
    report, _rows = check_table(table(everywhere), MAPPING, users["admin"])
    assert not report.errors
    Unit.objects.filter(key="jugendamt").update(territory=gemeinden["kreis"])
    steward = type(users["steward"]).objects.get(pk=users["steward"].pk)
    report, _rows = check_table(table(everywhere), MAPPING, steward)
    assert not report.errors
    assert outside_codes(steward, np.array([Area.objects.get(level__key="stadt").pk])) == []
    # A territory without an area, or a unit without a territory, is not limited either.
    Territory.objects.filter(pk=gemeinden["kreis"].pk).update(area=None)
    assert check_table(table(everywhere), MAPPING, steward)[0].errors == []


def test_records_elsewhere_are_not_counted_into_a_gemeindes_areas(client, users, gemeinden):
    """Einzeldaten: the steward of B counts only in B's blocks; a record in A is outside."""
    from pyproj import Transformer

    from quartier.imports.microdata import Aggregation, MicrodataSpec, commit

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    own = Area.objects.get(level__key="baublock", code=codes_in(gemeinden["b"], "baublock")[0])
    other = Area.objects.get(level__key="baublock", code=codes_in(gemeinden["a"], "baublock")[0])
    points = [to_utm.transform(*a.shape.representative_point().coords[0]) for a in (own, other)]
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(
        [["x", "y"], *[[f"{x:.1f}", f"{y:.1f}"] for x, y in points]]
    )
    client.force_login(users["steward"])
    upload = SimpleUploadedFile("faelle.csv", out.getvalue().encode())
    assert client.post("/import/einzeldaten/", {"dateien": upload}).status_code == 302
    from quartier.imports.models import ImportJob

    job = ImportJob.objects.get(kind=ImportJob.Kind.MICRODATA)
    spec = {
        "mode": "coordinates",
        "x_column": "x",
        "y_column": "y",
        "crs": "EPSG:25832",
        "indicator_name": "Fälle B",
        "period": "2025",
    }
    assert client.post(f"/import/vorgang/{job.pk}/einzeldaten-pruefen/", spec).status_code == 302
    job.refresh_from_db()
    assert job.report["placed"] == 1 and job.report["outside_total"] == 1
    counted = dict(zip(job.report["area_ids"], job.report["counts"], strict=True))
    assert counted[own.pk] == 1 and other.pk not in counted
    assert set(counted) <= set(area_index().within({gemeinden["b"].area_id}).tolist())
    # A count for A's areas (a changed job, a stale report) is refused when stored.
    steward = type(users["steward"]).objects.get(pk=users["steward"].pk)
    forged = Aggregation("baublock", date(2025, 12, 31), [other.pk], [1])
    with pytest.raises(QuartierError) as refused:
        commit(forged, MicrodataSpec(**spec), user=steward, source_name="x", sha256="3")
    assert refused.value.status == 403


def test_another_gemeindes_batch_and_internal_data_stay_out_of_reach(client, users, gemeinden):
    """Issue 18's acceptance for writes and analyses: B's data steward can neither roll back
    a batch of Gemeinde A's Gesundheitsamt nor build an index from A's internal indicators;
    A's own steward can."""
    from quartier.access.models import Role, User
    from quartier.analysis.models import Analysis
    from quartier.indicators.batches import create_batch, write_values
    from quartier.indicators.models import Indicator

    Unit.objects.filter(key="gesundheitsamt").update(territory=gemeinden["a"])
    in_a = User.objects.create_user("a", password="x" * 12, role=Role.DATA_STEWARD)
    in_a.units.add(Unit.objects.get(key="gesundheitsamt"))
    area = Area.objects.get(level__key="stadtteil", code=codes_in(gemeinden["a"], "stadtteil")[0])
    overweight = Indicator.objects.get(key="esu_uebergewicht")
    batch = create_batch("esu.csv", user=in_a)
    write_values(batch, [(overweight.pk, area.pk, date(2025, 12, 31), 4.0, "")])
    client.force_login(users["steward"])  # Gemeinde B's Jugendamt
    response = client.post(f"/import/laeufe/{batch.pk}/zuruecknehmen/")
    assert response.status_code in (403, 404)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    keys = ["quote_uebergewicht", "kinderarmut"]
    form = {
        "name": "Index über A",
        "ebene": "stadtbezirk",
        "stichtag": "2024-12-31",
        "indikatoren": keys,
        "standardisierung": "z",
        "kombination": "sum",
        "erneut": "ja",
        "klassen": "sd",
        **{f"richtung-{k}": "1" for k in keys},
        **{f"gewicht-{k}": "1" for k in keys},
    }
    before = Analysis.objects.count()
    refused = client.post("/analysen/neu/index/", form)
    assert refused.status_code != 302 and Analysis.objects.count() == before
    assert Indicator.objects.get(key="quote_uebergewicht").name not in refused.content.decode()
    assert "„quote_uebergewicht“ nicht gefunden" in refused.content.decode()  # as if unknown
    # A's own steward gets past the rights to the data: at this level every value of the
    # Gesundheitsamt's strict counts is hidden, so the index has nothing to standardize.
    client.force_login(in_a)
    answered = client.post("/analysen/neu/index/", form).content.decode()
    assert "„quote_uebergewicht“: Für eine Standardisierung" in answered
