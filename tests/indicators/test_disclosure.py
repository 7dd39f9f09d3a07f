"""Disclosure control in the read layer, attacked with everything a visitor can see."""

import csv
import io
import json
import re
from datetime import date

import numpy as np
import pytest

from quartier.indicators import readlayer
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.status import Status
from quartier.spatial.models import Level
from tests.support import attacker

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


def _family():
    """Keys of Musterstadt's age counts and their declared sums, by position."""
    from quartier.demo.catalogue import SUMS

    keys = sorted(set(SUMS) | {p for parts in SUMS.values() for p in parts})
    position = {k: i for i, k in enumerate(keys)}
    return keys, [(position[t], [position[p] for p in parts]) for t, parts in SUMS.items()]


def _client_for(client, user):
    if user.is_authenticated:
        client.force_login(user)
    return client


@pytest.mark.slow
@pytest.mark.parametrize("period", [date(2014, 12, 31), P2024])
def test_lp_attacker_through_the_api_narrows_no_hidden_value_for_the_public(client, users, period):
    """Every public count, the age family as one linked table, and the mean age: nothing.

    The attacker knows every published value at every level, the hierarchy, the
    declared sums, that nothing is negative and — more than anyone outside —
    which hidden cells are not zero.
    """
    keys, sums = _family()
    outcome = attacker.attack_counts(client, users["admin"], keys, period, sums)
    assert outcome.small > 10000 and outcome.narrowed == []
    singles = Indicator.objects.filter(kind=Kind.COUNT, visibility="public").exclude(key__in=keys)
    for key in singles.values_list("key", flat=True):
        outcome = attacker.attack_counts(client, users["admin"], [key], period)
        assert outcome.narrowed == [], key
    outcome = attacker.attack_mean(client, users["admin"], "durchschnittsalter", period)
    assert outcome.small > 50 and outcome.narrowed == []


@pytest.mark.slow
def test_lp_attacker_narrows_nothing_for_an_analyst(client, users):
    """Internal and restricted counts, seen protected by an analyst (and the Jugendamt's)."""
    from django.test import Client

    analyst = _client_for(client, users["analyst"])
    for key in ["esu_untersucht", "esu_uebergewicht", "esu_sprachfoerderung"]:
        outcome = attacker.attack_counts(analyst, users["admin"], [key], P2024)
        assert outcome.small > 0 and outcome.narrowed == [], key
    jugendamt = _client_for(Client(), _jugendamt_analyst(users))
    outcome = attacker.attack_counts(jugendamt, users["admin"], ["hze_faelle"], P2024)
    assert outcome.small > 100 and outcome.narrowed == []


def _classic(table, values, targets, **kwargs):
    """The first version's rule in place of the protection (to prove the attacks have teeth)."""
    from tests.support.classic import protect_counts

    hidden = protect_counts(values.T.ravel(), table.groups(), 3)
    return hidden.reshape(values.shape[1], values.shape[0]).T, None


def test_the_attacker_has_teeth_against_the_first_versions_rule(client, users, monkeypatch):
    """With the old rule ("no group with exactly one hidden cell") the same attack narrows cells."""
    from quartier.indicators import disclosure, suppression

    monkeypatch.setattr(suppression.protection, "protect", _classic)
    disclosure.clear()
    outcome = attacker.attack_counts(client, users["admin"], ["haushalte"], P2024)
    assert len(outcome.narrowed) > 20


def test_the_check_command_finds_nothing_and_has_teeth(users, monkeypatch):
    from quartier.indicators import disclosure, suppression
    from quartier.indicators.disclosure_check import check

    keys = ["ew_gesamt", "haushalte", "arbeitslose", "durchschnittsalter"]  # + the age family
    report = check(users["anonymous"], users["admin"], keys, [date(2014, 12, 31), P2024])
    assert report.tables == 8 and report.cells > 25000 and report.findings == []
    monkeypatch.setattr(suppression.protection, "protect", _classic)
    disclosure.clear()
    report = check(users["anonymous"], users["admin"], ["haushalte"], [P2024])
    assert len(report.findings) > 20
    first = report.findings[0]
    assert first.indicator == "haushalte" and first.high < 3 and first.rule == "klein"


