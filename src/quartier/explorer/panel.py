"""The map's side panel: the selected area's figures for exactly the map's view."""

from __future__ import annotations

from quartier.explorer.mapdata import MapView, shown_unit
from quartier.explorer.profile import ProfileRow
from quartier.indicators import comparison, readlayer
from quartier.indicators.status import Status
from quartier.spatial.models import Area


def _status(status: Status) -> dict:
    """The status as the map's legend names it (word, mark, label)."""
    return {"status": status.word, "mark": status.mark, "label": status.label}


def panel_row(row: ProfileRow) -> dict:
    """One indicator of the panel: value, city value and rank on the row's Stichtag."""
    ind = row.indicator
    return {
        "key": ind.key,
        "name": ind.name,
        "unit": ind.unit,
        "decimals": ind.decimals,
        "period": row.period.isoformat(),
        "value": row.value,
        "city": row.city_value,
        "rank": row.rank,
        "rank_of": row.rank_of,
        **_status(row.status),
    }


def area_change(user, view: MapView, area: Area) -> dict:
    """What the map shows for ``area`` in change mode: the change, its rank, the city's.

    Computed by the read layer's one change rule, so panel, map and table agree;
    a secret change has no value and no rank, as on the map.
    """
    reader = readlayer.reader(user)
    changes = reader.change(view.indicator, view.level, view.period, view.compare)
    rank, rank_of = comparison.rank_of(changes, area.code)
    return {
        "key": view.indicator.key,
        "name": view.indicator.name,
        "unit": shown_unit(view),
        "decimals": view.indicator.decimals,
        "period": view.period.isoformat(),
        "since": view.compare.isoformat(),
        "value": changes.value_of(area.code),
        "city": reader.total_change(view.indicator, view.period, view.compare),
        "rank": rank,
        "rank_of": rank_of,
        **_status(changes.status_of(area.code)),
    }
