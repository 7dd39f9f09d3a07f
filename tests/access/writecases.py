"""What each write route is asked to do in the write matrix, and who may do it.

Every case builds its own objects (inside the savepoint the matrix opens per
attempt; see writeobjects.py for the roles and owners) and names the roles that
may carry the write out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.access.writeobjects import (
    ANALYSIS_FORM,
    GEOMETRY_FORM,
    MSS_FORM,
    REPORT_FORM,
    TABLE_FORM,
    batch_of,
    geojson_bytes,
    geometry_job,
    index_of,
    microdata_job,
    microdata_spec,
    points_bytes,
    register_bytes,
    report_of,
    table_bytes,
    table_job,
    token_of,
)

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


# --- the cases ------------------------------------------------------------------------------


def _rollback(*keys: str, creator: str | None = None):
    def prepare(acc):
        batch = batch_of(*keys, creator=acc[creator] if creator else None)
        return reverse("imports:batch_rollback", args=[batch.pk]), {}

    return prepare


def _job_action(route, make, creator, data=None):
    def prepare(acc):
        return reverse(route, args=[make(acc[creator]).pk]), dict(data or {})

    return prepare


def _upload(route, field, name, content: Callable[[], bytes], extra=None):
    def prepare(_acc):
        return reverse(route), {field: SimpleUploadedFile(name, content()), **(extra or {})}

    return prepare


def _report(route, creator, data=None):
    def prepare(acc):
        return reverse(route, args=[report_of(acc[creator]).pk]), dict(data or {})

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
            ("imports:geometry_upload", "dateien", "probe.geojson", geojson_bytes, None),
            ("imports:table_upload", "dateien", "werte.csv", table_bytes, None),
            ("imports:microdata_upload", "dateien", "faelle.csv", points_bytes, None),
            ("imports:register", "datei", "hk.csv", register_bytes, {"crs": "EPSG:25832"}),
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
        # An order of the Steckbriefe of a level: the one area of the coarsest level (cheap);
        # its job and ZIP are the orderer's own (tests/reports/test_report_jobs.py).
        Case(
            "reports:start",
            "Steckbriefe of a level",
            _fixed("reports:start", {"ebene": "stadt"}),
            SIGNED_IN,
        ),
        Case("reports:new", "new report definition", _fixed("reports:new", REPORT_FORM), SIGNED_IN),
        *(
            Case(
                route,
                f"{what} of the Jugendamt steward's report",
                _report(route, "owner", data),
                OWN,
            )  # fmt: skip
            for route, what, data in (
                ("reports:edit", "edit", REPORT_FORM),
                ("reports:definition", "run", {"format": "pdf"}),
                ("reports:delete", "delete", None),
            )
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