def test_the_mean_age_is_not_recomputable_and_was_before(client, users, monkeypatch):
    """The first version hid a mean over few residents, but not the means around it."""
    from quartier.indicators import disclosure, suppression

    def first_version(index, indicator, period, weight):
        rows = suppression.build_rows(
            index, suppression.levels_of(index, indicator, period), period
        )
        weights = rows.column(index, indicator.weight, period)
        with np.errstate(invalid="ignore"):
            small = (weights >= 1) & (weights < indicator.min_denominator)
        return rows.masks(small | rows.spread(weight))

    monkeypatch.setattr(suppression, "mean_masks", first_version)
    disclosure.clear()
    outcome = attacker.attack_mean(client, users["admin"], "durchschnittsalter", P2024)
    exact = [f for f in outcome.narrowed if f.high - f.low < 1e-6]
    assert len(exact) > 10  # recomputed exactly (the issue counted 527 over all eleven periods)


def test_a_protection_that_fails_its_check_answers_503_and_shows_nothing(client, monkeypatch):
    from quartier.core.protection import ProtectionError
    from quartier.indicators import disclosure, suppression

    def broken(*args, **kwargs):
        raise ProtectionError("a move breaks an equation")

    monkeypatch.setattr(suppression.protection, "protect", broken)
    disclosure.clear()
    query = {"indicator": "haushalte", "level": "baublock", "period": P2024.isoformat()}
    response = client.get("/api/v1/values/", query)
    assert response.status_code == 503 and "geschützt" in response.json()["error"]
    view = {"indikator": "haushalte", "ebene": "baublock", "stichtag": P2024.isoformat()}
    assert client.get("/karte/werte/", view).status_code == 503


def test_a_numerator_hidden_for_its_rate_is_never_exact_even_with_mindestfallzahl_1(users):
    from quartier.indicators import families
    from quartier.indicators.disclosure_check import check

    Indicator.objects.filter(key="arbeitslose").update(min_count=1)  # no small counts at all
    families.bump()
    report = check(users["anonymous"], users["admin"], ["arbeitslose"], [P2024])
    assert report.cells > 300 and report.findings == []  # the Mindestnenner's numerators


def test_a_changed_sum_is_audited_and_applies_at_once(users):
    from quartier.access.models import AuditEntry
    from quartier.indicators import families

    block = Level.objects.get(key="baublock")
    small = Indicator.objects.get(key="ew_0_2")
    before = readlayer.area_values(users["anonymous"], small, block, P2024)
    try:
        Indicator.objects.get(key="ew_u15").sum_of.clear()
        entry = AuditEntry.objects.filter(action=AuditEntry.Action.METADATA).latest("id")
        assert entry.target == "ew_u15" and entry.details["sum_of"] == "clear"
        after = readlayer.area_values(users["anonymous"], small, block, P2024)
        assert (after.status != before.status).any()
    finally:
        families.bump()


def _jugendamt_analyst(users):
    from quartier.access.models import Role, Unit, User

    analyst = User.objects.create_user("ja_analyst", role=Role.ANALYST)
    analyst.units.add(Unit.objects.get(key="jugendamt"))
    return analyst


def test_rates_are_hidden_where_their_counts_are(users):
    anonymous = users["anonymous"]
    rate = Indicator.objects.get(key="kinderarmut")
    for level in Level.objects.all():
        shown_rate = readlayer.area_values(anonymous, rate, level, P2024)
        numerator = readlayer.area_values(anonymous, rate.numerator, level, P2024)
        denominator = readlayer.area_values(anonymous, rate.denominator, level, P2024)
        secret = (numerator.status == Status.SUPPRESSED) | (denominator.status == Status.SUPPRESSED)
        assert (shown_rate.status[secret] == Status.SUPPRESSED).all(), level.key
        # Below the Mindestnenner the rate is hidden, and so is its numerator (zeros too);
        # elsewhere it is shown wherever both parts are: hiding it would protect nothing.
        small = (denominator.values >= 1) & (denominator.values < rate.min_denominator)
        assert (shown_rate.status[small] == Status.SUPPRESSED).all()
        assert (numerator.status[small] == Status.SUPPRESSED).all()
        both = (numerator.status == Status.OK) & (denominator.status == Status.OK)
        both &= denominator.values >= 1  # 0 / 0 is no rate
        assert (shown_rate.status[both] == Status.OK).all()


