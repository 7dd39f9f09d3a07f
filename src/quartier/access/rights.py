"""Who may see which indicator — the visibility rules used by the read layer.

Rules (issue #2 lays them down, issue #6 builds the UI around them):

* anonymous visitors see *public* indicators;
* every signed-in user also sees *internal* ones — where several territories (a
  Kreis and its Gemeinden, :class:`~quartier.access.models.Territory`) share the
  installation, only those of units of the user's own territories and of the
  territories above them (a Gemeinde's staff see the Kreis's), and those of the
  territories below them that are shared with the Kreis (``kreis_shared``); never
  another Gemeinde's. Units without a territory are the whole installation's;
* *restricted* indicators are visible to members of the owning unit, of the
  units named on the indicator, and to administrators;
* analyses never widen who sees unprotected values (issue #12): a result computed
  from unprotected values (``confidential``) is visible only to those who may
  themselves see unprotected every input it read unprotected — administrators, and
  the data stewards of all those inputs' units. An analysis (also one without
  derived indicators, e.g. segregation) is visible to whoever may see all its
  inputs and outputs and, if confidential, its unprotected inputs unprotected.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Q, QuerySet

from quartier.access.models import Role

# Inside ``protected_values()`` nobody sees values unprotected (see there).
_protected_only: ContextVar[bool] = ContextVar("quartier_protected_only", default=False)


def is_admin(user) -> bool:
    """True for superusers and accounts with the administration role."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN)
    )


def unit_ids(user) -> set[int]:
    """Ids of the organisational units a signed-in user belongs to."""
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_quartier_unit_ids", None)
    if cached is None:
        cached = set(user.units.values_list("id", flat=True))
        user._quartier_unit_ids = cached
    return cached


def territory_ids(user) -> set[int]:
    """Ids of the territories of the units a signed-in user belongs to."""
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_quartier_territory_ids", None)
    if cached is None:
        from quartier.access.models import Unit

        found = Unit.objects.filter(id__in=unit_ids(user), territory__isnull=False)
        cached = set(found.values_list("territory_id", flat=True))
        user._quartier_territory_ids = cached
    return cached


def territory_reach(own: set[int], parents: dict[int, int | None]) -> tuple[set[int], set[int]]:
    """(above, below) of the territories ``own``: ``above`` holds them and every
    territory they belong to (a Gemeinde's Kreis), ``below`` every territory that
    belongs to one of them (a Kreis's Gemeinden). ``parents``: territory → parent.
    """
    above = set()
    for territory in own:
        while territory is not None and territory not in above:
            above.add(territory)
            territory = parents.get(territory)
    below = set()
    for territory in parents:
        current = parents.get(territory)
        seen = set()
        while current is not None and current not in seen:
            if current in own:
                below.add(territory)
                break
            seen.add(current)
            current = parents.get(current)
    return above, below - own


def _sees_internal(territory: int | None, shared: bool, above: set, below: set) -> bool:
    """May a signed-in user with the reach (above, below) see an internal indicator whose
    owner belongs to ``territory`` (None: the whole installation's)?
    """
    return territory is None or territory in above or (shared and territory in below)


def visibility_filter(user) -> Q:
    """A filter on Indicator rows that keeps exactly those ``user`` may see."""
    from quartier.access.models import Territory
    from quartier.indicators.models import Visibility

    if is_admin(user):
        return Q()
    public = Q(visibility=Visibility.PUBLIC)
    if user is None or not user.is_authenticated:
        return public
    units = unit_ids(user)
    parents = dict(Territory.objects.values_list("id", "parent_id"))
    above, below = territory_reach(territory_ids(user), parents)
    internal = Q(visibility=Visibility.INTERNAL) & (
        Q(owner__isnull=True)
        | Q(owner__territory__isnull=True)
        | Q(owner__territory__in=above)
        | Q(kreis_shared=True, owner__territory__in=below)
    )
    return (
        public
        | internal
        | Q(visibility=Visibility.RESTRICTED, owner_id__in=units)
        | Q(visibility=Visibility.RESTRICTED, shared_with__in=units)
    )


