"""What each write route is asked to do in the write matrix, and who may do it.

Every case builds its own objects (inside the savepoint the matrix opens per
attempt), owned by one unit or one account, and names the roles that may carry
the write out:

* ``owner`` — a data steward of the Jugendamt (owns ``hze_faelle``);
* ``other`` — a data steward of the Statistikstelle (owns ``ew_gesamt``);
* ``analyst``, ``admin`` and ``anonymous``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quartier.access.models import ApiToken, Role, Unit, User
from quartier.access.tokens import create_token
from quartier.imports import jobs
from quartier.imports.models import ImportJob
from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import ImportBatch, Indicator
from quartier.spatial.models import Area

P = date(2031, 12, 31)  # a Stichtag without demo data: the cases only add values
SIGNED_IN = frozenset({"analyst", "owner", "other", "admin"})
STEWARDS_AND_ADMIN = frozenset({"owner", "other", "admin"})


@dataclass(frozen=True)
class Case:
    """One write: the URL pattern it uses, what it is done to, and who may do it."""

    route: str  # namespaced URL pattern name
    about: str  # what the case writes to, and whose it is
    prepare: Callable[[dict], tuple[str, dict]]  # accounts → (url, POST data)
    allowed: frozenset[str]  # roles whose request carries the write out
    harmless: frozenset[str] = frozenset()  # roles answered normally, but nothing is written


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


def _table_bytes() -> bytes:
    return _csv(["schluessel", "wert"], [[a.code, i + 3] for i, a in enumerate(_districts())])


def _points_bytes() -> bytes:
    """Two records in the first block, as UTM coordinates."""
    from pyproj import Transformer

    block = Area.objects.filter(level__key="baublock").order_by("code").first()
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True).transform(
        *block.shape.representative_point().coords[0]
    )
    return _csv(["rechtswert", "hochwert"], [[f"{x:.1f}", f"{y:.1f}"]] * 2)


def _geojson_bytes() -> bytes:
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


def _register_bytes() -> bytes:
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

    job = jobs.create_job(ImportJob.Kind.TABLE, [("werte.csv", _table_bytes())], creator)
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

    job = jobs.create_job(ImportJob.Kind.GEOMETRY, [("probe.geojson", _geojson_bytes())], creator)
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

    job = jobs.create_job(ImportJob.Kind.MICRODATA, [("faelle.csv", _points_bytes())], creator)
    name, path = jobs.input_files(job)[0]
    table = read_table(path, original_name=name)
    job.analysis = {"columns": table.columns, "rows": len(table.rows), "notes": []}
    if checked:
        spec = MicrodataSpec(**microdata_spec(key))
        job.options = {"spec": spec.to_json()}
        job.report, job.status = aggregate(table, spec).to_json(), ImportJob.Status.CHECKED
    job.save()
    return job


def _job_url(route: str, job: ImportJob) -> str:
    return reverse(route, args=[job.pk])


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


# --- the cases ------------------------------------------------------------------------------


def _rollback(*keys: str, creator: str | None = None):
    def prepare(acc):
        batch = batch_of(*keys, creator=acc[creator] if creator else None)
        return reverse("imports:batch_rollback", args=[batch.pk]), {}

    return prepare


def _job_action(route, make, creator, data=None):
    def prepare(acc):
        return _job_url(route, make(acc[creator])), dict(data or {})

    return prepare


def _upload(route, field, name, content: Callable[[], bytes], extra=None):
    def prepare(_acc):
        return reverse(route), {field: SimpleUploadedFile(name, content()), **(extra or {})}

    return prepare


def _rerun(creator):
    def prepare(acc):
        analysis = index_of(acc[creator])
        return reverse("analysis:rerun", args=[analysis.pk]), {"stichtag": "2023-12-31"}

    return prepare


def _revoke(owner):
    def prepare(acc):
        return reverse("access:token_revoke", args=[token_of(acc[owner]).pk]), {}

    return prepare


def _fixed(url_name, data, **kwargs):
    def prepare(_acc):
        return reverse(url_name, kwargs=kwargs or None), dict(data)

    return prepare


def _table(key: str, checked: bool):
    return lambda user: table_job(user, key, checked)


def _micro(key: str, checked: bool):
    return lambda user: microdata_job(user, key, checked)


def _geo(checked: bool):
    return lambda user: geometry_job(user, checked)


OWN = frozenset({"owner", "admin"})
ACCEPT = {"warnungen_akzeptiert": "ja"}


def _rollback_cases() -> list[Case]:
    """A batch is owned by the units of the indicators it holds values for."""
    route = "imports:batch_rollback"
    return [
        Case(route, "Jugendamt batch", _rollback("hze_faelle"), OWN),
        Case(route, "Statistikstelle batch", _rollback("ew_gesamt"), frozenset({"other", "admin"})),
        Case(
            route,
            "batch of both units, made by the Jugendamt steward",
            _rollback("hze_faelle", "ew_gesamt", creator="owner"),
            frozenset({"admin"}),
        ),
        Case(route, "empty batch of the Jugendamt steward", _rollback(creator="owner"), OWN),
    ]


def _job_cases() -> list[Case]:
    """Jobs belong to their uploader (administrators: all but microdata); so do their writes."""
    form = {**TABLE_FORM, "spalte-1-ziel": "hze_faelle"}
    alone, nobody = frozenset({"owner"}), frozenset()
    return [
        Case(
            "imports:table_check",
            "Jugendamt table job",
            _job_action("imports:table_check", _table("hze_faelle", False), "owner", form),
            OWN,
        ),
        Case(
            "imports:commit",
            "Jugendamt table job",
            _job_action("imports:commit", _table("hze_faelle", True), "owner", ACCEPT),
            OWN,
        ),
        Case(
            "imports:commit",
            "Jugendamt steward's table job into the Statistikstelle's indicator",
            _job_action("imports:commit", _table("ew_gesamt", True), "owner", ACCEPT),
            frozenset({"admin"}),  # the administrator may import into anything
        ),
        Case(
            "imports:back",
            "Jugendamt table job",
            _job_action("imports:back", _table("hze_faelle", True), "owner"),
            OWN,
        ),
        Case(
            "imports:cancel",
            "Jugendamt table job",
            _job_action("imports:cancel", _table("hze_faelle", False), "owner"),
            OWN,
        ),
        Case(
            "imports:geometry_check",
            "geometry job of the Jugendamt steward",
            _job_action("imports:geometry_check", _geo(False), "owner", GEOMETRY_FORM),
            OWN,
        ),
        Case(
            "imports:commit",
            "geometry job of the Jugendamt steward",
            _job_action("imports:commit", _geo(True), "owner"),
            OWN,
        ),
        Case(
            "imports:microdata_check",
            "microdata into the Jugendamt's count",
            _job_action(
                "imports:microdata_check", _micro("", False), "owner", microdata_spec("hze_faelle")
            ),
            alone,
        ),
        Case(
            "imports:commit",
            "microdata into the Jugendamt's count",
            _job_action("imports:commit", _micro("hze_faelle", True), "owner"),
            alone,
        ),
        Case(
            "imports:microdata_check",
            "Jugendamt steward's microdata into the Statistikstelle's count",
            _job_action(
                "imports:microdata_check", _micro("", False), "owner", microdata_spec("ew_gesamt")
            ),
            nobody,
        ),
        Case(
            "imports:commit",
            "Jugendamt steward's microdata into the Statistikstelle's count",
            _job_action("imports:commit", _micro("ew_gesamt", True), "owner"),
            nobody,
        ),
    ]


def _upload_cases() -> list[Case]:
    """Boundaries and addresses are shared base data; a new upload is one's own job."""
    return [
        Case(
            route,
            "new upload",
            _upload(route, field, name, content, extra),
            STEWARDS_AND_ADMIN,
        )
        for route, field, name, content, extra in (
            ("imports:geometry_upload", "dateien", "probe.geojson", _geojson_bytes, None),
            ("imports:table_upload", "dateien", "werte.csv", _table_bytes, None),
            ("imports:microdata_upload", "dateien", "faelle.csv", _points_bytes, None),
            ("imports:register", "datei", "hk.csv", _register_bytes, {"crs": "EPSG:25832"}),
        )
    ]


def _own_object_cases() -> list[Case]:
    """Analyses and tokens: everyone signed in makes their own; others' only administrators."""
    return [
        Case("analysis:start", "new MSS analysis", _fixed("analysis:start", MSS_FORM), SIGNED_IN),
        Case(
            "analysis:new",
            "new analysis",
            _fixed("analysis:new", ANALYSIS_FORM, kind="index"),
            SIGNED_IN,
        ),
        Case("analysis:rerun", "analysis of the Jugendamt steward", _rerun("owner"), OWN),
        Case(
            "analysis:rerun",
            "analysis of the analyst",
            _rerun("analyst"),
            frozenset({"analyst", "admin"}),
        ),
        Case(
            "access:token_create",
            "new token",
            _fixed("access:token_create", {"name": "Probe"}),
            SIGNED_IN,
        ),
        Case("access:token_revoke", "token of the Jugendamt steward", _revoke("owner"), OWN),
        Case(
            "access:token_revoke",
            "token of the analyst",
            _revoke("analyst"),
            frozenset({"analyst", "admin"}),
        ),
    ]


CASES = _rollback_cases() + _job_cases() + _upload_cases() + _own_object_cases()
