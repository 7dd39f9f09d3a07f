"""Counts linked by sums on real data: Berlin's residents by age group per Planungsraum (2024).

The eight age groups add up to the residents in all 542 Planungsräume
(``../shared/data/berlin-einwohner-plr-2024/SOURCE.md``). With a Mindestfallzahl
of 10 some groups are secret; the attacker knows the sum and the city totals.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from quartier.core.disclosure import Groups, join, recoverable, tree_groups
from quartier.imports.tables import read_table
from quartier.imports.values_import import commit_table
from quartier.indicators import families, readlayer
from quartier.indicators.models import Indicator
from quartier.indicators.status import Status
from quartier.spatial.models import Level
from tests.imports.test_values_import import POP, csv_rows, plr, wide  # noqa: F401  (fixture)
from tests.indicators.test_disclosure import linearly_determined

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


def attack(user, admin) -> tuple[int, int]:
    """(hidden, recovered) over the Planungsräume and the city total of all nine counts.

    Berlin's totals are public anyway (the statistics office publishes them): the
    attacker is given them.
    """
    level = Level.objects.get(key="planungsraum")
    values, present, parents = [], [], []
    n = 0
    for i, key in enumerate(KEYS):
        indicator = Indicator.objects.get(key=key)
        result = readlayer.area_values(user, indicator, level, P)
        n = len(result.area_ids) + 1  # the areas, then Berlin
        berlin = np.nansum(readlayer.area_values(admin, indicator, level, P).values)
        shown = np.where(result.status == Status.OK, result.values, np.nan)
        values.append(np.r_[shown, berlin])
        present.append(np.r_[result.status != Status.MISSING, True])
        parents.append(np.r_[np.full(n - 1, i * n + n - 1), -1])
    sums = Groups(
        total=np.arange(n),
        group=np.repeat(np.arange(n), len(GROUPS)),
        cell=np.array([(1 + j) * n + area for area in range(n) for j in range(len(GROUPS))]),
    )
    groups = join(tree_groups(np.concatenate(parents)), sums)
    published, present = np.concatenate(values), np.concatenate(present)
    hidden = present & np.isnan(published)
    determined = linearly_determined(published, present, groups)
    return int(hidden.sum()), int(recoverable(published, present, groups).sum()), determined


def test_the_import_finds_the_sum_and_declares_it(berlin_ages):
    total = Indicator.objects.get(key="ew")
    assert set(total.sum_of.values_list("key", flat=True)) == set(KEYS[1:])
    assert any("„inhabitants“ ist die Summe von" in note for note in berlin_ages.notes)
    assert berlin_ages.sums == [("ew", sorted(KEYS[1:]))]


def test_age_groups_of_berlin_cannot_be_recomputed(berlin_ages, users):
    total = Indicator.objects.get(key="ew")
    parts = list(total.sum_of.all())
    # Without the sum each count is protected on its own, and the attack succeeds.
    total.sum_of.clear()
    _hidden, recovered, determined = attack(users["analyst"], users["admin"])
    assert recovered > 0 and determined >= recovered
    total.sum_of.set(parts)
    hidden, recovered, determined = attack(users["analyst"], users["admin"])
    small = sum(
        0 < float(row[f"inhabitants_age_{g}"]) < 10
        for row in csv_rows(POP, "id").values()
        for g in GROUPS
    )
    assert small == 11  # the groups below the Mindestfallzahl, straight from the file
    assert hidden > small and recovered == 0 and determined == 0
