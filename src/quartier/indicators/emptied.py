"""Indicators an import created and its rollback leaves empty, offered for removal.

Rolling back the batch that created indicators takes their values away; the catalogue entries
would stay behind as empty shells (and importing the corrected file would create
``einwohner_2``). So the rollback offers to remove them — only those

* created by this very batch (:attr:`Indicator.created_in_batch`),
* left without values: none from another batch, and for a rate computed from numerator and
  denominator, one of its parts without values,
* that ``user`` may write (:func:`quartier.access.writes.may_write_indicator`; ``None`` is the
  operator at the command line),
* that nothing else needs: no rate, weight, sum, derived indicator or analysis outside the
  removed set refers to them.

Each removal is recorded in the audit log, like the creation was.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.access.writes import may_write_indicator
from quartier.indicators.datastate import changed
from quartier.indicators.models import ImportBatch, Indicator, Value

_REFERENCES = ("numerator", "denominator", "weight", "derived_from", "sum_of")


def removable_indicators(
    batch: ImportBatch, user=None, only: Iterable[int] | None = None
) -> list[Indicator]:
    """The indicators ``batch`` created that are empty once it is rolled back.

    Before the rollback this is what it will leave empty (values of the batch itself do
    not count); after it, what it has left empty. ``only`` limits the answer to these ids
    (those the user was shown).
    """
    created = list(Indicator.objects.filter(created_in_batch=batch).order_by("name"))
    if only is not None:
        wanted = set(only)
        created = [i for i in created if i.pk in wanted]
    parts = {i.numerator_id for i in created} | {i.denominator_id for i in created}
    filled = set(
        Value.objects.filter(indicator_id__in={i.pk for i in created} | (parts - {None}))
        .exclude(batch=batch)
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    found = {
        i.pk: i
        for i in created
        if i.pk not in filled
        and not (i.is_computed and i.numerator_id in filled and i.denominator_id in filled)
        and may_write_indicator(user, i)
    }
    while found:  # removing one may leave another needed by it: until nothing changes
        needed = _needed_elsewhere(set(found))
        if not needed:
            break
        for pk in needed:
            del found[pk]
    return [i for i in created if i.pk in found]


def _needed_elsewhere(ids: set[int]) -> set[int]:
    """Those of ``ids`` that an indicator outside ``ids``, or any analysis, refers to."""
    from quartier.analysis.models import Analysis

    outside = Indicator.objects.exclude(pk__in=ids)
    needed: set[int] = set()
    for field in _REFERENCES:
        needed |= set(outside.filter(**{f"{field}__in": ids}).values_list(field, flat=True))
    for relation in (Analysis.inputs, Analysis.outputs, Analysis.confidential_sources):
        needed |= set(
            relation.through.objects.filter(indicator_id__in=ids).values_list(
                "indicator_id", flat=True
            )
        )
    return needed & ids


def remove_empty_indicators(
    batch: ImportBatch, user=None, only: Iterable[int] | None = None
) -> list[Indicator]:
    """Remove what :func:`removable_indicators` finds (call after the rollback); return it.

    Runs atomically; every removed indicator gets an audit entry naming the batch.
    """
    with transaction.atomic():
        found = removable_indicators(batch, user, only)
        if not found:
            return []
        ids = [i.pk for i in found]
        # Rates among them refer to counts among them (PROTECT): loosen, then delete together.
        Indicator.objects.filter(pk__in=ids).update(numerator=None, denominator=None, weight=None)
        for indicator in found:
            audit.record(
                AuditEntry.Action.METADATA,
                indicator.key,
                user=user,
                deleted=True,
                name=indicator.name,
                batch=batch.pk,
            )
        Indicator.objects.filter(pk__in=ids).delete()  # their stamps go with them
    changed(())  # nothing else changed; this process reads the stamps again
    return found
