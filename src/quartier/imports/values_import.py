"""Checking a mapped table before anything is written, and committing it as one import batch.

:func:`check_table` produces the validation report (errors block, warnings
must be accepted, notes inform) and the rows exactly as they will be stored;
:func:`commit_table` repeats the check inside the transaction and writes the
values through :func:`quartier.indicators.batches.write_values`. An import that
would change nothing (the same file again, e.g. a nightly job) records no batch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction

from quartier.access import audit
from quartier.access.models import AuditEntry
from quartier.errors import QuartierError
from quartier.imports.codes import CodeMatches
from quartier.imports.findings import OPEN_UP_TO, as_text, group
from quartier.imports.longvalues import CHUNK_ROWS, Listing, LongValues, long_values
from quartier.imports.plausibility import jumps, numerators_above, shares_outside
from quartier.imports.reporttexts import new_indicator_names, preview_decimals, symbol_note
from quartier.imports.sheets import release_freed_memory
from quartier.imports.stored import StoredValues, match, select_stored
from quartier.imports.sums import declare, find_sums, sum_notes
from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.imports.tables import RawTable
from quartier.imports.targets import (
    check_mapping_rights,
    check_write_rights,
    indicators_of,
    reuse_existing,
)
from quartier.indicators.batches import create_batch
from quartier.indicators.columnwrite import write_stored
from quartier.indicators.models import Indicator, Kind
from quartier.indicators.writelock import lock_indicators
from quartier.testhooks import pause

MAX_LISTED = 50  # findings of one kind shown in full; the rest are counted


class CheckFailed(QuartierError):
    """A commit refused by its check (errors, or warnings not accepted); nothing was stored.

    Carries the full report, so that the command line can list every finding without
    checking the table a second time.
    """

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Report:
    """Validation result of one table import."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    rows_read: int = 0
    values: int = 0
    indicators: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    sums: list[tuple[str, list[str]]] = field(default_factory=list)  # (total, parts) found
    # the long messages above as groups (see imports.findings), by "errors"/"warnings"/"notes"
    groups: dict[str, list[dict]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """JSON-compatible form for storing on the job."""
        return self.__dict__.copy()


def _listed(report: Report, severity: str, items: list[str] | Listing, heading: str) -> None:
    """Add findings of one kind as one message, and as a group the wizard can fold.

    ``items`` is a list, or a :class:`Listing` that kept the first findings and counted all.
    """
    if isinstance(items, Listing):
        if not items.count:
            return
        found = group(heading, items.items, MAX_LISTED)
        found.update(
            count=items.count,
            more=max(0, items.count - MAX_LISTED),
            open=items.count <= OPEN_UP_TO,
        )
        getattr(report, severity).append(as_text(found))
        report.groups.setdefault(severity, []).append(found)
        return
    if not items:
        return
    found = group(heading, items, MAX_LISTED)
    getattr(report, severity).append(as_text(found))
    report.groups.setdefault(severity, []).append(found)


def _computed(indicator: Indicator) -> bool:
    """True for rates computed from numerator and denominator (new or existing)."""
    spec = getattr(indicator, "_new_spec", None)
    if spec is not None:
        return spec.kind == Kind.RATE and bool(spec.numerator and spec.denominator)
    return indicator.is_computed


def _code_findings(matches: CodeMatches, report: Report) -> None:
    unknown = [
        f"„{c}“" + (f" (meinten Sie {', '.join(s)}?)" if s else "")
        for c, s in sorted(matches.unknown.items())
    ]
    _listed(report, "warnings", unknown, "Unbekannte Gebietsschlüssel (Zeilen werden übersprungen)")
    _listed(
        report,
        "warnings",
        [f"„{c}“ → {n}" for c, n in sorted(matches.renamed.items())],
        "Schlüssel mit fehlenden oder zusätzlichen führenden Nullen zugeordnet",
    )
    _listed(
        report,
        "warnings",
        [f"„{c}“ passt zu {', '.join(v)}" for c, v in sorted(matches.ambiguous.items())],
        "Mehrdeutige Schlüssel (bitte eine Raumebene wählen)",
    )


def _value_checks(stored, indicators, report: Report, user=None) -> None:
    """Shares outside 0–100 %, numerator above denominator, jumps from the previous period."""
    _listed(report, "errors", shares_outside(stored, indicators), "Anteile außerhalb von 0–100 %")
    _listed(
        report, "errors", numerators_above(stored, indicators, user), "Zähler größer als Nenner"
    )
    _listed(report, "warnings", jumps(stored), "Große Sprünge gegenüber dem vorigen Stichtag")


def check_table(
    table: RawTable,
    mapping: TableMapping,
    user=None,
    new_keys: set[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[Report, StoredValues]:
    """Validate ``table`` under ``mapping``; returns the report and the values to store.

    ``new_keys`` are the indicators this import creates (default: the mapping's new ones
    that do not exist yet). The table is turned into columns ``chunk_rows`` rows at a
    time; the values to store iterate as ``(indicator key, area id, period, value, flag)``.
    """
    report = Report(rows_read=len(table.rows))
    mapping, reused = reuse_existing(mapping, user)
    report.notes += reused
    if new_keys is None:
        new_keys = {n.key for n in mapping.new_indicators}
    indicators = indicators_of(mapping, user)
    check_write_rights(user, indicators)
    values, problems = long_values(table, mapping, chunk_rows)
    _listed(report, "errors", problems, "Ungültige Stichtage")
    matches, area = match(values, mapping.level)
    _code_findings(matches, report)
    sentinels = _count_flag(values, "sentinel")
    codes = [values.codes[c] for c in np.unique(values.code)]
    stored = select_stored(
        table,
        values,
        area,
        matches,
        indicators,
        _computed,
        lambda severity, items, heading: _listed(report, severity, items, heading),
    )
    del area
    release_freed_memory()  # the columns before narrowing them
    if not len(stored):
        report.errors.append(_nothing_to_store(codes, matches, mapping))
    _value_checks(stored, indicators, report, user)
    if sentinels:
        report.notes.append(f"{sentinels} Werte wie −9999 werden als fehlende Werte behandelt.")
    for (symbol, flag), n in sorted(_symbols(stored).items()):
        report.notes.append(symbol_note(symbol, flag, n))
    _missing_areas(stored, mapping, report)
    report.sums = find_sums(stored, indicators)
    report.notes += sum_notes(report.sums, indicators, new_keys)
    for label, names in new_indicator_names(indicators, new_keys):
        _listed(report, "notes", names, f"Neu angelegt, Sichtbarkeit „{label}“")
    present = {values.indicators[i] for i in np.unique(values.indicator)}
    empty = sorted(i.name for key, i in indicators.items() if key not in present)
    _listed(report, "warnings", empty, "Ohne einen einzigen Wert in der Datei")
    report.values = len(stored)
    report.indicators = sorted(present)
    report.periods = sorted(values.periods[p].isoformat() for p in np.unique(values.period))
    report.preview = [_preview(stored, i, indicators) for i in range(min(20, len(stored)))]
    return report, stored


def _count_flag(values: LongValues, flag: str) -> int:
    """How many values carry ``flag``."""
    kinds = [n for n, (f, _symbol) in enumerate(values.kinds) if f == flag]
    return int(np.isin(values.kind, kinds).sum()) if kinds else 0


def _symbols(stored: StoredValues) -> Counter:
    """How often each (symbol as written, flag) is stored."""
    counts = np.bincount(stored.values.kind, minlength=len(stored.values.kinds))
    found: Counter = Counter()
    for n, (_flag, symbol) in enumerate(stored.values.kinds):
        flag = stored.flags[n]
        if flag and counts[n]:
            found[(symbol or flag, flag)] += int(counts[n])
    return found


def _preview(stored: StoredValues, i: int, indicators) -> dict:
    """Value ``i`` as the wizard previews it."""
    key, area, period, value, flag = stored.row(i)
    m = stored.matches.areas[area]
    return {
        "zeile": stored.line(i),
        "schluessel": m.code,
        "gebiet": m.name,
        "ebene": m.level_key,
        "indikator": indicators[key].name,
        "stichtag": period.isoformat(),
        "wert": value,
        "dezimalen": preview_decimals(indicators[key], value),
        "kennzeichen": flag,
        "zeichen": stored.values.kinds[stored.values.kind[i]][1],  # as the file wrote it
    }


def _nothing_to_store(codes: list[str], matches: CodeMatches, mapping: TableMapping) -> str:
    """Why not a single value of the table can be stored (an error: an empty import is refused).

    ``codes`` are the distinct codes of the table's values.
    """
    if codes and not matches.any_matched:
        if matches.ambiguous and not matches.unknown:
            return (
                "Die Gebietsschlüssel passen zu Gebieten mehrerer Raumebenen – bitte eine "
                "Raumebene wählen. Nichts kann übernommen werden."
            )
        samples = ", ".join(f"„{c}“" for c in sorted(codes)[:3])
        if mapping.level == "auto":
            where = "einer Raumebene"
        else:
            from quartier.spatial.index import area_index

            where = f"der Raumebene {area_index().level(mapping.level).name}"
        return (
            f"Kein Gebietsschlüssel der Datei passt zu einem Gebiet {where} (z. B. {samples}). "
            "Bitte Schlüsselspalte und Raumebene prüfen; nichts kann übernommen werden."
        )
    return (
        "Die Datei enthält keinen einzigen Wert, der übernommen werden kann (leere Zellen, "
        "nicht gewählte Spalten oder Gebiete, die zum Stichtag nicht gültig sind)."
    )


def _missing_areas(stored: StoredValues, mapping: TableMapping, report: Report) -> None:
    if mapping.level == "auto" or not len(stored):
        return
    from quartier.spatial.index import area_index

    index = area_index()
    level = index.level(mapping.level)
    covered = np.unique(stored.area)
    areas = index.areas(level)
    missing: set[str] = set()
    seen: set[bytes] = set()
    for p in np.unique(stored.values.period):
        valid = areas.valid_at(stored.values.periods[p])
        if valid.tobytes() in seen:  # periods with the same areas miss the same ones
            continue
        seen.add(valid.tobytes())
        absent = valid[~np.isin(areas.ids[valid], covered)]
        missing.update(areas.codes[i] for i in absent)
    _listed(report, "warnings", sorted(missing), f"Gebiete der Ebene {level.name} ohne Werte")


def mapping_keys(mapping: TableMapping) -> set[str]:
    """Keys of all indicators a mapping writes, existing and new."""
    keys = set(mapping.columns.values()) | set(mapping.indicator_labels.values())
    keys |= {mapping.indicator or ""} | {spec.key for spec in mapping.new_indicators}
    return keys - {""}


def create_indicators(mapping: TableMapping, user) -> list[Indicator]:
    """Create the mapping's new indicators, owned by the importing user's unit; return them.

    Call inside a transaction. A key that exists by now was created by an import
    running at the same time (this one waited for it): a clear error, nothing written.
    """
    lock_indicators(spec.key for spec in mapping.new_indicators)
    taken = set(
        Indicator.objects.filter(key__in=[spec.key for spec in mapping.new_indicators]).values_list(
            "key", flat=True
        )
    )
    if taken:
        raise QuartierError(
            f"Einen Indikator mit dem Kürzel „{sorted(taken)[0]}“ hat inzwischen ein anderer, "
            "gleichzeitig laufender Import angelegt; nichts wurde gespeichert. Bitte prüfen Sie "
            "dessen Werte und wählen Sie den vorhandenen Indikator, wenn Sie erneut importieren."
        )
    owner = None
    if user is not None and getattr(user, "is_authenticated", False):
        owner = user.units.order_by("name").first()
    # Counts first: a new rate may use new counts as numerator and denominator.
    return [
        _create_indicator(spec, owner)
        for spec in sorted(mapping.new_indicators, key=lambda n: n.kind == Kind.RATE)
    ]


def _create_indicator(spec: NewIndicator, owner) -> Indicator:
    refs = {}
    for role in ("numerator", "denominator"):
        key = getattr(spec, role)
        if key:
            refs[role] = Indicator.objects.get(key=key)
    decimals = spec.decimals if spec.decimals is not None else (0 if spec.kind == "count" else 1)
    indicator = Indicator(
        key=spec.key,
        name=spec.name,
        unit=spec.unit,
        kind=spec.kind,
        topic=spec.topic,
        decimals=decimals,
        polarity=spec.polarity,
        factor=spec.factor,
        description=spec.description,
        owner=owner,
        visibility=spec.visibility,
        **refs,
    )
    try:
        indicator.full_clean(exclude=["owner"])
    except ValidationError as exc:
        raise QuartierError(
            f"Der neue Indikator „{spec.key}“ ist so nicht möglich: {' '.join(exc.messages)} "
            "Bitte die Zuordnung korrigieren; nichts wurde gespeichert."
        ) from exc
    indicator.save()
    return indicator


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
