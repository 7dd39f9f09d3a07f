"""Objects the write matrix works on, each owned by one unit or one account.

The roles: ``owner`` is a data steward of the Jugendamt (owns ``hze_faelle``),
``other`` one of the Statistikstelle (owns ``ew_gesamt``); ``analyst``, ``admin``
and ``anonymous`` (None).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from quartier.access.models import ApiToken, Role, Unit, User
from quartier.access.tokens import create_token
from quartier.imports import jobs
from quartier.imports.models import ImportJob
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import ImportBatch, Indicator
from quartier.spatial.models import Area

P = date(2031, 12, 31)  # a Stichtag without demo data: the cases only add values


def accounts(users) -> dict:
    """The five roles of the matrix (anonymous is None)."""
    other = User.objects.create_user("statistikerin", password="x" * 12, role=Role.DATA_STEWARD)
    other.units.add(Unit.objects.get(key="statistik"))
    return {
        "anonymous": None,
        "analyst": users["analyst"],
        "owner": users["steward"],
        "other": other,
        "admin": users["admin"],
    }


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _districts() -> list[Area]:
    return list(Area.objects.filter(level__key="stadtbezirk").order_by("code"))


def table_bytes() -> bytes:
    """A CSV with one value per district ("schluessel", "wert")."""
    return _csv(["schluessel", "wert"], [[a.code, i + 3] for i, a in enumerate(_districts())])


def points_bytes() -> bytes:
    """Two records in the first block, as UTM coordinates."""
    from pyproj import Transformer

    block = Area.objects.filter(level__key="baublock").order_by("code").first()
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True).transform(
        *block.shape.representative_point().coords[0]
    )
    return _csv(["rechtswert", "hochwert"], [[f"{x:.1f}", f"{y:.1f}"]] * 2)


def geojson_bytes() -> bytes:
    """Two small squares inside the first district."""
    lon, lat = _districts()[0].shape.representative_point().coords[0]
    features = []
    for i in range(2):
        x = lon + i * 0.001
        ring = [[x, lat], [x + 0.0009, lat], [x + 0.0009, lat + 0.0009], [x, lat + 0.0009]]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": f"P{i}", "name": f"Probe {i}"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def register_bytes() -> bytes:
    """A one-address register of house coordinates."""
    return _csv(
        ["strasse", "hausnummer", "plz", "rechtswert", "hochwert"],
        [["Hauptstraße", "1", "44135", "390000", "5700000"]],
    )


# --- import jobs, each created by one account -------------------------------------------

TABLE_FORM = {
    "layout": "wide",
    "schluessel": "schluessel",
    "ebene": "stadtbezirk",
    "stichtag_art": "fest",
    "stichtag": P.isoformat(),
}


def table_job(creator, key: str, checked: bool) -> ImportJob:
    """A table job of ``creator`` writing district values into ``key``."""
    from quartier.imports.tablemap import TableMapping
    from quartier.imports.values_import import check_table
    from quartier.imports.views_table import load_table

    job = jobs.create_job(ImportJob.Kind.TABLE, [("werte.csv", table_bytes())], creator)
    table = load_table(job)
    mapping = TableMapping(
        layout="wide",
        key_column="schluessel",
        level="stadtbezirk",
        period=P.isoformat(),
        columns={"wert": key},
    )
    job.analysis = {"sheets": [], "notes": [], "columns": table.columns, "rows": len(table.rows)}
    job.options = {"mapping": mapping.to_json()}
    if checked:  # checked as the operator: the job may stem from before a change of rights
        report, _rows = check_table(table, mapping, None)
        job.report, job.status = report.to_json(), ImportJob.Status.CHECKED
    job.save()
    return job


def geometry_job(creator, checked: bool) -> ImportJob:
    """A geometry job of ``creator`` for a new level "probe"."""
    from quartier.imports.views_geo import analyse, options_from, trial

    job = jobs.create_job(ImportJob.Kind.GEOMETRY, [("probe.geojson", geojson_bytes())], creator)
    job.analysis = analyse(job)
    if checked:
        job.options = options_from(GEOMETRY_FORM, job.analysis)
        job.report, job.status = trial(job, job.options), ImportJob.Status.CHECKED
    job.save()
    return job


GEOMETRY_FORM = {"code_field": "code", "name_field": "name", "ebene_neu": "probe"}


def microdata_spec(key: str) -> dict:
    """The spec form: count the records into ``key`` (or a new count when empty)."""
    return {
        "mode": "coordinates",
        "x_column": "rechtswert",
        "y_column": "hochwert",
        "crs": "EPSG:25832",
        "indicator_key": key,
        "indicator_name": "" if key else "Probefälle",
        "period": P.isoformat(),
    }


def microdata_job(creator, key: str, checked: bool) -> ImportJob:
    """A microdata job of ``creator`` counting into ``key``."""
    from quartier.imports.microdata import MicrodataSpec, aggregate
    from quartier.imports.tables import read_table

    job = jobs.create_job(ImportJob.Kind.MICRODATA, [("faelle.csv", points_bytes())], creator)
    name, path = jobs.input_files(job)[0]
    table = read_table(path, original_name=name)
    job.analysis = {"columns": table.columns, "rows": len(table.rows), "notes": []}
    if checked:
        spec = MicrodataSpec(**microdata_spec(key))
        job.options = {"spec": spec.to_json()}
        job.report, job.status = aggregate(table, spec).to_json(), ImportJob.Status.CHECKED
    job.save()
    return job


# --- batches, analyses, tokens ------------------------------------------------------------


def batch_of(*keys: str, creator=None) -> ImportBatch:
    """A batch holding one value of each indicator in ``keys`` (none: an empty batch)."""
    batch = create_batch("probe.csv", user=creator)
    area = _districts()[0]
    rows = [(Indicator.objects.get(key=key).pk, area.pk, P, 3.0, "") for key in keys]
    if rows:
        write_values(batch, rows)
    return batch


def index_of(creator):
    """An index analysis of ``creator`` on public indicators."""
    from quartier.analysis.runs import run_index

    spec = {
        "components": [{"key": "kinderarmut", "direction": 1, "weight": 1}],
        "standardise": "z",
        "combine": "sum",
        "classify": "none",
    }
    return run_index(creator, f"Probe {creator.username}", "stadtteil", date(2024, 12, 31), spec)


MSS_FORM = {  # the start page's default method: the Berlin MSS, dynamics from the change
    "name": "Probe-MSS",
    "ebene": "stadtteil",
    "stichtag": "2024-12-31",
    "s1": "arbeitslosenquote",
    "s3": "sgb2_quote",
    "s4": "kinderarmut",
    "dynamik": "veraenderung",
    "dynamik_jahre": "2",
    "residents": "ew_gesamt",  # the preset leaves out areas under 300 residents
}
ANALYSIS_FORM = {
    "name": "Probeindex",
    "ebene": "stadtteil",
    "stichtag": "2024-12-31",
    "indikatoren": "kinderarmut",
    "standardisierung": "z",
    "kombination": "sum",
    "klassen": "none",
}


def token_of(user) -> ApiToken:
    """A token of ``user``."""
    return create_token(user, "Probe")[0]


REPORT_FORM = {"title": "Probebericht", "introduction": "", "k0-title": "Kinder",
               "k0-level": "stadt", "k0-indicators": ["kinderarmut"]}  # fmt: skip


def report_of(creator):
    """A Sozialbericht definition of ``creator``: one chapter, the city, a public indicator
    (a run renders one small map, chart and table)."""
    from quartier.reports.models import ReportDefinition

    chapter = {"title": "Kinder", "text": "", "level": "stadt", "indicators": ["kinderarmut"],
               "map": False, "chart": False}  # fmt: skip
    return ReportDefinition.objects.create(
        title=f"Bericht {creator.username}", chapters=[chapter], created_by=creator
    )
