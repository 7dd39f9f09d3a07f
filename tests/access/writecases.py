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


def _procedure(pending: bool = False):
    """An open procedure of the Jugendamt over the Sozialräume of Stadtbezirk 01."""

    from django.utils import timezone

    from quartier.access.models import Unit
    from quartier.participation.models import Category, Contribution, Procedure
    from quartier.spatial.models import Area, Level

    today = timezone.localdate()
    procedure = Procedure.objects.create(
        key="matrix", title="Matrix", question="?", owner=Unit.objects.get(key="jugendamt"),
        level=Level.objects.get(key="sozialraum"), opens=today, closes=today,
    )  # fmt: skip
    procedure.areas.set(Area.objects.filter(level__key="sozialraum", parent__parent__code="01"))
    category = Category.objects.create(
        procedure=procedure, code="gern", label="Gern", symbol="herz"
    )
    if pending:
        Contribution.objects.create(
            procedure=procedure, category=category, area=procedure.areas.first()
        )
    return procedure


def _contribute(_acc):
    import time

    from django.core import signing

    from quartier.participation import guard

    procedure = _procedure()
    token = signing.dumps({"p": procedure.key, "t": time.time() - 5}, salt=guard._SALT)
    place = procedure.areas.first()
    data = {"kategorie": procedure.categories.get().pk, "ort": place.code, "token": token}
    return reverse("participation:contribute", args=[procedure.key]), data


def _approve(_acc):
    procedure = _procedure(pending=True)
    item = procedure.contributions.get()
    url = reverse("participation:moderation", args=[procedure.key])
    return url, {"beitrag": item.pk, "aktion": "freigeben"}


def _evaluate(_acc):
    procedure = _procedure(pending=True)
    procedure.contributions.update(status="approved")
    return reverse("participation:evaluate", args=[procedure.key]), {}


def _publish(_acc):
    procedure = _procedure()
    url = reverse("participation:publish", args=[procedure.key])
    return url, {"entscheidung": "Beschlossen.", "oeffentlich": "ja"}


def _new_procedure(_acc):
    from quartier.access.models import Unit
    from quartier.spatial.models import Area, Level

    return reverse("participation:new"), {
        "key": "neu", "title": "Neu", "question": "?", "audience": "alle",
        "owner": Unit.objects.get(key="jugendamt").pk,
        "level": Level.objects.get(key="sozialraum").pk, "opens": "2026-01-01",
        "closes": "2026-02-01", "within": Area.objects.get(level__key="stadtbezirk", code="01").pk,
        "kategorien": "herz: Gern",
    }  # fmt: skip


def _participation_cases() -> list[Case]:
    """Anyone contributes (no account); the Jugendamt's procedure is run by its staff."""
    everyone = frozenset({"anonymous", *SIGNED_IN})
    return [
        Case(
            "participation:contribute", "contribution to an open procedure", _contribute, everyone
        ),
        Case("participation:moderation", "approval in the Jugendamt's procedure", _approve, OWN),
        Case("participation:evaluate", "evaluation of the Jugendamt's procedure", _evaluate, OWN),
        Case("participation:publish", "results of the Jugendamt's procedure", _publish, OWN),
        # Another unit's staff get the form again: the Jugendamt is not among their units.
        Case(
            "participation:new",
            "procedure of the Jugendamt",
            _new_procedure,
            OWN,
            frozenset({"other"}),
        ),  # fmt: skip
    ]


CASES = (
    _rollback_cases()
    + _job_cases()
    + _upload_cases()
    + _own_object_cases()
    + _participation_cases()
)
