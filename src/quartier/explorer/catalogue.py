"""What the landing page shows: levels, indicators by topic, periods."""

from __future__ import annotations

from collections import Counter

from quartier.indicators import readlayer
from quartier.indicators.models import Topic


def catalogue_overview(user) -> dict:
    """Levels with their number of current areas, visible indicators grouped by
    Handlungsfeld with their periods, and all periods with data.
    """
    reader = readlayer.reader(user)
    index = reader.index
    levels = [(level, index.areas(level).valid_at(None).size) for level in index.levels]
    periods = reader.periods_by_indicator()
    topics = []
    by_topic: dict[str, list] = {}
    for indicator in reader.visible_indicators().order_by("topic", "sort_order", "name"):
        by_topic.setdefault(indicator.topic, []).append((indicator, periods.get(indicator.id, [])))
    for value, label in Topic.choices:
        if value in by_topic:
            topics.append((label, by_topic[value]))
    counts = Counter(p for plist in periods.values() for p in plist)
    return {
        "levels": levels,
        "topics": topics,
        "indicator_count": sum(len(items) for _label, items in topics),
        "periods": sorted(counts),
    }


def map_catalogue(user) -> dict:
    """Levels and visible indicators (grouped by topic, with metadata and periods) for the map."""
    reader = readlayer.reader(user)
    index = reader.index
    periods = reader.periods_by_indicator()
    topics: dict[str, dict] = {}
    labels = dict(Topic.choices)
    for ind in reader.visible_indicators().order_by("topic", "sort_order", "name"):
        if ind.id not in periods:
            continue
        topic = topics.setdefault(
            ind.topic, {"key": ind.topic, "label": str(labels[ind.topic]), "indicators": []}
        )
        topic["indicators"].append(
            {
                "key": ind.key,
                "name": ind.name,
                "unit": ind.unit,
                "kind": ind.kind,
                "kind_label": str(ind.get_kind_display()),
                "polarity": ind.polarity,
                "description": ind.description,
                "source": ind.source,
                "decimals": ind.decimals,
                "periods": [p.isoformat() for p in periods[ind.id]],
            }
        )
    return {
        "levels": [
            {
                "key": lv.key,
                "name": lv.name,
                "parent": next((p.key for p in index.levels if p.id == lv.parent_id), None),
            }
            for lv in index.levels
        ],
        "topics": [topics[key] for key, _label in Topic.choices if key in topics],
    }
