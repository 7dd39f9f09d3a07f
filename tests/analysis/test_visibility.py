"""Issue 12.4: analyses never widen who sees unprotected values.

Attacks on the Musterstadt demo: a data steward's index of hidden block values, a
segregation series of a restricted count, and the results of analysts' analyses,
each checked on the pages, the JSON definition, the REST API and the map values.
"""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from quartier.access.models import AuditEntry
from quartier.analysis.models import Analysis
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator
from quartier.indicators.status import Status
from quartier.spatial.models import Level
from tests.analysis.test_analyses import P, run

pytestmark = pytest.mark.django_db
UNPROTECTED = {"werte": "ungeschuetzt"}


def index_form(name: str, key: str, level: str = "baublock", **extra) -> dict:
    """The index form for a one-indicator index (z-scores, re-standardised)."""
    return {
        "name": name,
        "ebene": level,
        "stichtag": P.isoformat(),
        "indikatoren": [key],
        "standardisierung": "z",
        "kombination": "sum",
        "erneut": "ja",
        "klassen": "sd",
        f"richtung-{key}": "1",
        f"gewicht-{key}": "1",
        **extra,
    }


def hidden_codes(user, key: str, level: str, period: date = P) -> set[str]:
    """Codes of the areas whose value of ``key`` is secret for ``user``."""
    result = readlayer.area_values(
        user, Indicator.objects.get(key=key), Level.objects.get(key=level), period
    )
    return {c for c, s in zip(result.codes, result.status, strict=True) if s == Status.SUPPRESSED}


def api_values(client, key: str, level: str = "baublock") -> tuple[dict, bool]:
    """{area code: value or None} from /api/v1/values/, and its ``confidential`` flag."""
    response = client.get(
        "/api/v1/values/", {"indicator": key, "level": level, "period": P.isoformat()}
    )
    assert response.status_code == 200, response.content[:200]
    body = response.json()
    return {row["area"]: row["value"] for row in body["results"]}, body["confidential"]


def not_found_everywhere(client, analysis: Analysis, outputs: list[str]) -> None:
    """The analysis and its derived indicators are unknown to the signed-in user."""
    assert client.get(f"/analysen/{analysis.pk}/").status_code == 404
    assert client.get(f"/analysen/{analysis.pk}/definition.json").status_code == 404
    assert client.get(f"/api/v1/analyses/{analysis.pk}/").status_code == 404
    listed = client.get("/api/v1/analyses/", {"limit": 1000}).json()["results"]
    assert analysis.pk not in {a["id"] for a in listed}
    for key in outputs:
        view = {"indikator": key, "ebene": analysis.level.key, "stichtag": P.isoformat()}
        assert client.get("/karte/werte/", view).status_code == 404
        query = {"indicator": key, "level": analysis.level.key}
        assert client.get("/api/v1/values/", query).status_code == 404
        assert client.get(f"/api/v1/indicators/{key}/").status_code == 404


def test_steward_index_of_hidden_block_values_reaches_nobody_else(client, users, statistik_steward):
    hidden = hidden_codes(users["analyst"], "ew_0_2", "baublock")
    assert len(hidden) > 2000  # block values of children under 3 the public never sees

    # On unprotected values the steward's index covers the hidden blocks …
    client.force_login(statistik_steward)
    secret = run(client, "index", index_form("Kleinkinder", "ew_0_2", **UNPROTECTED))
    score = "index_kleinkinder_wert"
    values, _confidential = api_values(client, score)
    assert all(values[code] is not None for code in hidden)
    # … so it stays with those who may see ew_0_2 unprotected: not the analyst, nor the
    # Jugendamt's steward, on any route.
    for other in ("analyst", "steward"):
        client.force_login(users[other])
        not_found_everywhere(client, secret, [score, "index_kleinkinder_klasse"])
    client.force_login(users["admin"])
    assert client.get(f"/analysen/{secret.pk}/").status_code == 200
    client.force_login(statistik_steward)
    assert api_values(client, score)[1] is True  # marked vertraulich
    page = client.get(f"/analysen/{secret.pk}/").content.decode()
    assert 'id="vertraulich"' in page
    viewed = AuditEntry.objects.filter(action=AuditEntry.Action.CONFIDENTIAL, username="statistik")
    assert viewed.filter(target=f"Analyse {secret.pk}: Kleinkinder").exists()
    secret.refresh_from_db()
    indicator = Indicator.objects.get(key=score)
    assert secret.confidential and indicator.confidential and indicator.visibility == "restricted"
    assert [i.key for i in secret.confidential_sources.all()] == ["ew_0_2"]

    # On protected values (the default) the analyst sees the result …
    client.force_login(statistik_steward)
    public = run(client, "index", index_form("Kleinkinder geschützt", "ew_0_2"))
    assert not public.confidential and public.result["secret"]["areas"] == len(hidden)
    client.force_login(users["analyst"])
    page = client.get(f"/analysen/{public.pk}/").content.decode()
    assert f"{len(hidden)} Gebiete ohne Ergebnis, weil Werte geheim sind" in page
    document = client.get(f"/analysen/{public.pk}/definition.json").json()
    assert document["secret"]["areas"] == len(hidden) and document["confidential"] is False
    detail = client.get(f"/api/v1/analyses/{public.pk}/").json()
    assert detail["inputs"] == ["ew_0_2"] and detail["confidential"] is False
    secret_areas = len(hidden)
    assert detail["result"]["secret"] == {
        "areas": secret_areas,
        "by_indicator": {"ew_0_2": secret_areas},
    }
    # … and a straight-line fit of the index on the values the analyst sees is exact,
    # but recovers no hidden block: the index is missing wherever the input is hidden.
    index, confidential = api_values(client, "index_kleinkinder_geschutzt_wert")
    seen, _ = api_values(client, "ew_0_2")
    assert not confidential
    codes = sorted(seen)
    x = np.array([np.nan if seen[c] is None else seen[c] for c in codes])
    y = np.array([np.nan if index.get(c) is None else index[c] for c in codes])
    both = ~np.isnan(x) & ~np.isnan(y)
    slope, intercept = np.polyfit(x[both], y[both], 1)
    assert np.allclose(slope * x[both] + intercept, y[both])
    recovered = {c for c, value in zip(codes, y, strict=True) if c in hidden and value == value}
    assert recovered == set()


