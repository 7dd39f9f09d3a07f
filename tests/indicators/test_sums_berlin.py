"""Counts linked by sums on real data: Berlin's residents by age group per Planungsraum (2024).

The eight age groups add up to the residents in all 542 Planungsräume
(``../shared/data/berlin-einwohner-plr-2024/SOURCE.md``). With a Mindestfallzahl
of 10 some groups are secret; the attacker knows the sum and the city totals.
"""

from __future__ import annotations

from datetime import date

import pytest

from quartier.imports.tables import read_table
from quartier.imports.values_import import commit_table
from quartier.indicators import families
from quartier.indicators.models import Indicator
from tests.imports.test_values_import import POP, csv_rows, plr, wide  # noqa: F401  (fixture)
from tests.support import attacker

pytestmark = pytest.mark.django_db
P = date(2024, 12, 31)
GROUPS = ["below_6", "6_15", "15_18", "18_27", "27_45", "45_55", "55_65", "above_65"]
KEYS = ["ew"] + [f"ew_{g}" for g in GROUPS]


@pytest.fixture
def berlin_ages(plr):  # noqa: F811
    columns = {"inhabitants": ("ew", "Personen", "count")}
    columns |= {f"inhabitants_age_{g}": (f"ew_{g}", "Personen", "count") for g in GROUPS}
    mapping = wide(columns, key_column="id", level="planungsraum", period="2024")
    _batch, report = commit_table(read_table(POP), mapping, source_name=POP.name, sha256="x")
    Indicator.objects.filter(key__in=KEYS).update(min_count=10)
    families.bump()  # .update() sends no signal
    return report


def attack(client, admin) -> attacker.Outcome:
    """The LP attack on the nine counts over the Planungsräume and Berlin's totals.

    Berlin's totals are public anyway (the statistics office publishes them): the
    attacker is given them.
    """
    return attacker.attack_counts(
        client, admin, KEYS, P, sums=[(0, list(range(1, len(KEYS))))], top=True
    )


def test_the_import_finds_the_sum_and_declares_it(berlin_ages):
    total = Indicator.objects.get(key="ew")
    assert set(total.sum_of.values_list("key", flat=True)) == set(KEYS[1:])
    assert any("„inhabitants“ ist die Summe von" in note for note in berlin_ages.notes)
    assert berlin_ages.sums == [("ew", sorted(KEYS[1:]))]


def test_age_groups_of_berlin_cannot_be_narrowed(berlin_ages, users, client):
    client.force_login(users["analyst"])
    total = Indicator.objects.get(key="ew")
    parts = list(total.sum_of.all())
    # Without the sum each count is protected on its own, and the attack succeeds.
    total.sum_of.clear()
    assert len(attack(client, users["admin"]).narrowed) > 0
    total.sum_of.set(parts)
    outcome = attack(client, users["admin"])
    small = sum(
        0 < float(row[f"inhabitants_age_{g}"]) < 10
        for row in csv_rows(POP, "id").values()
        for g in GROUPS
    )
    assert small == 11  # the groups below the Mindestfallzahl, straight from the file
    assert outcome.small == small and outcome.hidden > small and outcome.narrowed == []
    # The audit command says the same.
    from quartier.indicators.disclosure_check import check

    report = check(users["analyst"], users["admin"], ["ew"], [P])
    assert report.cells == small and report.findings == []
