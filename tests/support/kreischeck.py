"""Checks of a built Musterkreis, run inside its installation (``python -m tests.support.kreischeck``).

Prints one JSON object: the Gemeinden's totals and the Kreis total, which levels each
Gemeinde has, what the independent attacker (:mod:`tests.support.attacker`) narrows for
public counts, and which internal indicators each demo account sees.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date

import django


def main() -> None:
    """Print the findings for the Stichtag in ``sys.argv[1]`` and the counts after it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quartier.settings")
    django.setup()
    from django.test import Client

    from quartier.access.models import User
    from quartier.access.rights import visible_ids
    from quartier.indicators import readlayer
    from quartier.indicators.models import Indicator
    from quartier.spatial.index import area_index
    from quartier.spatial.models import Area, Level
    from tests.support import attacker

    period = date.fromisoformat(sys.argv[1])
    admin = User.objects.get(username="admin")
    people = Indicator.objects.get(key="ew_gesamt")
    totals = {}
    for key in ("kreis", "gemeinde"):
        result = readlayer.area_values(admin, people, Level.objects.get(key=key), period)
        totals[key] = dict(zip(result.codes, result.values.tolist(), strict=True))
    index = area_index()
    levels = {}
    for gemeinde in Area.objects.filter(level__key="gemeinde"):
        inside = index.within({gemeinde.pk})
        found = Area.objects.filter(id__in=inside.tolist()).exclude(pk=gemeinde.pk)
        levels[gemeinde.code] = sorted(set(found.values_list("level__key", flat=True)))
    skipping = Area.objects.filter(level__key="sozialraum", parent__level__key="gemeinde")
    own = Indicator.objects.filter(owner__territory__kind="gemeinde").order_by("key")
    seen = {
        user.username: [i.key for i in own if i.pk in visible_ids(user)]
        for user in User.objects.order_by("username")
    }
    from quartier.access.models import Territory
    from quartier.explorer.municipal import compare_municipalities

    child_poverty = Indicator.objects.get(key="kinderarmut")
    comparison = {}
    for username in ("analyse", "gemeinde", "kreisstadt"):
        found = compare_municipalities(User.objects.get(username=username), child_poverty, period)
        comparison[username] = {
            "definitions": len(found.definitions),
            "ranked": sum(1 for row in found.rows if row.rank),
            "others": sum(len(row.others) for row in found.rows),
        }
    portals = list(Territory.objects.filter(portal=True).values_list("key", flat=True))
    attacks = {}
    for key in sys.argv[2:]:
        outcome = attacker.attack_counts(Client(HTTP_HOST="localhost"), admin, [key], period)
        attacks[key] = {"small": outcome.small, "narrowed": len(outcome.narrowed)}
    print(
        json.dumps(
            {
                "totals": totals,
                "levels": levels,
                "skipping": skipping.count(),
                "own": [i.key for i in own],
                "seen": seen,
                "attacks": attacks,
                "comparison": comparison,
                "portals": portals,
            }
        )
    )


if __name__ == "__main__":
    main()
