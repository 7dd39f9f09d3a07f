"""Rolling back the batch that created indicators offers to remove them once empty
(issue 14, point 7): on the batch page and with ``quartier rollback --remove-empty-indicators``.
"""

from datetime import date

import numpy as np
import pytest

from quartier.access.models import AuditEntry, Unit
from quartier.cli import main
from quartier.imports.tablemap import NewIndicator
from quartier.imports.values_import import commit_table
from quartier.indicators.models import ImportBatch, Indicator, Value
from tests.imports.test_values_import import blocks, existing, mss
from tests.test_accessibility import check as check_accessible

pytestmark = pytest.mark.django_db
NEW = ("leer_a", "leer_b", "leer_quote")


def import_new(user=None) -> ImportBatch:
    """A batch creating counts A and B and the rate A/B, and (as the operator) writing an
    existing indicator.
    """
    a, b, _c = blocks()
    columns = {"a": "leer_a", "b": "leer_b", "x": "arbeitslose"}
    if user is not None:  # a data steward may not write the Sozialamt's indicator
        del columns["x"]
    mapping = existing(
        columns,
        new_indicators=[
            NewIndicator(key="leer_a", name="Leer A"),
            NewIndicator(key="leer_b", name="Leer B"),
            NewIndicator(
                key="leer_quote",
                name="Leer Quote",
                kind="rate",
                unit="%",
                numerator="leer_a",
                denominator="leer_b",
            ),
        ],
    )
    table = mss(["a", "b", "x"], [[a, "1", "4", "3"], [b, "2", "5", "3"]])
    batch, _report = commit_table(
        table, mapping, user=user, source_name="neu.csv", sha256="", accept_warnings=True
    )
    return batch


def removable(batch, user=None) -> list[str]:
    from quartier.indicators.emptied import removable_indicators

    return [i.key for i in removable_indicators(batch, user)]


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["admin"])
    return client


def test_the_batch_remembers_the_indicators_it_created():
    batch = import_new()
    created = Indicator.objects.filter(created_in_batch=batch)
    assert sorted(created.values_list("key", flat=True)) == sorted(NEW)
    assert Indicator.objects.get(key="arbeitslose").created_in_batch is None


def test_rolling_back_on_the_web_removes_the_empty_indicators_if_asked(admin_client, users):
    batch = import_new()
    page = admin_client.get(f"/import/laeufe/{batch.pk}/").content.decode()
    check_accessible(page, "batch")
    fieldset = page[page.index('<fieldset id="empty-indicators">') :]
    fieldset = fieldset[: fieldset.index("</fieldset>")]
    for name in ("Leer A", "Leer B", "Leer Quote"):
        assert name in fieldset
    assert "Arbeitslose" not in fieldset
    assert 'type="checkbox" id="leere_entfernen"' in fieldset
    assert '<label for="leere_entfernen">' in fieldset
    ids = list(Indicator.objects.filter(key__in=NEW).values_list("pk", flat=True))
    response = admin_client.post(
        f"/import/laeufe/{batch.pk}/zuruecknehmen/", {"leere_entfernen": "ja", "indikator": ids}
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.ROLLED_BACK
    assert not Indicator.objects.filter(key__in=NEW).exists()
    assert Indicator.objects.filter(key="arbeitslose").exists()
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.METADATA, target__in=NEW)
    deleted = {e.target: e for e in entries if e.details.get("deleted")}
    assert set(deleted) == set(NEW)
    assert deleted["leer_a"].details["batch"] == batch.pk
    assert deleted["leer_a"].user == users["admin"]


def test_without_the_checkbox_they_stay_and_can_be_removed_later(admin_client):
    batch = import_new()
    ids = list(Indicator.objects.filter(key__in=NEW).values_list("pk", flat=True))
    admin_client.post(f"/import/laeufe/{batch.pk}/zuruecknehmen/", {"indikator": ids})
    assert Indicator.objects.filter(key__in=NEW).count() == 3
    page = admin_client.get(f"/import/laeufe/{batch.pk}/").content.decode()
    assert 'id="remove-empty"' in page and "seit dem Zurücknehmen" in page
    admin_client.post(
        f"/import/laeufe/{batch.pk}/zuruecknehmen/", {"leere_entfernen": "ja", "indikator": ids}
    )
    assert not Indicator.objects.filter(key__in=NEW).exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.ROLLED_BACK


def test_only_the_listed_indicators_are_removed(admin_client):
    batch = import_new()
    only_b = [Indicator.objects.get(key="leer_b").pk]
    admin_client.post(
        f"/import/laeufe/{batch.pk}/zuruecknehmen/", {"leere_entfernen": "ja", "indikator": only_b}
    )
    # the rate A/B needs B and was not listed: B stays
    assert set(Indicator.objects.filter(key__in=NEW).values_list("key", flat=True)) == set(NEW)
    rate_and_a = list(
        Indicator.objects.filter(key__in=["leer_a", "leer_quote"]).values_list("pk", flat=True)
    )
    admin_client.post(
        f"/import/laeufe/{batch.pk}/zuruecknehmen/",
        {"leere_entfernen": "ja", "indikator": rate_and_a},
    )
    assert list(Indicator.objects.filter(key__in=NEW).values_list("key", flat=True)) == ["leer_b"]


