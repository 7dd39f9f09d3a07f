"""JSON documents for the map's JavaScript: compact, aligned with the geometry order."""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext

from quartier.access.territories import whole_label
from quartier.core import palettes
from quartier.core.numbers import round_half_up, round_half_up_array
from quartier.explorer.mapdata import MapResult, SecretHint
from quartier.explorer.templatetags.quartier import number
from quartier.indicators import status as cell_status
from quartier.indicators.status import Status


def _rounded(value: float, decimals: int):
    value = round_half_up(value, decimals)
    if value is None:
        return None
    return int(value) if decimals == 0 else value


def _rounded_list(values, decimals: int) -> list:
    rounded = round_half_up_array(values, decimals)
    if decimals == 0:
        return [None if v != v else int(v) for v in rounded.tolist()]
    return [None if v != v else v for v in rounded.tolist()]


_DIGITS = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _digits(codes) -> str:
    """One character per area: each code 0–35 as a base-36 digit, "-" for a negative one.

    Base 36 because types can have more than ten categories (the MSS index has 12
    groups; "10" once took two characters and shifted every area after it). Through
    numpy, not per area in Python (80,000 blocks: a few ms instead of 60 ms).
    """
    codes = np.asarray(codes, dtype=np.int64)
    if codes.size and codes.max() >= _DIGITS.size:
        raise ValueError("more than 36 classes cannot stand in a one-character list")
    chars = np.where(codes < 0, ord("-"), _DIGITS[np.clip(codes, 0, None)])
    return chars.astype(np.uint8).tobytes().decode("ascii")


def values_payload(
    result: MapResult, geometry_version: str, hint: SecretHint | None = None
) -> dict:
    """Values, classes and legend of a map view.

    ``values[i]`` belongs to area i of the level's geometry document (same code
    order); ``classes`` is a string with one character per area, the index into
    ``legend`` as a base-36 digit ("0"–"9", "a"–"z"; "-" = none);
    ``status`` one status code per area ("" when all are "ok"), whose meaning —
    API word, label, mark and colour — ``statuses`` gives: the script reads the
    words from there and knows no numbers. ``note`` explains an empty legend
    (no area with a visible value), else it is null; ``classification_note`` why
    the classes differ from the method asked for (ties), else null; ``secret_hint``
    (from :func:`~quartier.explorer.mapdata.secret_hint`) says that most areas are
    secret and names the coarser level to offer, else null.
    """
    view, ind = result.view, result.view.indicator
    decimals = ind.decimals
    classes = result.classification.classes
    status = result.status
    suppressed = int((status == Status.SUPPRESSED).sum())
    missing = int((~cell_status.shown(status) | (classes < 0)).sum()) - suppressed
    return {
        "geometry": geometry_version,
        "indicator": {
            "key": ind.key,
            "name": ind.name,
            "unit": result.change_unit,
            "decimals": decimals,
            "polarity": ind.polarity,
            "categorical": bool(ind.categories),
            "source": ind.source,
        },
        "level": {"key": view.level.key, "name": view.level.name},
        "period": view.period.isoformat(),
        "compare": view.compare.isoformat() if view.compare else None,
        "source_level": result.source_level,
        "method": view.method,
        "city_label": whole_label(),
        "city": _rounded(result.city, decimals) if result.city is not None else None,
        "values": _rounded_list(result.values, decimals),
        "status": "" if (status == Status.OK).all() else _digits(status),
        "statuses": cell_status.legend(),
        "classes": _digits(classes),
        "legend": [
            {
                "lower": lower,
                "upper": upper,
                "count": count,
                "colour": colour,
                "label": ind.category_label(upper) if ind.categories else None,
            }
            for (lower, upper), count, colour in zip(
                result.classification.bounds(),
                result.classification.counts,
                result.colours,
                strict=True,
            )
        ],
        "missing": {"count": missing, "colour": palettes.MISSING_COLOUR},
        "suppressed": {"count": suppressed, "colour": palettes.SUPPRESSED_COLOUR},
        "confidential": result.confidential,
        "note": _empty_note(result),
        "classification_note": _ties_note(result),
        "secret_hint": _secret_hint(hint),
    }


def _ties_note(result: MapResult) -> str | None:
    """Why quantiles gave a class of its own to one value (they collapsed on its ties)."""
    fallback = result.classification.fallback
    if fallback is None:
        return None
    decimals = result.view.indicator.decimals
    return gettext(
        "%(count)s der %(total)s gezeigten Werte sind %(value)s: Quantile ergäben nur "
        "%(collapsed)s statt %(requested)s Klassen. Deshalb ist %(value)s eine eigene Klasse, "
        "die übrigen Gebiete sind nach Quantilen geteilt."
    ) % {
        "count": number(fallback.count),
        "total": number(fallback.total),
        "value": number(fallback.value, decimals),
        "collapsed": fallback.collapsed,
        "requested": fallback.requested,
    }


def _secret_hint(hint: SecretHint | None) -> dict | None:
    if hint is None:
        return None
    level = {"key": hint.level.key, "name": hint.level.name} if hint.level else None
    return {"secret": hint.secret, "total": hint.total, "level": level}


def _empty_note(result: MapResult) -> str | None:
    """Why the legend has no classes: no area of the view has a value this user may see."""
    if sum(result.classification.counts):
        return None
    return gettext(
        "Zu diesem Stichtag hat kein Gebiet dieser Ebene einen sichtbaren Wert "
        "(keine Daten oder geheim). Eine gröbere Raumebene oder ein anderer Stichtag "
        "zeigt vielleicht Werte."
    )
