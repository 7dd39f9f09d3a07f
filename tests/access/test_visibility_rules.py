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
