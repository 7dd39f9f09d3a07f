"""Committing a checked table as one import batch.

:func:`~quartier.imports.tablecheck.check_table` produces the validation report (errors
block, warnings must be accepted, notes inform; :mod:`.checkreport`) and the values exactly
as they will be stored; :func:`commit_table` creates the mapping's new indicators
(:mod:`.newindicators`), repeats the check inside the transaction and writes the values
through :func:`quartier.indicators.columnwrite.write_stored`. An import that would change
nothing (the same file again, e.g. a nightly job) records no batch.
"""

from __future__ import annotations

from dataclasses import replace

from django.db import transaction

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.imports.checkreport import MAX_LISTED, CheckFailed, Report
from quartier.imports.newindicators import create_indicators, mapping_keys
from quartier.imports.sums import declare
from quartier.imports.tablecheck import check_table
from quartier.imports.tablemap import TableMapping
from quartier.imports.tables import RawTable
from quartier.imports.targets import check_mapping_rights, reuse_existing
from quartier.indicators.batches import create_batch
from quartier.indicators.columnwrite import write_stored
from quartier.indicators.models import Indicator
from quartier.indicators.writelock import lock_indicators
from quartier.testhooks import pause

__all__ = [  # the check, the report and the new indicators live in their own modules
    "MAX_LISTED",
    "CheckFailed",
    "Report",
    "check_table",
    "commit_table",
    "create_indicators",
    "mapping_keys",
]


def commit_table(
    table: RawTable,
    mapping: TableMapping,
    *,
    user=None,
    source_name: str,
    sha256: str,
    accept_warnings: bool = False,
    progress=lambda p, m: None,
):
    """Check again and store atomically as one import batch; returns (batch, report).

    The batch is None when the import changes nothing — no indicator created, no
    value new or different (the same file again): then nothing is kept but an
    audit entry, so that nightly runs do not fill the list of batches with empty
    ones. New indicators of ``mapping`` that exist when the import starts are
    used (:func:`~quartier.imports.targets.reuse_existing`).
    Imports of the same indicators at the same time run one after the other.
    """
    mapping, _notes = reuse_existing(mapping, user)
    check_mapping_rights(mapping, user)
    with transaction.atomic():
        lock_indicators(mapping_keys(mapping))
        created = create_indicators(mapping, user)
        progress(30, "Werte werden geprüft")
        new_keys = {n.key for n in mapping.new_indicators}
        report, rows = check_table(table, replace(mapping, new_indicators=[]), user, new_keys)
        if report.errors:
            raise CheckFailed(
                f"Die Prüfung hat {len(report.errors)} Fehler gefunden – "
                f"nichts wurde gespeichert. {report.errors[0]}",
                report,
            )
        if report.warnings and not accept_warnings:
            raise CheckFailed(
                "Es gibt Warnungen; bitte bestätigen Sie, dass sie gelesen wurden.", report
            )
        progress(60, f"{len(rows)} Werte werden gespeichert")
        batch = create_batch(
            source_name,
            user=user,
            sha256=sha256,
            rows_read=report.rows_read,
            description=f"Tabellenimport ({mapping.layout})",
        )
        # remembered so that rolling the batch back can offer to remove them again
        Indicator.objects.filter(pk__in=[i.pk for i in created]).update(created_in_batch=batch)
        ids = dict(
            Indicator.objects.filter(key__in=rows.values.indicators).values_list("key", "id")
        )
        stats = write_stored(batch, rows, ids)
        unchanged = not (new_keys or stats.inserted or stats.replaced)
        if unchanged:
            transaction.set_rollback(True)  # the empty batch (and its audit entry) goes
        else:
            declare(report.sums, new_keys)
            pause("import-commit")  # fault-injection tests kill the server here
    if unchanged:
        audit.record(
            AuditEntry.Action.IMPORT,
            f"Import ohne Änderungen (kein Importlauf): {source_name}",
            user=user,
            sha256=sha256,
        )
        return None, report
    batch.refresh_from_db()
    return batch, report
