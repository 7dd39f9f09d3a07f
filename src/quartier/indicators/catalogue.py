"""The indicator catalogue, read once per process while it is unchanged.

Every request asks which indicators its user may see and works with them (names,
units, parts of rates, owners): reading and building the whole catalogue took
5–6 ms per request, an eighth of a map or API answer's CPU time. The catalogue
changes rarely (an import of new indicators, an edit in the administration), so
each process keeps one :class:`Snapshot` and checks per request whether it is
still current: a single-row query for the token of :class:`~quartier.indicators.
models.CatalogueStamp`.

The token is set by **database triggers** on every insert, update or delete of
the catalogue's tables (:func:`tables`), in the writing transaction. Triggers,
not Django signals: bulk ``update()`` (e.g. when a rate's parts are removed) and
raw SQL send no signals. :func:`install_triggers` runs after every ``migrate``
(a later migration that rebuilds one of the tables on SQLite drops its triggers;
the next ``post_migrate`` puts them back).

Order: the token is read *before* the rows. A write committed in between gives
newer rows under the old token — never stored rows under a token they don't
belong to, because a token is random and never comes back (a rolled-back write's
token is gone with it). What is per user (units, confidential analyses) is not
kept here.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

from django.db import connection

from quartier.indicators.models import CatalogueStamp, Indicator

# The fields of each indicator that rights are decided on (see access.rights.visible_ids).
ROW_FIELDS = (
    "id",
    "visibility",
    "owner_id",
    "confidential",
    "owner__territory_id",
    "kreis_shared",
    "numerator_id",
    "denominator_id",
    "weight_id",
)

_lock = threading.Lock()
_kept: dict = {"snapshot": None}


def tables() -> list[str]:
    """The tables whose writes change the catalogue: indicators, their links, units and
    territories.
    """
    from quartier.access.models import Territory, Unit

    return [
        Indicator._meta.db_table,
        Indicator.shared_with.through._meta.db_table,
        Indicator.derived_from.through._meta.db_table,
        Indicator.sum_of.through._meta.db_table,
        Unit._meta.db_table,
        Territory._meta.db_table,
    ]


@dataclass(frozen=True)
class Snapshot:
    """The catalogue under one token: rights rows, links and the indicators themselves."""

    token: int
    rows: tuple[tuple, ...]  # ROW_FIELDS of every indicator
    shared: tuple[tuple[int, int], ...]  # (indicator id, unit id)
    derived: tuple[tuple[int, int], ...]  # (source indicator id, derived indicator id)
    territories: dict[int, int | None]  # territory id → the territory it belongs to
    # (id, key, name, kind, parent id, area id) of every territory, by name
    territory_rows: tuple[tuple, ...]
    # id → Indicator with numerator, denominator, weight and owner loaded, in the
    # catalogue's order (topic, sort order, name: Indicator.Meta.ordering)
    indicators: dict

    def instances(self, ids) -> list[Indicator]:
        """Copies of the indicators ``ids`` in the catalogue's order (a caller may change them)."""
        wanted = set(ids)
        return [copy.copy(i) for pk, i in self.indicators.items() if pk in wanted]


def token() -> int:
    """The catalogue's current token (one single-row query)."""
    found = CatalogueStamp.objects.filter(pk=1).values_list("token", flat=True).first()
    return 0 if found is None else found


def snapshot() -> Snapshot:
    """The catalogue as it is now: kept if the token is unchanged, read again otherwise."""
    now = token()
    with _lock:
        kept = _kept["snapshot"]
    if kept is not None and kept.token == now and now != 0:
        return kept
    fresh = _read(now)
    if now != 0:  # 0: no stamp row (triggers not installed yet): never kept
        with _lock:
            _kept["snapshot"] = fresh
    return fresh


def _read(now: int) -> Snapshot:
    rows = tuple(Indicator.objects.order_by().values_list(*ROW_FIELDS))
    shared = tuple(Indicator.shared_with.through.objects.values_list("indicator_id", "unit_id"))
    derived = tuple(
        Indicator.derived_from.through.objects.values_list("from_indicator_id", "to_indicator_id")
    )
    from quartier.access.models import Territory

    territory_rows = tuple(
        Territory.objects.order_by("name", "key").values_list(
            "id", "key", "name", "kind", "parent_id", "area_id"
        )
    )
    territories = {row[0]: row[4] for row in territory_rows}
    indicators = {
        i.pk: i
        for i in Indicator.objects.select_related("numerator", "denominator", "weight", "owner")
    }
    return Snapshot(now, rows, shared, derived, territories, territory_rows, indicators)


def forget() -> None:
    """Drop this process's snapshot (tests; the token makes it unnecessary otherwise)."""
    with _lock:
        _kept["snapshot"] = None


def install_triggers(using=None) -> None:
    """Create the stamp row and the triggers that renew its token (idempotent)."""
    conn = connection if using is None else using
    with conn.cursor() as cursor:
        present = set(conn.introspection.table_names(cursor))
        stamp = CatalogueStamp._meta.db_table
        if stamp not in present:
            return  # migrated backwards
        cursor.execute(f"SELECT count(*) FROM {stamp} WHERE id = 1")
        if cursor.fetchone()[0] == 0:
            cursor.execute(f"INSERT INTO {stamp} (id, token) VALUES (1, 1)")
        if conn.vendor == "postgresql":
            _postgresql_function(cursor, stamp)
        for table in tables():
            if table not in present:
                continue
            if conn.vendor == "postgresql":
                _postgresql_trigger(cursor, table)
            else:
                _sqlite_triggers(cursor, table, stamp)


def _sqlite_triggers(cursor, table: str, stamp: str) -> None:
    for operation in ("INSERT", "UPDATE", "DELETE"):
        cursor.execute(
            f"CREATE TRIGGER IF NOT EXISTS quartier_catalogue_{table}_{operation.lower()} "
            f"AFTER {operation} ON {table} "
            f"BEGIN UPDATE {stamp} SET token = random() WHERE id = 1; END"
        )


def _postgresql_function(cursor, stamp: str) -> None:
    cursor.execute(
        "CREATE OR REPLACE FUNCTION quartier_catalogue_changed() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE {stamp} SET token = floor(random() * 4e18)::bigint + 1 WHERE id = 1; "
        "RETURN NULL; END $$"
    )


def _postgresql_trigger(cursor, table: str) -> None:
    # One update per statement (a bulk update of many indicators renews the token once).
    cursor.execute(f"DROP TRIGGER IF EXISTS quartier_catalogue ON {table}")
    cursor.execute(
        f"CREATE TRIGGER quartier_catalogue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION quartier_catalogue_changed()"
    )
