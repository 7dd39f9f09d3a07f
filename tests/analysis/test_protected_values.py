"""Protected or unprotected values: the form's choice, the CLI option, re-runs, chains of
results and the migration of analyses stored before the choice existed."""

from __future__ import annotations

import importlib
import json
from datetime import date

import pytest

from quartier.access.models import Role, Unit, User
from quartier.access.rights import analysis_visible, visible_ids
from quartier.analysis.models import Analysis
from quartier.indicators.models import Indicator
from quartier.spatial.models import Level
from tests.analysis.test_analyses import P, run
from tests.analysis.test_visibility import UNPROTECTED, hidden_codes, index_form

pytestmark = pytest.mark.django_db


def test_the_form_offers_the_choice_only_to_who_sees_unprotected_values(client, users):
    client.force_login(users["analyst"])
    html = client.get("/analysen/neu/index/").content.decode()
    assert 'name="werte"' not in html and 'id="werte-hinweis"' in html
    # An analyst who sends the choice anyway still computes on protected values.
    analysis = run(client, "index", index_form("Armut", "kinderarmut", "sozialraum", **UNPROTECTED))
    hidden = hidden_codes(users["analyst"], "kinderarmut", "sozialraum")
    assert not analysis.confidential and analysis.result["secret"]["areas"] == len(hidden) > 0
    assert not analysis.confidential_sources.exists()
    for role in ("steward", "admin"):
        client.force_login(users[role])
        html = client.get("/analysen/neu/segregation/").content.decode()
        assert 'id="werte-geschuetzt" name="werte" value="geschuetzt" checked' in html
        assert 'id="werte-ungeschuetzt" name="werte" value="ungeschuetzt" aria' in html


def test_command_line_option_and_rerun_keep_the_choice(tmp_path, users, statistik_steward):
    from quartier.cli import main

    path = tmp_path / "kleinkinder.json"
    spec = {"components": [{"key": "ew_0_2"}], "classify": "quantiles", "quantiles": 4}
    path.write_text(json.dumps({"level": "baublock", "spec": spec}), encoding="utf-8")
    common = ["analyse", "index", "--definition", str(path), "--period", P.isoformat()]
    assert main([*common, "--name", "CLI geschützt"]) == 0
    assert main([*common, "--name", "CLI vertraulich", "--unprotected"]) == 0
    protected = Analysis.objects.get(name="CLI geschützt")
    secret = Analysis.objects.get(name="CLI vertraulich")
    hidden = hidden_codes(users["analyst"], "ew_0_2", "baublock")
    assert not protected.confidential and protected.result["secret"]["areas"] == len(hidden)
    assert secret.confidential and [i.key for i in secret.confidential_sources.all()] == ["ew_0_2"]
    # The command line may see everything; its confidential result goes to who may see
    # ew_0_2 unprotected: administrators and the Statistikstelle's stewards.
    output = Indicator.objects.get(key="index_cli_vertraulich_wert")
    for user, sees in [
        (statistik_steward, True),
        (users["admin"], True),
        (users["steward"], False),
        (users["analyst"], False),
    ]:
        assert analysis_visible(user, secret) is sees
        assert (output.pk in visible_ids(user)) is sees
        assert analysis_visible(user, protected)
    for analysis in (protected, secret):
        assert main(["analyse", "rerun", str(analysis.pk), "--period", "2023-12-31"]) == 0
        again = Analysis.objects.filter(name=analysis.name).latest("pk")
        assert again.period == date(2023, 12, 31) and again.confidential == analysis.confidential


def test_a_confidential_result_is_an_input_only_of_confidential_analyses(
    client, users, statistik_steward
):
    client.force_login(statistik_steward)
    run(client, "index", index_form("Kleinkinder", "ew_0_2", "sozialraum", **UNPROTECTED))
    lisa = {
        "name": "Kleinkinder Hot Spots",
        "ebene": "sozialraum",
        "stichtag": P.isoformat(),
        "indikator": "index_kleinkinder_wert",
        "permutationen": "99",
    }
    response = client.post("/analysen/neu/lisa/", lisa)
    assert "nur in einer Analyse mit ungeschützten Werten" in response.content.decode()
    chained = run(client, "lisa", {**lisa, **UNPROTECTED})
    # The unprotected inputs of the index are carried over, so the rule needs no recursion.
    assert chained.confidential
    assert [i.key for i in chained.confidential_sources.all()] == ["ew_0_2"]
    assert [i.key for i in chained.inputs.all()] == ["index_kleinkinder_wert"]
    hot_spots = Indicator.objects.get(key="lisa_kleinkinder_hot_spots_typ")
    assert hot_spots.confidential and hot_spots.pk in visible_ids(statistik_steward)
    assert hot_spots.pk not in visible_ids(users["steward"])
    assert not analysis_visible(users["analyst"], chained)


