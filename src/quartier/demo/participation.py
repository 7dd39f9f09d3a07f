"""Two participation procedures of the Musterstadt (issue 19): one open, one finished with its
results and decision. Pins lie inside the Sozialräume of the first Stadtbezirk; texts are
plausible sentences of children and young people (fictitious).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import shapely
from django.utils import timezone

from quartier.access.models import Unit
from quartier.participation.evaluation import evaluate
from quartier.participation.models import Category, Contribution, Procedure
from quartier.spatial.models import Area, Level

TEXTS = {
    "gern": [
        "Hier ist der beste Spielplatz",
        "Die Wiese am Bach ist toll",
        "Hier treffe ich meine Freunde",
        "Der Bolzplatz ist super",
        "Hier kann man gut Rad fahren",
    ],
    "unsicher": [
        "Die Straße ist zu schnell",
        "Hier ist es abends dunkel",
        "Kein Zebrastreifen vor der Schule",
        "Die Autos parken auf dem Gehweg",
        "Im Tunnel habe ich Angst",
    ],
    "fehlt": [
        "Hier fehlt ein Spielplatz",
        "Eine Bank zum Ausruhen fehlt",
        "Es fehlt ein Jugendtreff",
        "Ein Trinkbrunnen wäre gut",
        "Hier fehlt ein Radweg",
    ],
}
AGES = ["u10", "10-13", "14-17", ""]


def load(seed: int) -> int:
    """Create the two procedures with contributions; returns how many procedures."""
    level = Level.objects.get(key="sozialraum")
    first = Area.objects.filter(level__key="stadtbezirk").order_by("code").first()
    areas = list(Area.objects.filter(level=level, parent__parent=first).order_by("code"))
    owner = Unit.objects.get(key="jugendamt")
    rng = np.random.default_rng(seed + 19)
    today = timezone.localdate()
    finished = _procedure(
        "sichere-schulwege", "Sichere Wege zur Schule",
        "Wo fühlst du dich auf dem Schulweg sicher, wo unsicher, und was fehlt?",
        Procedure.Audience.YOUTH, owner, level, areas, date(2024, 5, 1), date(2024, 6, 30),
        decision="Der Ausschuss für Verkehr hat im September 2024 beschlossen: zwei neue "
        "Zebrastreifen an der Grundschule Mitte, Tempo 30 vor allen Schulen im Bezirk und "
        "bessere Beleuchtung im Bahnhofstunnel. Die Umsetzung beginnt 2025.",
    )  # fmt: skip
    _contributions(finished, areas, rng, 90, approved_share=0.9, pending_share=0.0)
    evaluate(finished)
    opened = _procedure(
        "wo-spielst-du-gern", "Wo spielst du gern?",
        "Zeig uns, wo du gern spielst, wo du dich unsicher fühlst und was dir fehlt.",
        Procedure.Audience.CHILDREN, owner, level, areas, today - timedelta(days=21),
        today + timedelta(days=60),
    )  # fmt: skip
    _contributions(opened, areas, rng, 45, approved_share=0.65, pending_share=0.3)
    return 2


def _procedure(key, title, question, audience, owner, level, areas, opens, closes, decision=""):
    procedure = Procedure.objects.create(
        key=key, title=title, question=question, audience=audience, owner=owner, level=level,
        opens=opens, closes=closes, decision=decision, results_public=bool(decision),
    )  # fmt: skip
    procedure.areas.set(areas)
    labels = [("gern", "Hier bin ich gern", "herz"),
              ("unsicher", "Hier fühle ich mich unsicher", "warnung"),
              ("fehlt", "Hier fehlt etwas", "plus")]  # fmt: skip
    for order, (code, label, symbol) in enumerate(labels):
        Category.objects.create(
            procedure=procedure, code=code, label=label, symbol=symbol, sort_order=order
        )
    return procedure


def _contributions(procedure, areas, rng, n, *, approved_share, pending_share) -> None:
    categories = list(procedure.categories.all())
    shapes = [a.shape for a in areas]
    # Some places draw many pins, others few: a skewed choice of areas.
    weights = rng.gamma(0.8, 1.0, len(areas))
    weights /= weights.sum()
    days = max((min(procedure.closes, timezone.localdate()) - procedure.opens).days, 1)
    made = []
    for _i in range(n):
        k = int(rng.choice(len(areas), p=weights))
        category = categories[int(rng.integers(len(categories)))]
        point = _point_in(shapes[k], rng)
        by_list = rng.random() < 0.2  # a fifth chose the place from the list
        roll = rng.random()
        status = (
            Contribution.Status.APPROVED if roll < approved_share
            else Contribution.Status.PENDING if roll < approved_share + pending_share
            else Contribution.Status.HIDDEN
        )  # fmt: skip
        text = "" if rng.random() < 0.35 else str(rng.choice(TEXTS[category.code]))
        lon, lat = (None, None) if by_list else (round(point.x, 6), round(point.y, 6))
        day = procedure.opens + timedelta(days=int(rng.integers(days)))
        made.append(
            Contribution(
                procedure=procedure, category=category, area=areas[k],
                lon=lon, lat=lat,
                age_group=str(rng.choice(AGES)), text=text, status=status,
                reason="Beleidigung entfernt" if status == Contribution.Status.HIDDEN else "",
                created=timezone.make_aware(datetime.combine(day, time(15, 0))),
            )
        )  # fmt: skip
    Contribution.objects.bulk_create(made)


def _point_in(shape, rng) -> shapely.Point:
    minx, miny, maxx, maxy = shape.bounds
    for _try in range(200):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shape.contains(shapely.Point(x, y)):
            return shapely.Point(x, y)
    return shape.point_on_surface()
