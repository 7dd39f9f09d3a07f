"""Count indicators that add up ("Summe aus"), as equations disclosure control must respect.

If residents are the sum of eight age groups, and residents under 15 the sum of
four of them, a hidden age group of a block could be computed from the shown
totals and the other groups — within one area, whatever the hierarchy does. So
counts linked by sums form a *family* that is protected as one table
(:mod:`quartier.indicators.suppression`). Sums that follow from the declared
ones (residents = under 65 + 65 and older) need no listing: a move that keeps
every declared sum keeps them too, and the linear-programming attacker uses
all of them implicitly.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import threading
import time
from dataclasses import dataclass, field

_TTL = 1.0  # seconds; metadata changes in this process call bump()
_state: dict = {"at": -1.0, "value": None, "local": 0}
_lock = threading.Lock()
_pinned: contextvars.ContextVar[Relations | None] = contextvars.ContextVar(
    "quartier_relations", default=None
)


@dataclass(frozen=True)
class Family:
    """Indicators linked by sums, and the declared sums ``total = Σ parts`` among them."""

    members: tuple[int, ...]  # indicator ids, sorted
    sums: tuple[tuple[int, tuple[int, ...]], ...]  # declared: (total id, part ids)
    breadth: tuple[tuple[int, int], ...] = ()  # (indicator id, base parts it covers)

    def grand_totals(self) -> set[int]:
        """The counts covering the most base parts (residents: all age groups)."""
        widest = max((n for _pk, n in self.breadth), default=0)
        return {pk for pk, n in self.breadth if n == widest}


@dataclass(frozen=True)
class Relations:
    """All families, by member indicator id; ``version`` changes with them and any threshold.

    Also what protection needs besides: the counts that are the numerator of a rate with a
    Mindestnenner (``small_bases``: numerator id → (denominator id, Mindestnenner) pairs),
    and the count indicators involved (``counts``, read-only), so that protecting a
    family-period asks the database nothing about the catalogue.
    """

    by_indicator: dict[int, Family]
    version: tuple
    small_bases: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    def members(self, family: Family) -> list:
        """The family's indicators, by id."""
        return [self.counts[pk] for pk in family.members]


def bump() -> None:
    """Forget the cached relations after a change of sums or thresholds in this process."""
    with _lock:
        _state["at"] = -1.0
        _state["local"] += 1


def relations() -> Relations:
    """The declared sums and the families they form (cached for a second, or pinned)."""
    held = _pinned.get()
    if held is not None:
        return held
    now = time.monotonic()
    with _lock:
        if now - _state["at"] < _TTL:
            return _state["value"]
    value = _load()
    with _lock:
        _state["at"], _state["value"] = now, value
    return value


@contextlib.contextmanager
def pinned():
    """Use one :class:`Relations` for everything inside (nested pins keep the outer one)."""
    if _pinned.get() is not None:
        yield _pinned.get()
        return
    token = _pinned.set(relations())
    try:
        yield _pinned.get()
    finally:
        _pinned.reset(token)


def family_of(indicator_id: int) -> Family | None:
    """The family of a count indicator, or None if no sum links it to others."""
    return relations().by_indicator.get(indicator_id)


def _load() -> Relations:
    from quartier.indicators.models import Indicator, Kind

    through = Indicator.sum_of.through
    declared: dict[int, set[int]] = {}
    for total, part in through.objects.values_list("from_indicator_id", "to_indicator_id"):
        if total != part:
            declared.setdefault(total, set()).add(part)
    involved = set(declared) | {p for parts in declared.values() for p in parts}
    counts = set(
        Indicator.objects.filter(pk__in=involved, kind=Kind.COUNT).values_list("pk", flat=True)
    )
    declared = {
        t: {p for p in parts if p in counts} for t, parts in declared.items() if t in counts
    }
    declared = {t: parts for t, parts in declared.items() if parts}
    by_indicator: dict[int, Family] = {}
    for component in _components(declared):
        sums = {t: parts for t, parts in declared.items() if t in component}
        family = Family(
            members=tuple(sorted(component)),
            sums=tuple(sorted((t, tuple(sorted(parts))) for t, parts in sums.items())),
            breadth=tuple(sorted((t, len(parts)) for t, parts in _expanded(sums).items())),
        )
        for pk in component:
            by_indicator[pk] = family
    # Every threshold is part of the version: protection caches keyed by it see a changed
    # Mindestfallzahl at once, also when another process changed it.
    # So is what a mask is computed from (kind, parts, weight): masks are kept per version.
    thresholds = tuple(
        Indicator.objects.order_by("pk").values_list(
            "pk",
            "min_count",
            "min_denominator",
            "kind",
            "numerator_id",
            "denominator_id",
            "weight_id",
            "confidential",
        )
    )
    small_bases: dict[int, list] = {}
    rates = Indicator.objects.filter(
        kind=Kind.RATE, numerator__isnull=False, denominator__isnull=False, min_denominator__gt=0
    ).order_by("pk")
    for numerator, denominator, minimum in rates.values_list(
        "numerator_id", "denominator_id", "min_denominator"
    ):
        small_bases.setdefault(numerator, []).append((denominator, minimum))
    bases = {n: tuple(pairs) for n, pairs in small_bases.items()}
    # A digest, not the tuple itself: every protection cache key holds the version, and
    # hashing and comparing the whole catalogue on each lookup cost a profile page 0.3 s.
    described = repr(
        (tuple(sorted(by_indicator.items())), thresholds, tuple(sorted(bases.items())))
    )
    version = (hashlib.sha256(described.encode()).hexdigest(), _state["local"])
    held = _state["value"]
    if held is not None and held.version == version:
        return held  # unchanged (read again every second): no new catalogue objects
    wanted = set(by_indicator) | {d for pairs in bases.values() for d, _m in pairs}
    counts = {i.pk: i for i in Indicator.objects.filter(pk__in=wanted)}
    return Relations(by_indicator, version, bases, counts)


def _components(declared: dict[int, set[int]]) -> list[set[int]]:
    """Connected groups of indicators (a total and its parts are connected)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for total, parts in declared.items():
        for part in parts:
            parent[find(part)] = find(total)
    groups: dict[int, set[int]] = {}
    for x in list(parent):
        groups.setdefault(find(x), set()).add(x)
    return list(groups.values())


def _expanded(declared: dict[int, set[int]]) -> dict[int, frozenset[int]]:
    """Each total as a set of base parts (parts that are totals themselves are expanded)."""
    out: dict[int, frozenset[int]] = {}

    def expand(total: int, seen: frozenset[int]) -> frozenset[int]:
        if total in out:
            return out[total]
        base: set[int] = set()
        for part in declared[total]:
            if part in declared and part not in seen:
                base |= expand(part, seen | {part})
            else:
                base.add(part)
        out[total] = frozenset(base)
        return out[total]

    for total in declared:
        expand(total, frozenset({total}))
    return out
