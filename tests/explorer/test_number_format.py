"""Numbers on pages: the fast path of ``number_with`` gives Django's numberformat text.

``number_with`` formats the common case (groups of three) with Python's own
formatting instead of ``django.utils.numberformat`` (a profile page formats some
1,400 numbers). These tests compare the two over many values and both languages,
without a database.
"""

from __future__ import annotations

import random

import pytest
from django.utils import numberformat, translation

from quartier.core.numbers import round_half_up
from quartier.explorer.templatetags import quartier as tags

EDGES = [0, 0.0, -0.0, 1e-7, -1e-7, 0.004, 0.005, -0.005, 0.5, -0.5, 9.995, 14.15, -14.15]
EDGES += [999.5, 999.995, 1000, -1000, 1234567.891, -1234567.891, 1e14 - 0.5, 999999999999999.0]


def _django(marks, value, decimals):
    """What number_with gave before the fast path (Django's numberformat)."""
    value = round_half_up(value, decimals)
    if value is None:
        return "–"
    decimal_mark, grouping, thousands_mark = marks
    return numberformat.format(
        value, decimal_mark, decimals, grouping, thousands_mark, force_grouping=True, use_l10n=True
    )


def _values():
    rng = random.Random(20261207)
    values = list(EDGES)
    for _ in range(3000):
        magnitude = 10 ** rng.uniform(-6, 14)
        values.append(rng.choice((-1, 1)) * magnitude)
        values.append(round(rng.uniform(-5000, 5000), rng.randint(0, 4)))
        values.append(rng.randint(-(10**9), 10**9))
    return values


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_fast_path_gives_djangos_text(language):
    with translation.override(language):
        marks = tags.separators()
    assert marks[1] == 3  # the fast path is the one these languages take
    for decimals in range(7):
        for value in _values():
            assert tags.number_with(marks, value, decimals) == _django(marks, value, decimals), (
                value,
                decimals,
            )


def test_other_marks_and_groupings_keep_djangos_text():
    for marks in ((",", 3, "\u202f"), (".", 3, ""), (",", 0, "."), (".", (3, 2, 0), ",")):
        for decimals in (0, 1, 3):
            for value in _values()[:400]:
                assert tags.number_with(marks, value, decimals) == _django(marks, value, decimals)


def test_common_numbers_do_not_go_through_djangos_numberformat(monkeypatch):
    """Speed as structure: the usual case must not take the slow general path."""

    def refuse(*args, **kwargs):
        raise AssertionError("numberformat.format called for a common number")

    monkeypatch.setattr(numberformat, "format", refuse)
    assert tags.number_with((",", 3, "."), 1234567.891, 2) == "1.234.567,89"
    assert tags.number_with((".", 3, ","), -0.5, 0) == "-1"
    assert tags.number_with((",", 3, "."), None, 1) == "–"