def admin_form_data(form) -> dict:
    """POST data of an admin change form, as the browser would send it unchanged."""
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if name in ("categories", "definition"):
            data[name] = json.dumps(value)
        elif isinstance(value, list | tuple | set):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    return data


def test_a_confidential_result_cannot_become_internal_or_public(client, statistik_steward):
    client.force_login(statistik_steward)
    analysis = run(client, "index", index_form("Vertraulich", "ew_0_2", **UNPROTECTED))
    score = Indicator.objects.get(key="index_vertraulich_wert")
    assert score.owner.key == "statistik"  # the steward may edit it in the admin …
    url = reverse("admin:indicators_indicator_change", args=[score.pk])
    form = client.get(url).context["adminform"].form
    for visibility in ("internal", "public"):
        response = client.post(url, {**admin_form_data(form), "visibility": visibility})
        assert response.status_code == 200  # … but the form refuses to publish it
        assert "kann nicht intern oder öffentlich werden" in response.content.decode()
    score.refresh_from_db()
    assert score.visibility == "restricted" and score.confidential
    response = client.post(url, {**admin_form_data(form), "description": "Nur intern nutzen"})
    assert response.status_code == 302  # other metadata can still be edited
    # Model validation and the database refuse it on every other path, too.
    score.visibility = "public"
    with pytest.raises(ValidationError, match="nicht intern oder öffentlich"):
        score.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.filter(pk=score.pk).update(visibility="internal")
    # Protected and unprotected results never share derived indicators.
    response = client.post("/analysen/neu/index/", index_form("Vertraulich", "ew_0_2"))
    assert "bleibt vertraulich" in response.content.decode()
    run(client, "index", index_form("Veröffentlichbar", "ew_0_2"))
    form = index_form("Veröffentlichbar", "ew_0_2", **UNPROTECTED)
    response = client.post("/analysen/neu/index/", form)
    assert "kann veröffentlicht sein" in response.content.decode()
    # A re-run keeps the choice: the next Stichtag is computed unprotected again.
    response = client.post(f"/analysen/{analysis.pk}/neu-berechnen/", {"stichtag": "2023-12-31"})
    assert response.status_code == 302
    again = Analysis.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert again.confidential and again.period == date(2023, 12, 31)


