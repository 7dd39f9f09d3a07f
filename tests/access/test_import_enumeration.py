"""An indicator a user may not see is answered exactly like an unknown key, on every import path.

As a data steward of the Statistikstelle, ``hze_faelle`` (restricted to the
Jugendamt) must be indistinguishable from a key that does not exist: in the
table wizard (as a target column and as a new rate's numerator), in the JSON
mapping that the wizard and ``quartier import table --mapping`` share, and in
the microdata wizard — same status, same message, nothing written.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quartier.access.models import Role, Unit, User
from quartier.errors import QuartierError
from quartier.imports.models import ImportJob
from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.imports.values_import import check_table, commit_table
from quartier.indicators.models import Indicator, Value
from tests.access.writeobjects import TABLE_FORM, P, microdata_spec, points_bytes, table_bytes

pytestmark = pytest.mark.django_db
RESTRICTED, UNKNOWN = "hze_faelle", "gibt_es_nicht"
NAME = "Hilfen zur Erziehung"  # the start of hze_faelle's name


@pytest.fixture
def statistik(client):
    """A signed-in data steward of the Statistikstelle (who may not see hze_faelle)."""
    user = User.objects.create_user("statistikerin", password="x" * 12, role=Role.DATA_STEWARD)
    user.units.add(Unit.objects.get(key="statistik"))
    client.force_login(user)
    return user


def normalised(response, key: str) -> str:
    """The page without what differs between any two renderings: CSRF tokens, ids, the key."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)
    return text.replace(key, "KEY")


