"""A mapping's new indicator whose key exists: used when it fits, refused clearly when not.

Musterstadt's ``ew_gesamt`` (a count in "Personen", Statistikstelle, public) and
``hze_faelle`` (restricted to the Jugendamt) stand for existing indicators.
"""

from __future__ import annotations

import json

import pytest

from quartier.access.models import Role, Unit, User
from quartier.errors import QuartierError
from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.imports.values_import import check_table
from quartier.indicators.models import ImportBatch, Indicator, Value
from quartier.spatial.models import Area
from tests.access.writeobjects import P, table_bytes
from tests.imports.test_saved_mappings import cli

pytestmark = pytest.mark.django_db


def districts() -> list[str]:
    return list(
        Area.objects.filter(level__key="stadtbezirk")
        .order_by("code")
        .values_list("code", flat=True)
    )


def mapping_file(tmp_path, spec: dict) -> tuple:
    """A CSV with one value per district ("schluessel", "wert") and a mapping creating ``spec``."""
    path = tmp_path / "werte.csv"
    path.write_bytes(table_bytes())
    mapping = {
        "layout": "wide",
        "key_column": "schluessel",
        "level": "stadtbezirk",
        "period": P.isoformat(),
        "columns": {"wert": spec["key"]},
        "new_indicators": [spec],
    }
    target = tmp_path / "zuordnung.json"
    target.write_text(json.dumps(mapping), encoding="utf-8")
    return path, target


def stored() -> tuple[int, int, int]:
    return Indicator.objects.count(), ImportBatch.objects.count(), Value.objects.count()


def test_an_existing_indicator_of_the_same_kind_and_unit_is_used(capsys, tmp_path):
    spec = {"key": "ew_gesamt", "name": "EW (Datei)", "unit": "Personen", "kind": "count"}
    path, mapping = mapping_file(tmp_path, spec)
    indicators = Indicator.objects.count()
    code, out, err = cli(capsys, "import", "table", path, "--mapping", mapping)
    assert code == 0, out + err
    assert "„Einwohnerinnen und Einwohner“ (ew_gesamt) gibt es schon" in out
    assert Indicator.objects.count() == indicators
    assert Indicator.objects.get(key="ew_gesamt").name == "Einwohnerinnen und Einwohner"  # kept
    assert Value.objects.filter(indicator__key="ew_gesamt", period=P).count() == len(districts())


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kind": "other"}, "aber als Anzahl (summierbar), die Zuordnung sagt sonstiger Wert"),
        ({"unit": "%"}, "aber mit der Einheit „Personen“, die Zuordnung sagt „%“"),
    ],
)
def test_a_conflicting_definition_is_refused_in_german(capsys, tmp_path, change, message):
    spec = {"key": "ew_gesamt", "name": "EW", "unit": "Personen", "kind": "count", **change}
    path, mapping = mapping_file(tmp_path, spec)
    before = stored()
    code, out, err = cli(capsys, "import", "table", path, "--mapping", mapping)
    assert code == 2, out + err
    assert err.startswith("Fehler: Den Indikator „Einwohnerinnen und Einwohner“ (ew_gesamt)")
    assert message in err and "nichts wurde gespeichert" in err
    assert stored() == before


def test_a_rate_with_only_a_numerator_gets_a_german_message(capsys, tmp_path):
    spec = {"key": "neue_quote", "name": "Quote", "kind": "rate", "numerator": "ew_gesamt"}
    path, mapping = mapping_file(tmp_path, spec)
    before = stored()
    code, out, err = cli(capsys, "import", "table", path, "--mapping", mapping)
    assert code == 2, out + err
    assert "Der neue Indikator „neue_quote“ ist so nicht möglich" in err
    assert "Zähler und Nenner" in err
    assert stored() == before


def test_a_key_taken_by_an_indicator_the_user_may_not_see_is_not_named():
    user = User.objects.create_user("statistikerin", password="x" * 12, role=Role.DATA_STEWARD)
    user.units.add(Unit.objects.get(key="statistik"))
    hidden = Indicator.objects.get(key="hze_faelle")
    spec = NewIndicator(key="hze_faelle", name="Fälle", unit=hidden.unit, kind=hidden.kind)
    mapping = TableMapping(
        layout="wide",
        key_column="schluessel",
        period=P.isoformat(),
        columns={"wert": "hze_faelle"},
        new_indicators=[spec],
    )
    from tests.access.test_import_enumeration import table

    with pytest.raises(QuartierError) as caught:
        check_table(table(user), mapping, user)
    assert "„hze_faelle“ ist schon vergeben" in caught.value.message
    assert hidden.name not in caught.value.message and "Hilfen" not in caught.value.message


def test_a_visible_indicator_of_another_unit_is_refused_by_name(users):
    """The Jugendamt's steward sees ew_gesamt (public) but may not write it: 403, named."""
    spec = NewIndicator(key="ew_gesamt", name="EW", unit="Personen", kind="count")
    mapping = TableMapping(
        layout="wide",
        key_column="schluessel",
        period=P.isoformat(),
        columns={"wert": "ew_gesamt"},
        new_indicators=[spec],
    )
    from tests.access.test_import_enumeration import table

    with pytest.raises(QuartierError) as caught:
        check_table(table(users["steward"]), mapping, users["steward"])
    assert caught.value.status == 403
    assert "„Einwohnerinnen und Einwohner“" in caught.value.message


def test_the_wizard_uses_an_existing_indicator_instead_of_a_new_twin(client, users):
    """'New indicator' with the name, unit and kind of one the user may write: that one."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quartier.imports.models import ImportJob

    hze = Indicator.objects.get(key="hze_faelle")
    client.force_login(users["steward"])  # Jugendamt: owns hze_faelle
    response = client.post(
        "/import/tabelle/", {"dateien": SimpleUploadedFile("w.csv", table_bytes())}
    )
    job = ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    form = {
        "layout": "wide",
        "schluessel": "schluessel",
        "ebene": "stadtbezirk",
        "stichtag_art": "fest",
        "stichtag": P.isoformat(),
        "spalte-1-ziel": "neu:count",
        "spalte-1-name": f" {hze.name.upper()} ",
        "spalte-1-einheit": hze.unit,
    }
    indicators = Indicator.objects.count()
    assert client.post(f"/import/vorgang/{job.pk}/tabelle-pruefen/", form).status_code == 302
    job.refresh_from_db()
    assert job.options["mapping"]["columns"] == {"wert": "hze_faelle"}
    assert any("(hze_faelle) gibt es schon" in n for n in job.report["notes"])
    client.post(f"/import/vorgang/{job.pk}/uebernehmen/", {"warnungen_akzeptiert": "ja"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert Indicator.objects.count() == indicators
    assert Value.objects.filter(indicator=hze, period=P).count() == len(districts())
