"""The catalogue kept per process (indicators/catalogue.py): read once, renewed by triggers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from quartier.access.models import Unit
from quartier.access.rights import visible_ids
from quartier.indicators import catalogue
from quartier.indicators.models import Indicator, Visibility
from quartier.indicators.readlayer import Reader

pytestmark = pytest.mark.django_db


def _public_key() -> str:
    return Indicator.objects.filter(visibility=Visibility.PUBLIC, numerator=None).first().key


def _visible_keys() -> set[str]:
    return {i.key for i in Reader(AnonymousUser()).visible()}


def test_an_unchanged_catalogue_is_not_read_again():
    Reader(AnonymousUser()).visible()  # read once
    with CaptureQueriesContext(connection) as queries:
        shown = Reader(AnonymousUser()).visible()
    assert shown
    touched = [q["sql"] for q in queries if Indicator._meta.db_table in q["sql"]]
    assert touched == [], touched
    assert len(queries) == 1  # the token


def test_a_bulk_update_renews_the_token_and_the_rights():
    key = _public_key()
    assert key in _visible_keys()
    before = catalogue.token()
    # update() sends no Django signal: only the trigger notices.
    Indicator.objects.filter(key=key).update(visibility=Visibility.RESTRICTED)
    assert catalogue.token() != before
    assert key not in _visible_keys()


def test_raw_sql_as_from_another_process_counts_at_once():
    key = _public_key()
    _visible_keys()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Indicator._meta.db_table} SET name = %s WHERE key = %s", ["Neu", key]
        )
    assert {i.key: i.name for i in Reader(AnonymousUser()).visible()}[key] == "Neu"


def test_links_and_units_renew_the_token():
    indicator = Indicator.objects.exclude(owner=None).first()
    unit = Unit.objects.exclude(pk=indicator.owner_id).first()
    before = catalogue.token()
    indicator.shared_with.add(unit)
    after_share = catalogue.token()
    assert after_share != before
    Unit.objects.filter(pk=indicator.owner_id).update(name="Umbenannt")
    assert catalogue.token() != after_share
    shown = {i.pk: i for i in Reader(None).visible()}
    assert shown[indicator.pk].owner.name == "Umbenannt"


def test_a_rolled_back_write_leaves_no_catalogue_behind():
    key = _public_key()
    with transaction.atomic():
        Indicator.objects.filter(key=key).update(visibility=Visibility.RESTRICTED)
        assert key not in _visible_keys()  # read and kept under the new token
        transaction.set_rollback(True)
    assert key in _visible_keys()


def test_changing_a_copy_does_not_change_the_kept_catalogue():
    first = Reader(AnonymousUser()).visible()[0]
    first.name = "verändert"
    assert Reader(AnonymousUser()).visible()[0].name != "verändert"


def test_migrate_puts_dropped_triggers_back():
    """A later migration that rebuilds a table on SQLite drops its triggers."""
    table = Indicator._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER quartier_catalogue ON {table}")
        else:
            for operation in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER quartier_catalogue_{table}_{operation}")
    before = catalogue.token()
    Indicator.objects.filter(pk=Indicator.objects.first().pk).update(name="ohne Trigger")
    assert catalogue.token() == before  # the hazard: nothing notices
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    Indicator.objects.filter(pk=Indicator.objects.first().pk).update(name="mit Trigger")
    assert catalogue.token() != before


def test_visible_ids_agree_with_a_fresh_read(users):
    """The kept rows decide as the database does, for every kind of user."""
    from quartier.access.rights import filter_visible

    for user in [AnonymousUser(), *users.values()]:
        catalogue.forget()
        fresh = visible_ids(user)
        kept = visible_ids(user)
        assert (
            kept
            == fresh
            == set(filter_visible(Indicator.objects.all(), user).values_list("pk", flat=True))
        )


def test_the_visible_indicators_come_in_the_catalogue_order():
    """Topic, sort order, name (Indicator.Meta.ordering), as pages list them — not by id."""
    last = Indicator.objects.filter(visibility=Visibility.PUBLIC).order_by("-id").first()
    Indicator.objects.filter(pk=last.pk).update(topic="", sort_order=0, name="AAA")
    shown = [i.pk for i in Reader(AnonymousUser()).visible()]
    expected = list(
        Indicator.objects.filter(pk__in=visible_ids(AnonymousUser())).values_list("pk", flat=True)
    )
    assert shown == expected
    assert shown[0] == last.pk