def filter_visible(queryset: QuerySet, user) -> QuerySet:
    """Restrict an Indicator queryset to what ``user`` may see.

    A rate is only as visible as its numerator and denominator: derived
    indicators inherit the strictest visibility of their inputs.
    """
    from quartier.indicators.models import Indicator

    visible = queryset.filter(visibility_filter(user)).distinct()
    if is_admin(user):
        return visible
    allowed = Indicator.objects.filter(visibility_filter(user)).values("id")
    for part in ("numerator", "denominator", "weight"):
        visible = visible.exclude(Q(**{f"{part}__isnull": False}) & ~Q(**{f"{part}__in": allowed}))
    # Indices and other analysis results: every input must be visible too.
    visible = visible.exclude(derived_from__in=Indicator.objects.exclude(id__in=allowed))
    return visible.exclude(_confidential_blocked_q(user))


def _is_steward(user) -> bool:
    return getattr(user, "role", None) == Role.DATA_STEWARD and bool(unit_ids(user))


def _confidential_blocked_q(user) -> Q:
    """Confidential results ``user`` may not see (SQL form of :func:`_confidential_blocked`)."""
    from quartier.analysis.models import Analysis

    if not _is_steward(user):
        return Q(confidential=True)
    sources = Analysis.confidential_sources.through.objects
    outputs = Analysis.outputs.through.objects.filter(analysis__confidential=True)
    # A source outside the steward's units (or without owner), or no recorded source at all.
    bad = sources.exclude(indicator__owner_id__in=unit_ids(user)).values("analysis_id")
    blocked = outputs.filter(
        Q(analysis_id__in=bad) | ~Q(analysis_id__in=sources.values("analysis_id"))
    ).values("indicator_id")
    return Q(confidential=True) & (Q(id__in=blocked) | ~Q(id__in=outputs.values("indicator_id")))


def _source_owners(among=None) -> dict[int, set[int | None]]:
    """{confidential analysis id: owner units of the inputs it read unprotected}."""
    from quartier.analysis.models import Analysis

    owners: dict[int, set[int | None]] = {}
    rows = Analysis.confidential_sources.through.objects.order_by()
    if among is not None:
        rows = rows.filter(analysis_id__in=among)
    rows = rows.values_list("analysis_id", "indicator__owner_id")
    for analysis_id, owner_id in rows:
        owners.setdefault(analysis_id, set()).add(owner_id)
    return owners


def _sees_sources(user, owners: set[int | None]) -> bool:
    """May ``user`` see unprotected what was read unprotected from units ``owners``?

    Fails closed: without any recorded source only administrators may.
    """
    if is_admin(user):
        return True
    return _is_steward(user) and bool(owners) and owners <= unit_ids(user)


def _confidential_blocked(user, confidential: set[int]) -> set[int]:
    """The ids among ``confidential`` (results from unprotected values) ``user`` may not see.

    A result is blocked unless every analysis that wrote it read unprotected only
    what ``user`` may see unprotected too; one without such an analysis is blocked.
    """
    from quartier.analysis.models import Analysis

    if not confidential or is_admin(user):
        return set()
    if not _is_steward(user):
        return set(confidential)
    owners = _source_owners()
    written, blocked = set(), set()
    pairs = Analysis.outputs.through.objects.filter(
        analysis__confidential=True, indicator_id__in=confidential
    ).values_list("indicator_id", "analysis_id")
    for indicator_id, analysis_id in pairs:
        written.add(indicator_id)
        if not _sees_sources(user, owners.get(analysis_id, set())):
            blocked.add(indicator_id)
    return blocked | (set(confidential) - written)


def visible_ids(user, known=None) -> set[int]:
    """Ids of the indicators ``user`` may see: the rules of :func:`filter_visible`.

    ``known``: the :class:`~quartier.indicators.catalogue.Snapshot` to decide on
    (default: the current one).

    Evaluated in Python over a few small, simple queries, because the nested
    subqueries of the SQL form cost more to build and compile (~15 ms) than an
    API request may take. ``tests/access`` checks that both forms always agree.
    """
    from quartier.indicators import catalogue
    from quartier.indicators.models import Visibility

    # The catalogue's rows and links, kept per process until a write changes them.
    known = known if known is not None else catalogue.snapshot()
    rows = known.rows
    if is_admin(user):
        return {row[0] for row in rows}
    confidential = {row[0] for row in rows if row[3]}
    signed_in = user is not None and user.is_authenticated
    units = unit_ids(user)
    shared: dict[int, set[int]] = {}
    if signed_in and units:
        for indicator_id, unit_id in known.shared:
            shared.setdefault(indicator_id, set()).add(unit_id)
    above, below = territory_reach(territory_ids(user), known.territories)
    allowed = set()
    for pk, visibility, owner_id, _confidential, territory, kreis_shared, *_parts in rows:
        if visibility == Visibility.PUBLIC or (
            signed_in
            and (
                (
                    visibility == Visibility.INTERNAL
                    and _sees_internal(territory, kreis_shared, above, below)
                )
                or (
                    visibility == Visibility.RESTRICTED
                    and (owner_id in units or bool(shared.get(pk, set()) & units))
                )
            )
        ):
            allowed.add(pk)
    # Rates, weighted values and analysis results: every input must be visible too.
    blocked = {source for source, used in known.derived if used not in allowed}
    blocked |= _confidential_blocked(user, confidential)
    return {
        pk
        for pk, _visibility, _owner, _confidential, _territory, _shared, *parts in rows
        if pk in allowed and pk not in blocked and all(p is None or p in allowed for p in parts)
    }


