"""Every write route × role × owning unit: refused writes change nothing, allowed ones do.

The read matrix (test_authorization_matrix.py) asks every route for what a role
must not see; this one posts to every route that accepts POST. Routes are
enumerated from the resolver and the admin's models and actions from
``admin.site``: a route that starts taking POST must get a case in
``writecases.py`` (or be one of the few that write no data), or this test fails.

Each attempt runs in a savepoint that is rolled back afterwards; the database
is compared before and after it (every table except the logs — the audit log,
the admin's history, sessions — and the values table by count and highest id).
A refused write answers 403 or 404 (anonymous visitors: the login page),
changes nothing and names no indicator the role may not see.
"""

from __future__ import annotations

import shutil
import uuid

import pytest
from django.apps import apps
from django.db import models, transaction
from django.db.models import Max
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from quartier.access.rights import visible_ids
from quartier.indicators.models import Indicator
from tests.access.admincases import admin_cases
from tests.access.writecases import CASES
from tests.access.writeobjects import accounts

pytestmark = pytest.mark.django_db
ROLES = ("anonymous", "analyst", "owner", "other", "admin")
LOGS = {"access.auditentry", "admin.logentry", "sessions.session"}
# Routes that take POST but write nobody's data: signing in and out (login records only),
# the language, an old favicon address, and the API's JSON 404 for unknown addresses.
NO_DATA_WRITES = {"login", "logout", "set_language", "api:unknown", "favicon.ico"}
FILLS = {"key": "hze_faelle", "level": "stadtteil", "code": "011", "layer": "kitas"}


def fingerprint() -> dict:
    """The database's content, but for logs; values (1.6 M rows) by count and highest id."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in LOGS:
            continue
        if model._meta.db_table == "indicators_value":
            state[label] = (model.objects.count(), model.objects.aggregate(m=Max("pk"))["m"])
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if not isinstance(f, models.BinaryField)  # geometries: WKB is not compared
        ]
        state[label] = list(model.objects.order_by("pk").values_list(*fields))
    return state


def _reset_caches() -> None:
    """Rolled-back savepoints can fool caches keyed by table statistics (see conftest)."""
    from quartier.indicators import families, store
    from quartier.indicators.datastate import bump
    from quartier.indicators.readlayer import stored_periods
    from quartier.spatial.index import clear_area_index

    clear_area_index()
    stored_periods.cache_clear()
    store.clear()
    bump()
    families.bump()


def attempt(client, acc: dict, prepare, role: str):
    """Post as ``role`` what ``prepare`` builds; returns (response, whether the db changed)."""
    with transaction.atomic():
        url, data = prepare(acc)
        client.logout()
        if acc[role] is not None:
            client.force_login(acc[role])
        before = fingerprint()
        response = client.post(url, data)
        changed = fingerprint() != before
        transaction.set_rollback(True)
    _reset_caches()
    return response, changed


def _body(response) -> str:
    if response.streaming:
        return ""
    return response.content.decode("utf-8", "replace")


def hidden_names(user) -> set[str]:
    """Names of the indicators ``user`` may not see."""
    from django.contrib.auth.models import AnonymousUser

    return set(
        Indicator.objects.exclude(pk__in=visible_ids(user or AnonymousUser())).values_list(
            "name", flat=True
        )
    )


def refused_properly(response, role: str) -> bool:
    """403 or 404; a visitor without the right kind of account is sent to a login page."""
    if response.status_code in (403, 404):
        return True
    location = response.get("Location", "")
    to_login = location.startswith(("/anmelden/", "/admin/login/"))
    return response.status_code == 302 and to_login and role in ("anonymous", "analyst")


def check_case(client, acc: dict, case) -> None:
    """Every role tries the case's write; see the module docstring for what must hold."""
    for role in ROLES:
        response, changed = attempt(client, acc, case.prepare, role)
        where = (case.route, case.about, role, response.status_code)
        if role in case.allowed:
            assert response.status_code < 400 and changed, where
            continue
        if role in case.harmless:
            assert response.status_code < 400 and not changed, where
            continue
        assert not changed, where
        assert refused_properly(response, role), (*where, _body(response)[:300])
        body = _body(response)
        assert not {n for n in hidden_names(acc[role]) if n in body}, where


@pytest.fixture
def acc(users, settings, tmp_path):
    """The five roles; uploads go to a folder of this test."""
    from dataclasses import replace

    settings.QUARTIER = replace(settings.QUARTIER, data_dir=str(tmp_path))
    yield accounts(users)
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.route} {c.about}")
def test_write_routes(client, acc, case):
    check_case(client, acc, case)


@pytest.mark.parametrize("case", admin_cases(), ids=lambda c: f"{c.route} {c.about}")
def test_admin_writes(client, acc, case):
    check_case(client, acc, case)


def _walk(resolver, namespace: str = "", prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from _walk(entry, inner, route)
        elif isinstance(entry, URLPattern):
            name = ":".join(n for n in (namespace, entry.name) if n) if entry.name else route
            yield name, route, entry


def _url(name: str, route: str, entry: URLPattern) -> str:
    """A URL that resolves to ``entry`` (object ids that exist nowhere)."""
    pattern = entry.pattern
    names = getattr(pattern, "converters", None) or pattern.regex.groupindex
    kwargs = {}
    for key in names:
        converter = getattr(pattern, "converters", {}).get(key)
        kind = type(converter).__name__ if converter else ""
        kwargs[key] = (
            uuid.uuid4() if kind == "UUIDConverter" else 999999 if kind == "IntConverter" else None
        )
        kwargs[key] = kwargs[key] if kwargs[key] is not None else FILLS.get(key, "index")
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return "/" + route.strip("^$")


def test_every_route_taking_post_is_in_the_matrix(client, acc):
    """A route outside the matrix answers POST with 405 (or writes no data by design)."""
    covered = {case.route for case in CASES} | {case.route for case in admin_cases()}
    checked = 0
    for name, route, entry in _walk(get_resolver()):
        if name in covered:
            continue
        url = _url(name, route, entry)
        response, changed = attempt(client, acc, lambda _acc, url=url: (url, {}), "admin")
        checked += 1
        # Signing in and out writes login records (last login, django-axes): by design.
        assert not changed or name in ("login", "logout", "admin:logout"), (name, url)
        # The admin's own pages (index, login, password, history …) take POST and write no data.
        admin_page = route.startswith("admin/")
        assert response.status_code == 405 or name in NO_DATA_WRITES or admin_page, (
            name,
            url,
            response.status_code,
        )
    assert checked > 40
    assert covered >= {
        "imports:batch_rollback",
        "imports:commit",
        "analysis:rerun",
        "access:token_revoke",
        "admin:indicators_indicator_change",
        "admin:indicators_importbatch_changelist",
    }