def test_segregation_of_a_restricted_count_is_not_found_for_others(client, users):
    client.force_login(users["steward"])  # Jugendamt: owns the restricted hze_faelle
    form = {"ebene": "sozialraum", "gruppe": "hze_faelle", "gesamt": "ew_u18"}
    unprotected = run(client, "segregation", {"name": "HzE", **form, **UNPROTECTED})
    protected = run(client, "segregation", {"name": "HzE geschützt", **form})
    client.force_login(users["analyst"])
    for analysis in (unprotected, protected):
        not_found_everywhere(client, analysis, [])
    client.force_login(users["steward"])
    assert unprotected.confidential and not protected.confidential
    assert {i.key for i in unprotected.inputs.all()} == {"hze_faelle", "ew_u18"}
    # ew_u18 belongs to the Statistikstelle: the Jugendamt's steward sees it protected
    assert [i.key for i in unprotected.confidential_sources.all()] == ["hze_faelle"]
    listed = client.get("/api/v1/analyses/", {"kind": "segregation"}).json()["results"]
    assert {unprotected.pk, protected.pk} <= {a["id"] for a in listed}
    detail = client.get(f"/api/v1/analyses/{unprotected.pk}/").json()
    assert detail["confidential"] is True and len(detail["result"]["series"]) == 11
    assert client.get(f"/analysen/{unprotected.pk}/definition.json").status_code == 200

    client.force_login(users["admin"])
    for analysis in (unprotected, protected):
        assert client.get(f"/analysen/{analysis.pk}/").status_code == 200
    unknown = Analysis.objects.order_by("-pk").first().pk + 1000
    # Unknown and invisible analyses answer alike.
    client.force_login(users["analyst"])
    for url in ("/analysen/{}/", "/analysen/{}/definition.json", "/api/v1/analyses/{}/"):
        hidden, missing = client.get(url.format(protected.pk)), client.get(url.format(unknown))
        assert hidden.status_code == missing.status_code == 404
        assert normalised(hidden, protected.pk) == normalised(missing, unknown)


def normalised(response, pk: int) -> str:
    """A page without its CSRF token (new on every response) and its own address."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return text.replace(f"/{pk}/", "/ID/")


def secret_for(user, keys: list[str], level: str, periods=(P,)) -> tuple[int, dict]:
    """Independent count: areas with a secret value of any of ``keys``, and per key."""
    per_key = {k: set().union(*(hidden_codes(user, k, level, p) for p in periods)) for k in keys}
    return len(set().union(*per_key.values())), {k: len(v) for k, v in per_key.items()}


def test_analyst_results_state_the_areas_left_out_because_values_are_secret(client, users):
    analyst = users["analyst"]
    client.force_login(analyst)
    keys = ["kinderarmut", "anteil_alleinerziehend"]
    base = {"ebene": "sozialraum", "stichtag": P.isoformat()}
    index = run(
        client, "index", {**index_form("Armut", keys[0], "sozialraum"), "indikatoren": keys}
    )
    areas, per_key = secret_for(analyst, keys, "sozialraum")
    assert areas > 0 and index.result["secret"] == {"areas": areas, "by_indicator": per_key}
    assert index.result["included"] == 225 - areas
    page = client.get(f"/analysen/{index.pk}/").content.decode()
    assert f"{areas} Gebiete ohne Ergebnis, weil Werte geheim sind" in page

    typology = run(
        client, "typology", {**base, "name": "T", "indikatoren": keys, "methode": "kmeans", "k": 3}
    )
    assert typology.result["secret"]["areas"] == areas == 225 - sum(typology.result["sizes"])
    lisa = run(client, "lisa", {**base, "name": "L", "indikator": keys[0], "permutationen": 99})
    assert lisa.result["secret"]["areas"] == secret_for(analyst, keys[:1], "sozialraum")[0]
    from quartier.analysis.reading import years_before

    mss_keys = {"s1": "arbeitslosenquote", "s3": "sgb2_quote", "s4": "kinderarmut"}
    mss_form = {**base, "name": "M", **mss_keys, "dynamik": "veraenderung"}
    mss = run(client, "mss", {**mss_form, "mindest_einwohner": "0"})
    expected = secret_for(analyst, list(mss_keys.values()), "sozialraum", (P, years_before(P, 2)))
    assert mss.result["secret"]["areas"] == expected[0] > 0
    assert sum(mss.result["counts"].values()) == 225 - expected[0]
    need = run(
        client,
        "need",
        {
            "name": "B",
            "ebene": "sozialraum",
            "bedingung-1-indikator": "kinderarmut",
            "bedingung-1-op": ">=",
            "bedingung-1-wert": "1,5",
            "bedingung-1-stadt": "ja",
        },
    )
    assert need.result["secret"]["areas"] == secret_for(analyst, ["kinderarmut"], "sozialraum")[0]

    # The segregation series of the attack: 1,616 of 5,000 blocks are hidden for analysts.
    segregation = run(
        client,
        "segregation",
        {"name": "S", "ebene": "baublock", "gruppe": "sgb2_u15", "gesamt": "ew_u15"},
    )
    last = segregation.result["series"][-1]
    expected = secret_for(analyst, ["sgb2_u15", "ew_u15"], "baublock")
    assert last["secret"] == expected[0] > 0 and last["areas"] + last["secret"] <= 5000
    assert segregation.result["secret"] == {"areas": expected[0], "by_indicator": expected[1]}
    page = client.get(f"/analysen/{segregation.pk}/").content.decode()
    assert f'<td class="num">{last["secret"]}</td></tr>' in page
    assert f"{expected[0]} Gebiete ohne Ergebnis, weil Werte geheim sind" in page