def may_see_unsuppressed(user, indicator) -> bool:
    """True if ``user`` may see values of ``indicator`` before disclosure control.

    Administrators and the data stewards of the owning unit may ("vertraulich");
    nobody else — and nobody inside :func:`protected_values`.
    """
    if _protected_only.get():
        return False
    return _sees_sources(user, {indicator.owner_id})


def may_choose_unprotected(user) -> bool:
    """True for users who see some values unprotected: administrators and data stewards.

    Only they choose between protected and unprotected values for an analysis.
    """
    return is_admin(user) or _is_steward(user)


@contextmanager
def protected_values():
    """Read values as everybody does: disclosure control applies to every user.

    Analyses whose results may be published read their inputs inside this block,
    also when an administrator or a data steward runs them.
    """
    token = _protected_only.set(True)
    try:
        yield
    finally:
        _protected_only.reset(token)


def writable_indicators(user) -> QuerySet:
    """Indicators ``user`` may import into: all for administrators, else the own units'."""
    from quartier.indicators.models import Indicator

    indicators = Indicator.objects.order_by("name")
    return indicators if is_admin(user) else indicators.filter(owner_id__in=unit_ids(user))


def visible_analysis_ids(user, among=None) -> set[int]:
    """Ids of the analyses ``user`` may see (optionally only among the ids ``among``).

    The one rule for every analysis kind, with or without derived indicators: all
    its inputs and outputs are visible to ``user``, and a confidential analysis
    read unprotected only what ``user`` may see unprotected. An analysis without
    recorded inputs is shown to administrators only (fail closed).
    """
    from quartier.analysis.models import Analysis

    analyses = Analysis.objects.order_by()
    inputs = Analysis.inputs.through.objects.order_by()
    outputs = Analysis.outputs.through.objects.order_by()
    if among is not None:
        # An id no database row can have (beyond 64 bits) is simply not there; SQLite
        # would fail on it instead of finding nothing.
        among = [i for i in among if 0 < int(i) < 2**63]
        analyses = analyses.filter(id__in=among)
        inputs = inputs.filter(analysis_id__in=among)
        outputs = outputs.filter(analysis_id__in=among)
    rows = dict(analyses.values_list("id", "confidential"))
    if is_admin(user):
        return set(rows)
    used: dict[int, set[int]] = {}
    for analysis_id, indicator_id in inputs.values_list("analysis_id", "indicator_id"):
        used.setdefault(analysis_id, set()).add(indicator_id)
    made: dict[int, set[int]] = {}
    for analysis_id, indicator_id in outputs.values_list("analysis_id", "indicator_id"):
        made.setdefault(analysis_id, set()).add(indicator_id)
    seen = visible_ids(user)
    owners = _source_owners(among) if any(rows.values()) else {}
    return {
        pk
        for pk, confidential in rows.items()
        if used.get(pk)
        and used[pk] <= seen
        and made.get(pk, set()) <= seen
        and (not confidential or _sees_sources(user, owners.get(pk, set())))
    }


def visible_analyses(user) -> QuerySet:
    """The analyses ``user`` may see (see :func:`visible_analysis_ids`), newest first."""
    from quartier.analysis.models import Analysis

    return Analysis.objects.filter(id__in=visible_analysis_ids(user)).order_by("-created_at", "-pk")


def analysis_visible(user, analysis) -> bool:
    """True if ``user`` may see ``analysis`` (its page, definition, API entry, re-run)."""
    return analysis.pk in visible_analysis_ids(user, among=[analysis.pk])