def test_indicators_with_values_of_other_batches_are_kept():
    from quartier.indicators.batches import create_batch, write_values

    batch = import_new()
    later = create_batch("spaeter.csv")
    area = Value.objects.filter(batch=batch).first().area_id
    write_values(
        later, [(Indicator.objects.get(key="leer_a").pk, area, date(2031, 12, 31), 9.0, "")]
    )
    # A keeps a value of its own; the rate A/B has no values once B is empty
    assert removable(batch) == ["leer_b", "leer_quote"]


def test_indicators_something_else_needs_are_kept():
    from quartier.analysis.models import Analysis
    from quartier.spatial.models import Level

    batch = import_new()
    analysis = Analysis.objects.create(kind="index", name="Test", level=Level.objects.first())
    analysis.inputs.add(Indicator.objects.get(key="leer_b"))
    assert removable(batch) == ["leer_a", "leer_quote"]
    other = Indicator.objects.get(key="ew_gesamt")
    other.sum_of.add(Indicator.objects.get(key="leer_a"))  # an existing sum names A
    assert removable(batch) == ["leer_quote"]


def test_only_indicators_the_user_may_write_are_offered(users):
    steward = users["steward"]
    batch = import_new(steward)
    assert Indicator.objects.get(key="leer_b").owner.key == "jugendamt"
    assert removable(batch, steward) == sorted(NEW)
    Indicator.objects.filter(key="leer_b").update(owner=Unit.objects.get(key="statistik"))
    # B is another unit's now; without B the rate A/B is still removable, A too
    assert removable(batch, steward) == ["leer_a", "leer_quote"]
    assert removable(batch) == sorted(NEW)  # the operator may do everything
    assert removable(batch, users["analyst"]) == []


def test_the_command_line_removes_them_with_a_flag(capsys):
    batch = import_new()
    assert main(["rollback", str(batch.pk)]) == 0
    out = capsys.readouterr().out
    assert "jetzt leer: leer_a, leer_b, leer_quote" in out
    assert f"quartier rollback {batch.pk} --remove-empty-indicators" in out
    assert Indicator.objects.filter(key__in=NEW).count() == 3
    assert main(["rollback", str(batch.pk), "--remove-empty-indicators"]) == 0  # only removes
    out = capsys.readouterr().out
    assert "Leeren Indikator leer_quote (Leer Quote) gelöscht." in out
    assert not Indicator.objects.filter(key__in=NEW).exists()


def test_the_command_line_rolls_back_and_removes_in_one_go(capsys):
    batch = import_new()
    assert main(["rollback", str(batch.pk), "--remove-empty-indicators"]) == 0
    out = capsys.readouterr().out
    assert "zurückgenommen" in out and "Leeren Indikator leer_a (Leer A) gelöscht." in out
    assert not Indicator.objects.filter(key__in=NEW).exists()
    assert AuditEntry.objects.filter(target="leer_b", details__deleted=True).exists()


def test_microdata_counts_and_their_splits_are_removed_together(client, users):
    from tests.imports.test_microdata import blocks as areas
    from tests.imports.test_microdata import csv_bytes, inside_points, run_wizard

    client.force_login(users["steward"])
    a, b = areas(2)
    rng = np.random.default_rng(3)
    rows = [[x, y, "unter 6"] for x, y in inside_points(a, 2, rng)]
    rows += [[x, y, "6 bis 10"] for x, y in inside_points(b, 1, rng)]
    spec = {
        "mode": "coordinates",
        "x_column": "x",
        "y_column": "y",
        "crs": "EPSG:25832",
        "indicator_name": "Fälle Test",
        "period": "31.12.2025",
        "category_column": "alter",
    }
    job = run_wizard(client, csv_bytes(["x", "y", "alter"], rows), spec)
    client.post(f"/import/vorgang/{job.pk}/uebernehmen/")
    job.refresh_from_db()
    batch = ImportBatch.objects.get(pk=job.result["batch"])
    keys = set(Indicator.objects.filter(created_in_batch=batch).values_list("key", flat=True))
    assert len(keys) == 3  # the total and its two splits, a sum
    ids = list(Indicator.objects.filter(key__in=keys).values_list("pk", flat=True))
    client.post(
        f"/import/laeufe/{batch.pk}/zuruecknehmen/", {"leere_entfernen": "ja", "indikator": ids}
    )
    assert not Indicator.objects.filter(key__in=keys).exists()