def test_migration_records_inputs_and_marks_what_authors_saw_unprotected(users):
    from django.apps import apps

    migration = importlib.import_module(
        "quartier.analysis.migrations.0002_inputs_and_confidentiality"
    )
    level = Level.objects.get(key="stadtteil")
    published = Indicator.objects.create(
        key="alt_index_wert", name="Alter Index", kind="other", topic="soziales"
    )
    published.visibility = "public"
    published.save()
    old = {
        "admin": Analysis.objects.create(
            kind="index",
            name="Alt",
            level=level,
            created_by=users["admin"],
            definition={
                "spec": {
                    "components": [{"key": "kinderarmut"}, {"key": "sgb2_quote"}],
                    "exclude": {"indicator": "ew_gesamt", "minimum": 100},
                }
            },
        ),
        "steward": Analysis.objects.create(
            kind="segregation",
            name="HzE alt",
            level=level,
            created_by=users["steward"],
            definition={"group": "hze_faelle", "total": "ew_u18"},
        ),
        "analyst": Analysis.objects.create(
            kind="typology",
            name="Typen alt",
            level=level,
            created_by=users["analyst"],
            definition={"inputs": ["kinderarmut", "gibt_es_nicht"]},
        ),
        "deleted": Analysis.objects.create(
            kind="need",
            name="Bedarf alt",
            level=level,
            created_by=None,
            definition={"rule": {"conditions": [{"indicator": "kinderarmut", "op": "rising"}]}},
        ),
    }
    old["admin"].outputs.add(published)
    migration.fill_inputs(apps, None)

    def keys(relation):
        return sorted(relation.values_list("key", flat=True))

    for analysis in old.values():
        analysis.refresh_from_db()
    assert keys(old["admin"].inputs) == ["ew_gesamt", "kinderarmut", "sgb2_quote"]
    assert old["admin"].confidential and keys(old["admin"].confidential_sources) == [
        "ew_gesamt",
        "kinderarmut",
        "sgb2_quote",
    ]
    published.refresh_from_db()  # the admin's old result was public: now it is restricted
    assert published.confidential and published.visibility == "restricted"
    assert keys(old["steward"].inputs) == ["ew_u18", "hze_faelle"]
    assert keys(old["steward"].confidential_sources) == ["hze_faelle"]
    assert keys(old["analyst"].inputs) == ["kinderarmut"] and not old["analyst"].confidential
    assert old["deleted"].confidential and keys(old["deleted"].inputs) == ["kinderarmut"]
    assert not analysis_visible(users["analyst"], old["steward"])
    assert analysis_visible(users["analyst"], old["analyst"])


def test_an_analysis_without_recorded_inputs_is_shown_to_administrators_only(users):
    level = Level.objects.get(key="stadtteil")
    analysis = Analysis.objects.create(kind="segregation", name="Ohne", level=level)
    assert analysis_visible(users["admin"], analysis)
    for role in ("analyst", "steward"):
        assert not analysis_visible(users[role], analysis)
    steward = User.objects.create_user("alle", password="x" * 12, role=Role.DATA_STEWARD)
    steward.units.set(Unit.objects.all())
    confidential = Analysis.objects.create(
        kind="segregation", name="Vertraulich ohne Quelle", level=level, confidential=True
    )
    confidential.inputs.set(Indicator.objects.filter(key__in=["hze_faelle", "ew_u18"]))
    assert analysis_visible(users["admin"], confidential)
    assert not analysis_visible(steward, confidential)  # fails closed without its sources
    confidential.confidential_sources.set(Indicator.objects.filter(key="hze_faelle"))
    assert analysis_visible(steward, confidential)
