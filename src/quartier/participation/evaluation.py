"""Evaluation of a procedure: approved contributions counted per category and area become
indicators (protected like any count), a word list per area, and export files.

The counts are stored for the procedure's level and its Stichtag (the closing day), so an
evaluation run again replaces the earlier counts instead of adding a period. A total of all
categories is declared the sum of the categories (``sum_of``): disclosure control then
protects them together, and no hidden count can be had by subtracting.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from django.db import transaction

from quartier.indicators.batches import create_batch, write_values
from quartier.indicators.models import Indicator
from quartier.participation.models import Contribution, Procedure

MIN_COUNT = 3  # like case counts: 1 and 2 are hidden (a single child's pin is not published)
# Words that say nothing about a place (German function words, and the procedure's own).
STOPWORDS = set(
    [
        "aber",
        "alle",
        "als",
        "also",
        "am",
        "an",
        "auch",
        "auf",
        "aus",
        "bei",
        "bin",
        "bis",
        "da",
        "dann",
        "das",
        "dass",
        "dem",
        "den",
        "der",
        "des",
        "die",
        "dort",
        "du",
        "durch",
        "ein",
        "eine",
        "einem",
        "einen",
        "einer",
        "eines",
        "er",
        "es",
        "für",
        "gibt",
        "hab",
        "habe",
        "haben",
        "hat",
        "hier",
        "ich",
        "ihr",
        "im",
        "in",
        "ist",
        "ja",
        "kann",
        "kein",
        "keine",
        "man",
        "mehr",
        "mich",
        "mir",
        "mit",
        "nach",
        "nicht",
        "noch",
        "nur",
        "ob",
        "oder",
        "sehr",
        "sich",
        "sie",
        "sind",
        "so",
        "über",
        "um",
        "und",
        "uns",
        "unser",
        "viel",
        "vom",
        "von",
        "vor",
        "war",
        "was",
        "weil",
        "wenn",
        "wie",
        "wir",
        "wird",
        "zu",
        "zum",
        "zur",
        "gern",
        "gerne",
        "immer",
        "ganz",
    ]
)


@dataclass
class Evaluation:
    """What an evaluation run wrote."""

    batch_id: int
    indicators: list[Indicator]
    approved: int


def indicator_key(procedure: Procedure, code: str) -> str:
    """The key of a category's count indicator (``alle``: the total)."""
    return f"bet_{procedure.pk}_{code}"[:60]


def _indicator(procedure: Procedure, code: str, name: str) -> Indicator:
    visibility = "public" if procedure.results_public else "internal"
    indicator, _created = Indicator.objects.update_or_create(
        key=indicator_key(procedure, code),
        defaults={
            "name": f"{procedure.title}: {name}",
            "kind": "count",
            "unit": "Beiträge",
            "topic": "beteiligung",
            "owner": procedure.owner,
            "visibility": visibility,
            "min_count": MIN_COUNT,
            "source": f"Beteiligungsverfahren „{procedure.title}“ (freigegebene Beiträge)",
            "description": procedure.question,
        },
    )
    return indicator


def evaluate(procedure: Procedure, user=None) -> Evaluation:
    """Count the approved contributions per category and area and store them as values."""
    approved = list(procedure.contributions.filter(status=Contribution.Status.APPROVED))
    counts = Counter((c.category_id, c.area_id) for c in approved)
    areas = list(procedure.areas.values_list("pk", flat=True))
    with transaction.atomic():
        parts = {
            category.pk: _indicator(procedure, category.code, category.label)
            for category in procedure.categories.all()
        }
        total = _indicator(procedure, "alle", "alle Beiträge")
        total.sum_of.set(parts.values())
        batch = create_batch(
            f"Beteiligung: {procedure.title}",
            user=user,
            description=f"Auswertung des Beteiligungsverfahrens {procedure.key}",
        )
        rows = []
        for area in areas:
            for category, indicator in parts.items():
                rows.append(
                    (indicator.pk, area, procedure.closes, float(counts[category, area]), "")
                )
            together = sum(counts[category, area] for category in parts)
            rows.append((total.pk, area, procedure.closes, float(together), ""))
        write_values(batch, rows)
    return Evaluation(batch.pk, [*parts.values(), total], len(approved))


def words_by_area(procedure: Procedure, top: int = 8) -> list[tuple[str, list[tuple[str, int]]]]:
    """The most frequent words of approved texts, per place (name, [(word, count)])."""
    by_area: dict[str, Counter] = {}
    approved = procedure.contributions.filter(status=Contribution.Status.APPROVED)
    for item in approved.exclude(text="").select_related("area"):
        words = re.findall(r"[a-zäöüß]{3,}", item.text.lower())
        by_area.setdefault(item.area.name, Counter()).update(w for w in words if w not in STOPWORDS)
    return [(name, counter.most_common(top)) for name, counter in sorted(by_area.items())]
