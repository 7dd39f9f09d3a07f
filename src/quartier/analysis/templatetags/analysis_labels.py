"""Labels stored with an analysis result, shown in the page's language."""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext

register = template.Library()

# Numbered labels the runs store in German ("Klasse 2", "Typ 3").
NUMBERED = {"Klasse": "Klasse %(n)s", "Typ": "Typ %(n)s"}


@register.filter
def result_label(label: str) -> str:
    """A class or type label of a stored result, translated where the catalogue knows it.

    Labels people chose themselves (an index's class names) are shown as they are.
    """
    match = re.fullmatch(r"(Klasse|Typ) (\d+)", str(label))
    if match:
        return gettext(NUMBERED[match.group(1)]) % {"n": match.group(2)}
    return gettext(str(label)) if label else label
