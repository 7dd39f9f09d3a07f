"""Expected values straight from the read layer, to compare every output with."""

from __future__ import annotations

import math
from datetime import date

from django.contrib.auth.models import AnonymousUser

from quartier.core.numbers import round_half_up
from quartier.indicators import readlayer
from quartier.indicators.status import Status
from quartier.spatial.index import area_index

LATEST = date(2024, 12, 31)


def expected_values(key: str, level: str, period: date = LATEST, user=None) -> dict:
    """{code: value rounded as published, or None (missing or suppressed)} for ``user``."""
    user = user or AnonymousUser()
    indicator = readlayer.get_indicator(user, key)
    result = readlayer.area_values(user, indicator, area_index().level(level), period)
    return {
        code: round_half_up(value, indicator.decimals) for code, _name, value, _s in result.rows()
    }


def suppressed_codes(key: str, level: str, period: date = LATEST, user=None) -> set[str]:
    """Codes whose value of ``key`` disclosure control hides from ``user``."""
    user = user or AnonymousUser()
    indicator = readlayer.get_indicator(user, key)
    result = readlayer.area_values(user, indicator, area_index().level(level), period)
    return {code for code, _n, _v, status in result.rows() if status == Status.SUPPRESSED}


def default_keys(user=None) -> list[str]:
    """Keys of the indicators the user gets by default: visible ones with data."""
    user = user or AnonymousUser()
    with_data = readlayer.periods_by_indicator(user)
    return [i.key for i in readlayer.visible_indicators(user) if i.pk in with_data]


def same(got, want) -> bool:
    """A value from a client (None/NaN for null) equals the expected one."""
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    return got is not None and not math.isnan(got) and abs(got - want) < 1e-9
