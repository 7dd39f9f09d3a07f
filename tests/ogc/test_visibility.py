"""Who sees what: visibility of indicators, disclosure control and the audit log over OGC."""

from __future__ import annotations

import re

import pytest

from quartier.access.models import AuditEntry
from quartier.indicators.models import Indicator
from tests.ogc.helpers import default_keys, expected_values, same, suppressed_codes

pytestmark = pytest.mark.django_db

INTERNAL, RESTRICTED = "quote_uebergewicht", "hze_quote"
PATHS = [
    "",
    "api",
    "conformance",
    "collections",
    "collections/sozialraum",
    "collections/sozialraum/schema",
    "collections/sozialraum/items?limit=5",
    "collections/sozialraum/items/01101",
]


def schema_keys(client, level="sozialraum"):
    doc = client.get(f"/ogc/collections/{level}/schema").json()
    return list(doc["properties"]["properties"]["properties"])


def item_keys(client):
    doc = client.get("/ogc/collections/stadtteil/items?limit=1").json()
    return list(doc["features"][0]["properties"])


def hidden_words():
    words = set()
    for key in (INTERNAL, RESTRICTED):
        indicator = Indicator.objects.get(key=key)
        words |= {key, indicator.name}
        for part in (indicator.numerator, indicator.denominator):
            if part.visibility != "public":
                words |= {part.key, part.name}
    return words


@pytest.mark.parametrize("html", [False, True])
def test_anonymous_never_meets_internal_or_restricted_names(client, html):
    words = hidden_words()
    for path in PATHS:
        sep = "&" if "?" in path else "?"
        url = "/ogc/" + path + (sep + "f=html" if html and path != "api" else "")
        if "schema" in path and html:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert not [w for w in words if w in text], url


def test_default_properties_follow_the_users_rights(client, users):
    anonymous = item_keys(client)
    assert INTERNAL not in anonymous and RESTRICTED not in anonymous
    assert "kinderarmut" in anonymous
    assert schema_keys(client)[4:-1] == default_keys()
    client.force_login(users["analyst"])
    analyst = item_keys(client)
    assert INTERNAL in analyst and RESTRICTED not in analyst
    assert schema_keys(client)[4:-1] == default_keys(users["analyst"])
    client.force_login(users["steward"])
    assert RESTRICTED in item_keys(client)


def test_unknown_and_invisible_properties_answer_alike(client):
    def answer(key):
        response = client.get(f"/ogc/collections/stadtteil/items?properties={key}")
        return response.status_code, response.content.decode().replace(key, "KEY")

    assert answer(RESTRICTED) == answer("gibt_es_nicht") == answer(INTERNAL)
    assert answer(RESTRICTED)[0] == 400
    schema = client.get(f"/ogc/collections/stadtteil/schema?properties={RESTRICTED}")
    assert schema.status_code == 400


def test_suppressed_values_are_null_for_the_public_and_shown_to_admins(client, users):
    hidden = suppressed_codes("arbeitslose", "sozialraum")
    assert hidden
    url = "/ogc/collections/sozialraum/items?limit=300&properties=arbeitslose"
    last_entry = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    public = client.get(url).json()
    assert "confidential" not in public
    by_code = {f["id"]: f["properties"] for f in public["features"]}
    for code in hidden:
        assert by_code[code]["arbeitslose"] is None
        assert by_code[code]["suppressed"] == "arbeitslose"
    assert not AuditEntry.objects.filter(id__gt=last_entry).exists()

    client.force_login(users["analyst"])  # signed in, but not allowed unprotected values
    analyst = {f["id"]: f["properties"] for f in client.get(url).json()["features"]}
    assert all(analyst[code]["arbeitslose"] is None for code in hidden)

    client.force_login(users["admin"])
    admin = client.get(url).json()
    assert admin["confidential"] == ["arbeitslose"]
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.CONFIDENTIAL, id__gt=last_entry)
    assert [(e.target, e.user, e.details["level"]) for e in entries] == [
        ("arbeitslose", users["admin"], "sozialraum")
    ]
    want = expected_values("arbeitslose", "sozialraum", user=users["admin"])
    for feature in admin["features"]:
        assert same(feature["properties"]["arbeitslose"], want[feature["id"]])
        assert feature["properties"]["suppressed"] is None
    assert all(want[code] is not None for code in hidden)


def test_html_shows_geheim_not_numbers_for_suppressed_values(client):
    code = sorted(suppressed_codes("arbeitslose", "sozialraum"))[0]
    url = f"/ogc/collections/sozialraum/items/{code}?f=html&properties=arbeitslose"
    cell = re.search(r'<td class="num">\s*([^<]*?)\s*</td>', client.get(url).content.decode())
    assert cell.group(1) == "geheim"


def test_steward_of_the_owning_unit_sees_restricted_values_marked_confidential(client, users):
    client.force_login(users["steward"])
    doc = client.get(f"/ogc/collections/sozialraum/items?limit=300&properties={RESTRICTED}").json()
    want = expected_values(RESTRICTED, "sozialraum", user=users["steward"])
    assert sum(v is not None for v in want.values()) > 100
    for feature in doc["features"]:
        assert same(feature["properties"][RESTRICTED], want[feature["id"]])
