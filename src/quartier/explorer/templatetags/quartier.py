"""Template filters for numbers and periods, formatted for the active language."""

from __future__ import annotations

import math

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def number(value, decimals=0):
    """A number with grouping and the locale's decimal mark; "–" when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return formats.number_format(value, int(decimals), use_l10n=True, force_grouping=True)


@register.filter
def period(value):
    """A period (date) in the locale's short date format."""
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""
