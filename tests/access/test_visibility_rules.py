"""The fast (Python) and the SQL form of the visibility rules always agree."""

from __future__ import annotations

import random

import pytest

from quartier.access.models import Unit
from quartier.access.rights import filter_visible, visible_ids
from quartier.indicators.models import Indicator, Visibility

pytestmark = pytest.mark.django_db


def sql_ids(user) -> set[int]:
    return set(filter_visible(Indicator.objects.all(), user).values_list("id", flat=True))


def test_both_forms_agree_on_musterstadt(users):
    for role, user in users.items():
        assert visible_ids(user) == sql_ids(user), role
    assert Indicator.objects.get(key="hze_quote").pk in visible_ids(users["steward"])
    assert Indicator.objects.get(key="hze_quote").pk not in visible_ids(users["analyst"])


@pytest.mark.parametrize("seed", range(6))
def test_both_forms_agree_on_random_rights(users, seed):
    rng = random.Random(seed)
    units = list(Unit.objects.all())
    indicators = list(Indicator.objects.all())
    for indicator in indicators:
        indicator.visibility = rng.choice(Visibility.values)
        indicator.owner = rng.choice([None, *units])
        indicator.save(update_fields=["visibility", "owner"])
        indicator.shared_with.set(rng.sample(units, rng.randint(0, 2)))
    counts = [i for i in indicators if i.kind == "count"]
    for indicator in rng.sample(indicators, 5):  # analysis-like derivations
        indicator.derived_from.set(rng.sample(counts, 2))
    users["analyst"].units.set(rng.sample(units, 1))
    for role, user in users.items():
        user = type(user).objects.get(pk=user.pk) if user.is_authenticated else user
        assert visible_ids(user) == sql_ids(user), (seed, role)


@pytest.mark.parametrize("seed", range(6))
def test_both_forms_agree_on_confidential_analysis_results(users, seed):
    """Results from unprotected values: both forms block the same ones for every user."""
    from quartier.access.models import Role, User
    from quartier.analysis.models import Analysis
    from quartier.spatial.models import Level

    rng = random.Random(seed)
    units = list(Unit.objects.all())
    counts = list(Indicator.objects.filter(kind="count"))
    for indicator in rng.sample(counts, 12):
        indicator.owner = rng.choice([None, *units])
        indicator.save(update_fields=["owner"])
    level = Level.objects.get(key="stadtteil")
    for i in range(8):
        confidential = rng.random() < 0.8
        result = Indicator.objects.create(
            key=f"ergebnis_{i}",
            name=f"Ergebnis {i}",
            kind="other",
            topic="soziales",
            visibility="restricted" if confidential else rng.choice(Visibility.values),
            owner=rng.choice(units),
            confidential=confidential,
        )
        inputs = rng.sample(counts, 3)
        result.derived_from.set(inputs)
        result.shared_with.set(rng.sample(units, rng.randint(0, 2)))
        # some results come from several runs, some from a run without recorded sources
        for run in range(rng.randint(1, 2)):
            analysis = Analysis.objects.create(
                kind="index", name=f"A{i}.{run}", level=level, confidential=rng.random() < 0.8
            )
            analysis.outputs.add(result)
            analysis.inputs.set(inputs)
            if analysis.confidential and rng.random() < 0.85:
                analysis.confidential_sources.set(rng.sample(inputs, rng.randint(1, 3)))
    stewards = []
    for i in range(4):
        steward = User.objects.create_user(f"dv{i}", password="x" * 12, role=Role.DATA_STEWARD)
        steward.units.set(rng.sample(units, rng.randint(1, len(units))))
        stewards.append(steward)
    results = set(
        Indicator.objects.filter(key__startswith="ergebnis_").values_list("id", flat=True)
    )
    for role, user in [*users.items(), *((s.username, s) for s in stewards)]:
        user = type(user).objects.get(pk=user.pk) if user.is_authenticated else user
        ids = visible_ids(user)
        assert ids == sql_ids(user), (seed, role)
    confidential = set(Indicator.objects.filter(confidential=True).values_list("id", flat=True))
    assert confidential <= results and not confidential & visible_ids(users["analyst"])
    assert confidential <= visible_ids(users["admin"])


def kreis_with_gemeinden():
    """A Kreis with Gemeinden A and B, and a second Kreis with Gemeinde C."""
    from quartier.access.models import Territory

    kreis = Territory.objects.create(key="kreis", name="Musterkreis", kind="kreis")
    other = Territory.objects.create(key="anderer", name="Anderer Kreis", kind="kreis")
    return {
        "kreis": kreis,
        "a": Territory.objects.create(key="a", name="A", kind="gemeinde", parent=kreis),
        "b": Territory.objects.create(key="b", name="B", kind="gemeinde", parent=kreis),
        "other": other,
        "c": Territory.objects.create(key="c", name="C", kind="gemeinde", parent=other),
    }


def test_internal_indicators_stay_in_their_territory_unless_shared_with_the_kreis(users):
    from quartier.access.models import Role, User

    places = kreis_with_gemeinden()
    owners = {}
    for name, territory in places.items():
        owners[name] = Unit.objects.create(key=f"u_{name}", name=name, territory=territory)
    internal = {
        name: Indicator.objects.create(
            key=f"intern_{name}", name=name, kind="count", visibility="internal", owner=unit
        )
        for name, unit in owners.items()
    }
    shared = Indicator.objects.create(
        key="intern_a_geteilt", name="geteilt", kind="count", visibility="internal",
        owner=owners["a"], kreis_shared=True,
    )  # fmt: skip
    whole = Indicator.objects.get(key="esu_uebergewicht")  # its unit has no territory

    def seen(territory):
        user = User.objects.create_user(f"user_{territory}", role=Role.ANALYST)
        if territory:
            user.units.add(owners[territory])
        ids = visible_ids(user)
        assert ids == sql_ids(user), territory
        names = {n for n, i in internal.items() if i.pk in ids}
        return names, shared.pk in ids, whole.pk in ids

    # A Gemeinde sees its own and its Kreis's; not its neighbour's, not another Kreis's.
    assert seen("a") == ({"a", "kreis"}, True, True)
    assert seen("b") == ({"b", "kreis"}, False, True)
    # The Kreis sees its own and what a Gemeinde shared with it.
    assert seen("kreis") == ({"kreis"}, True, True)
    assert seen("c") == ({"c", "other"}, False, True)
    # Without a territory: only what belongs to the whole installation.
    assert seen(None) == (set(), False, True)


@pytest.mark.parametrize("seed", range(4))
def test_both_forms_agree_on_random_territories(users, seed):
    rng = random.Random(seed)
    places = list(kreis_with_gemeinden().values())
    units = list(Unit.objects.all())
    for unit in units:
        unit.territory = rng.choice([None, *places])
        unit.save(update_fields=["territory"])
    for indicator in Indicator.objects.all():
        indicator.visibility = rng.choice(Visibility.values)
        indicator.owner = rng.choice([None, *units])
        indicator.kreis_shared = rng.random() < 0.3
        indicator.save(update_fields=["visibility", "owner", "kreis_shared"])
    users["analyst"].units.set(rng.sample(units, rng.randint(1, 2)))
    for role, user in users.items():
        user = type(user).objects.get(pk=user.pk) if user.is_authenticated else user
        assert visible_ids(user) == sql_ids(user), (seed, role)