def test_owner_and_admin_see_unsuppressed_values_marked_confidential(users):
    hze = Indicator.objects.get(key="hze_faelle")
    block = Level.objects.get(key="baublock")
    steward = readlayer.area_values(users["steward"], hze, block, P2024)  # Jugendamt steward
    admin = readlayer.area_values(users["admin"], hze, block, P2024)
    assert steward.confidential and admin.confidential
    assert (steward.status != Status.SUPPRESSED).all()
    from quartier.access.models import Role, Unit, User

    other = User.objects.create_user("ja_analyst2", role=Role.ANALYST)
    other.units.add(Unit.objects.get(key="jugendamt"))  # member, but not a data steward
    protected = readlayer.area_values(other, hze, block, P2024)
    assert not protected.confidential and (protected.status == Status.SUPPRESSED).any()


def test_no_output_shows_a_hidden_number(client, users):
    """Map JSON, table page, CSV, profile, comparison and side panel of a non-privileged user."""
    indicator = Indicator.objects.get(key="sgb2_u15")
    assert indicator.kind == Kind.COUNT and indicator.visibility == "public"
    level = Level.objects.get(key="sozialraum")
    truth = readlayer.area_values(users["admin"], indicator, level, P2024)
    shown = readlayer.area_values(users["anonymous"], indicator, level, P2024)
    secret = [i for i, s in enumerate(shown.status) if s == Status.SUPPRESSED]
    assert secret, "some Sozialräume must be hidden for this test"
    query = f"ebene=sozialraum&indikator=sgb2_u15&stichtag={P2024}"
    data = client.get(f"/karte/werte/?{query}").json()
    text = client.get(f"/tabelle/csv/?{query}&format=international").content.decode("utf-8-sig")
    rows = {r[0]: r for r in csv.reader(io.StringIO(text)) if r}
    page = client.get(f"/tabelle/?{query}").content.decode()
    for i in secret:
        code = shown.codes[i]
        assert data["values"][i] is None and data["classes"][i] == "-"
        assert rows[code][2] == "." and rows[code][3] == "" and rows[code][4] == "."
        row = re.search(rf'<tr data-code="{code}">(.*?)</tr>', page, re.S).group(1)
        assert "•" in row and str(int(truth.values[i])) not in re.findall(r">(\d+)<", row)
    code = shown.codes[secret[0]]
    profile = client.get(f"/gebiete/sozialraum/{code}/").content.decode()
    cell = re.search(
        r'<tr data-indicator="sgb2_u15"[^>]*>.*?<td class="num value">(.*?)</td>', profile, re.S
    ).group(1)
    assert "•" in cell
    compare = client.get(f"/vergleich/?gebiet=sozialraum:{code}").content.decode()
    cell = re.search(
        r'<tr data-indicator="sgb2_u15"[^>]*>.*?<td class="num">(.*?)</td>', compare, re.S
    ).group(1)
    assert "•" in cell
    panel = client.get(f"/karte/gebiet/sozialraum/{code}/?indikator=sgb2_u15").json()
    assert panel["current"]["value"] is None
    assert json.dumps(data).count("null") >= len(secret)


def test_change_mode_hides_changes_of_hidden_values(client, users):
    query = "ebene=baublock&indikator=sgb2_u15&stichtag=2024-12-31&vergleich=2019-12-31"
    data = client.get(f"/karte/werte/?{query}").json()
    block = Level.objects.get(key="baublock")
    indicator = Indicator.objects.get(key="sgb2_u15")
    before = readlayer.area_values(users["anonymous"], indicator, block, date(2019, 12, 31))
    for i, status in enumerate(before.status):
        if status == Status.SUPPRESSED:
            assert data["values"][i] is None
            assert data["statuses"][data["status"][i]]["word"] == "suppressed"


def test_a_changed_threshold_applies_at_once_also_from_another_process(users):
    from quartier.indicators import families

    block = Level.objects.get(key="baublock")
    arbeitslose = Indicator.objects.get(key="arbeitslose")
    before = readlayer.area_values(users["anonymous"], arbeitslose, block, P2024)
    # .update() sends no signal, as a change made by another server process would not.
    Indicator.objects.filter(key="arbeitslose").update(min_count=1)
    # (arbeitslose is also the numerator of a rate whose Mindestnenner would hide it)
    Indicator.objects.filter(numerator__key="arbeitslose").update(min_denominator=0)
    assert families._load().version != families.relations().version
    families._state["at"] = -1.0  # the second the cached relations live has passed
    after = readlayer.area_values(
        users["anonymous"], Indicator.objects.get(key="arbeitslose"), block, P2024
    )
    assert (before.status == Status.SUPPRESSED).any()
    assert not (after.status == Status.SUPPRESSED).any()