def upload(client, url: str, name: str, data: bytes) -> ImportJob:
    response = client.post(url, {"dateien": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content.decode()[:300]
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def table_answers(client, form_for) -> dict:
    """The wizard's answer to the mapping ``form_for(key)``, for both keys, on one job."""
    job = upload(client, "/import/tabelle/", "werte.csv", table_bytes())
    answers = {}
    for key in (RESTRICTED, UNKNOWN):
        response = client.post(f"/import/vorgang/{job.pk}/tabelle-pruefen/", form_for(key))
        answers[key] = (response.status_code, normalised(response, key))
    return answers


def test_a_restricted_target_column_reads_like_an_unknown_key(client, statistik):
    answers = table_answers(client, lambda key: {**TABLE_FORM, "spalte-1-ziel": key})
    assert answers[RESTRICTED] == answers[UNKNOWN]
    assert NAME not in answers[RESTRICTED][1]
    assert "Unbekannte Indikatoren in der Zuordnung: KEY." in answers[UNKNOWN][1]


def test_a_restricted_numerator_of_a_new_rate_reads_like_an_unknown_key(client, statistik):
    def form(key):
        return {
            **TABLE_FORM,
            "spalte-1-ziel": "neu:rate",
            "spalte-1-name": "Neue Quote",
            "spalte-1-zaehler": key,
            "spalte-1-nenner": "ew_gesamt",
        }

    answers = table_answers(client, form)
    assert answers[RESTRICTED] == answers[UNKNOWN]
    assert "Unbekannte Indikatoren in der Zuordnung: KEY." in answers[UNKNOWN][1]
    assert not Indicator.objects.filter(key="neue_quote").exists()


def table(user):
    from quartier.imports import jobs
    from quartier.imports.views_table import load_table

    return load_table(jobs.create_job(ImportJob.Kind.TABLE, [("w.csv", table_bytes())], user))


def refusal(call) -> tuple[int, str]:
    with pytest.raises(QuartierError) as caught:
        call()
    return caught.value.status, caught.value.message


@pytest.mark.parametrize("via", ["column", "numerator"])
def test_the_json_mapping_path_answers_both_keys_alike(statistik, via):
    """The mapping file (``zuordnung.json``) goes through the same check as the wizard."""
    raw = table(statistik)

    def mapping(key):
        data = {"layout": "wide", "key_column": "schluessel", "period": P.isoformat()}
        if via == "column":
            return TableMapping.from_json({**data, "columns": {"wert": key}})
        spec = NewIndicator("neue_quote", "Neue Quote", kind="rate", numerator=key)
        spec.denominator = "ew_gesamt"
        return TableMapping(**data, columns={"wert": "neue_quote"}, new_indicators=[spec])

    for call in (check_table, commit_table):
        kwargs = {"source_name": "w.csv", "sha256": ""} if call is commit_table else {}
        answers = {
            key: refusal(
                lambda key=key, c=call, kw=kwargs: c(raw, mapping(key), user=statistik, **kw)
            )
            for key in (RESTRICTED, UNKNOWN)
        }
        restricted, unknown = answers[RESTRICTED], answers[UNKNOWN]
        assert (restricted[0], restricted[1].replace(RESTRICTED, "KEY")) == (
            unknown[0],
            unknown[1].replace(UNKNOWN, "KEY"),
        )
        assert NAME not in restricted[1]
    assert not Indicator.objects.filter(key="neue_quote").exists()


def test_a_visible_indicator_of_another_unit_is_refused_by_name(client, users):
    """What the user may see may be named: the refusal then says why (403)."""
    client.force_login(users["steward"])  # Jugendamt
    job = upload(client, "/import/tabelle/", "werte.csv", table_bytes())
    response = client.post(
        f"/import/vorgang/{job.pk}/tabelle-pruefen/", {**TABLE_FORM, "spalte-1-ziel": "ew_gesamt"}
    )
    assert response.status_code == 403
    assert "Einwohner" in response.content.decode()  # ew_gesamt is public


def microdata_answer(client, key: str) -> tuple[int, str]:
    """Upload, check and — if the check lets it through — commit microdata counted into ``key``."""
    job = upload(client, "/import/einzeldaten/", "faelle.csv", points_bytes())
    response = client.post(f"/import/vorgang/{job.pk}/einzeldaten-pruefen/", microdata_spec(key))
    if response.status_code == 302:
        response = client.post(f"/import/vorgang/{job.pk}/uebernehmen/")
        response = client.get(response["Location"])
    return response.status_code, normalised(response, key)


def test_microdata_into_a_restricted_count_reads_like_an_unknown_key(client, statistik):
    before = Value.objects.filter(indicator__key=RESTRICTED, period=P).count()
    answers = {key: microdata_answer(client, key) for key in (RESTRICTED, UNKNOWN)}
    assert answers[RESTRICTED] == answers[UNKNOWN]
    assert NAME not in answers[RESTRICTED][1]
    assert Value.objects.filter(indicator__key=RESTRICTED, period=P).count() == before


def test_the_report_names_no_rate_the_user_may_not_see(statistik):
    """A restricted rate over the Statistikstelle's own counts stays unnamed in its report."""
    from quartier.imports import jobs
    from quartier.imports.views_table import load_table
    from quartier.indicators.models import Visibility

    Indicator.objects.create(
        key="geheime_quote",
        name="Geheime Quote der Jugendhilfe",
        kind="rate",
        topic="soziales",
        numerator=Indicator.objects.get(key="ew_u18"),
        denominator=Indicator.objects.get(key="ew_gesamt"),
        owner=Unit.objects.get(key="jugendamt"),
        visibility=Visibility.RESTRICTED,
    )
    data = b"schluessel;u18;gesamt\n01;50;10\n"  # more under 18 than residents: an error
    raw = load_table(jobs.create_job(ImportJob.Kind.TABLE, [("t.csv", data)], statistik))
    mapping = TableMapping(
        layout="wide",
        key_column="schluessel",
        level="stadtbezirk",
        period=P.isoformat(),
        columns={"u18": "ew_u18", "gesamt": "ew_gesamt"},
    )
    report, _rows = check_table(raw, mapping, statistik)
    text = " ".join(report.errors + report.warnings + report.notes)
    assert "Geheime Quote" not in text
    report, _rows = check_table(raw, mapping, None)  # the operator sees it (and the check works)
    assert "Geheime Quote der Jugendhilfe: Zähler 50 > Nenner 10" in " ".join(report.errors)
