"""Individual records → counts per area, through the wizard; the records are never stored."""

import csv
import io
from datetime import date

import numpy as np
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from pyproj import Transformer

from quartier.imports.models import AddressEntry, ImportJob
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator, Value
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)


@pytest.fixture
def steward_client(client, users):
    client.force_login(users["steward"])
    return client


def blocks(n):
    return list(Area.objects.filter(level__key="baublock").order_by("code")[:n])


def csv_bytes(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def inside_points(area: Area, n: int, rng) -> list[tuple[float, float]]:
    shape = area.shape
    minx, miny, maxx, maxy = shape.bounds
    points = []
    while len(points) < n:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shape.contains(shapely.Point(lon, lat)):
            points.append(TO_UTM.transform(lon, lat))
    return points


def run_wizard(client, data: bytes, spec: dict) -> ImportJob:
    response = client.post(
        "/import/einzeldaten/", {"dateien": SimpleUploadedFile("faelle.csv", data)}
    )
    assert response.status_code == 302, response.content.decode()[:400]
    job = ImportJob.objects.get(kind=ImportJob.Kind.MICRODATA)
    response = client.post(f"/import/vorgang/{job.pk}/einzeldaten-pruefen/", spec)
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    return job


def test_points_are_counted_per_block_and_nothing_personal_is_kept(steward_client, users, client):
    rng = np.random.default_rng(1)
    a, b, c = blocks(3)
    rows = [[x, y, "Erika Mustermann", "unter 6"] for x, y in inside_points(a, 4, rng)]
    rows += [[x, y, "Max Muster", "6 bis 10"] for x, y in inside_points(b, 2, rng)]
    rows.append(rows[0])  # the same case twice: two records, both counted
    rows.append([100.0, 100.0, "Weit Weg", "unter 6"])  # far outside the city
    rows.append(["", "", "Ohne Ort", "unter 6"])
    data = csv_bytes(["rechtswert", "hochwert", "name", "alter"], rows)
    job = run_wizard(
        steward_client,
        data,
        {
            "mode": "coordinates",
            "x_column": "rechtswert",
            "y_column": "hochwert",
            "crs": "EPSG:25832",
            "indicator_name": "Sprachförderung ESU",
            "period": "31.12.2025",
            "category_column": "alter",
        },
    )
    assert job.status == ImportJob.Status.CHECKED
    assert not job.workdir or not __import__("pathlib").Path(job.workdir).exists()
    page = steward_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert 'data-count="placed">7<' in page and 'data-count="duplicates">1<' in page
    assert "Zeile 9" in page  # the point outside all areas, for the uploader only
    client.force_login(users["admin"])
    assert client.get(f"/import/vorgang/{job.pk}/").status_code == 404  # not even the admin
    steward_client.force_login(users["steward"])
    steward_client.post(f"/import/vorgang/{job.pk}/uebernehmen/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    total = Indicator.objects.get(name="Sprachförderung ESU")
    assert total.visibility == "restricted" and total.owner.key == "jugendamt"
    period = date(2025, 12, 31)
    stored = dict(
        Value.objects.filter(indicator=total, period=period).values_list("area__code", "value")
    )
    assert stored[a.code] == 5 and stored[b.code] == 2 and stored[c.code] == 0
    assert len(stored) == Area.objects.filter(level__key="baublock").count()  # zeros too
    split = Indicator.objects.get(name="Sprachförderung ESU: unter 6")
    assert Value.objects.get(indicator=split, area=a, period=period).value == 5
    # The splits add up to the total and are protected together.
    assert {i.name for i in total.sum_of.all()} == {
        "Sprachförderung ESU: unter 6",
        "Sprachförderung ESU: 6 bis 10",
    }
    city = readlayer.total_value(users["steward"], total, period)
    assert city == 7
    # nothing personal survives: not on the job, not in any value or indicator
    job.refresh_from_db()
    for field in (job.analysis, job.options, job.report, job.result):
        assert "Mustermann" not in str(field) and "Weit Weg" not in str(field)
    assert not Indicator.objects.filter(name__icontains="Mustermann").exists()


def test_a_point_on_a_shared_boundary_is_counted_once(steward_client):
    level = Level.objects.get(key="baublock")
    areas = list(Area.objects.filter(level=level).order_by("code")[:400])
    shapes = {a.code: a.shape for a in areas}
    first = areas[0]
    neighbour = next(
        a
        for a in areas[1:]
        if shapes[first.code].touches(shapes[a.code])
        and shapes[first.code].intersection(shapes[a.code]).length > 0
    )
    shared = shapes[first.code].intersection(shapes[neighbour.code])
    vertex = shapely.get_coordinates(shared)[0]  # a vertex both blocks share, in lon/lat
    data = csv_bytes(["lon", "lat"], [[vertex[0], vertex[1]]] * 3)
    job = run_wizard(
        steward_client,
        data,
        {
            "mode": "coordinates",
            "x_column": "lon",
            "y_column": "lat",
            "crs": "EPSG:4326",
            "indicator_name": "Grenzfall",
            "period": "2025",
        },
    )
    counts = job.report["counts"]
    assert sum(counts) == 3 and job.report["placed"] == 3
    assert max(counts) == 3  # all on one of the two blocks, not on both


def test_addresses_are_matched_against_the_house_coordinates(steward_client):
    a, b = blocks(2)
    ax, ay = TO_UTM.transform(*a.shape.representative_point().coords[0])
    bx, by = TO_UTM.transform(*b.shape.representative_point().coords[0])
    register = csv_bytes(
        ["strasse", "hausnummer", "zusatz", "plz", "rechtswert", "hochwert"],
        [
            [
                "Hauptstraße",
                "12",
                "a",
                "44135",
                f"{ax:.2f}".replace(".", ","),
                f"{ay:.2f}".replace(".", ","),
            ],
            [
                "Düsseldorfer Straße",
                "3",
                "",
                "44135",
                f"{bx:.2f}".replace(".", ","),
                f"{by:.2f}".replace(".", ","),
            ],
        ],
    )
    response = steward_client.post(
        "/import/hauskoordinaten/",
        {"datei": SimpleUploadedFile("hk.csv", register), "crs": "EPSG:25832"},
    )
    assert response.status_code == 302
    assert AddressEntry.objects.filter(ambiguous=False).count() >= 2
    # Two addresses, each stored with and without postcode, are two addresses to the user.
    page = steward_client.get("/import/hauskoordinaten/").content.decode()
    assert "2 Adressen übernommen" in page and "Derzeit sind 2 Adressen gespeichert" in page
    records = csv_bytes(
        ["strasse", "nr", "plz"],
        [
            ["Hauptstr.", "12 a", "44135"],
            ["HAUPTSTRASSE", "12A", ""],
            ["Duesseldorfer Str.", "003", "44135"],
            ["Nirgendweg", "1", "44135"],
        ],
    )
    job = run_wizard(
        steward_client,
        records,
        {
            "mode": "addresses",
            "street_column": "strasse",
            "number_column": "nr",
            "postcode_column": "plz",
            "indicator_name": "Wartelisten Kita",
            "period": "2025",
        },
    )
    assert job.report["placed"] == 3
    assert (
        job.report["unmatched"] == ["Zeile 5: Nirgendweg 1, 44135"]
        or "Nirgendweg" in job.report["unmatched"][0]
    )
    ids = job.report["area_ids"]
    counts = dict(zip(ids, job.report["counts"], strict=True))
    assert counts[a.pk] == 2 and counts[b.pk] == 1


def test_bad_coordinate_system_and_missing_columns(steward_client):
    data = csv_bytes(["x", "y"], [["1", "2"]])
    steward_client.post("/import/einzeldaten/", {"dateien": SimpleUploadedFile("f.csv", data)})
    job = ImportJob.objects.get(kind=ImportJob.Kind.MICRODATA)
    page = steward_client.post(
        f"/import/vorgang/{job.pk}/einzeldaten-pruefen/",
        {
            "mode": "coordinates",
            "x_column": "x",
            "y_column": "y",
            "crs": "EPSG:99999",
            "indicator_name": "X",
            "period": "2025",
        },
    ).content.decode()
    assert "Koordinatensystem" in page and 'role="alert"' in page
    page = steward_client.post(
        f"/import/vorgang/{job.pk}/einzeldaten-pruefen/",
        {"mode": "addresses", "indicator_name": "X", "period": "2025"},
    ).content.decode()
    assert 'role="alert"' in page


def test_more_unplaced_records_than_listed_are_counted_in_full(steward_client, tmp_path):
    """The wizard lists 500 rows but counts all; the command line lists all when asked."""
    from quartier.imports.microdata import MAX_LISTED, MicrodataSpec, aggregate
    from quartier.imports.tables import read_table

    rows = [[str(1000 + i), "10"] for i in range(MAX_LISTED + 100)]  # far outside the city
    data = csv_bytes(["x", "y"], rows)
    spec = {
        "mode": "coordinates",
        "x_column": "x",
        "y_column": "y",
        "crs": "EPSG:25832",
        "indicator_name": "Außerhalb",
        "period": "2025",
    }
    job = run_wizard(steward_client, data, spec)
    assert job.report["outside_total"] == MAX_LISTED + 100
    assert len(job.report["outside"]) == MAX_LISTED
    page = steward_client.get(f"/import/vorgang/{job.pk}/").content.decode()
    assert f'data-count="outside">{MAX_LISTED + 100}<' in page
    assert f"Die ersten {MAX_LISTED} von {MAX_LISTED + 100} sind aufgeführt" in page
    path = tmp_path / "faelle.csv"
    path.write_bytes(data)
    everything = aggregate(read_table(path), MicrodataSpec(**spec), listed=None)
    assert len(everything.outside) == everything.outside_total == MAX_LISTED + 100
