"""Table import wizard: upload → map columns → check (report + preview) → commit."""

from __future__ import annotations

import pickle
from pathlib import Path

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quartier.access.rights import writable_indicators
from quartier.errors import QuartierError
from quartier.files import write_private
from quartier.imports import jobs
from quartier.imports.access import import_view, upload_too_large, visible_job
from quartier.imports.analysis import guess_mapping, value_columns
from quartier.imports.findings import grouped
from quartier.imports.matching import candidates, same_definition
from quartier.imports.models import ImportJob
from quartier.imports.tablemap import (
    IGNORE,
    NewIndicator,
    TableMapping,
    distinct_labels,
    period_columns,
    suggest_key,
)
from quartier.imports.tables import RawTable, read_table
from quartier.imports.targets import check_mapping_rights
from quartier.imports.values_import import check_table, commit_table
from quartier.indicators.models import Indicator, Kind, Topic, Visibility
from quartier.spatial.models import Level

NEW_PREFIX = "neu:"  # choice value "neu:count" = create a new indicator of that kind


def load_table(job: ImportJob) -> RawTable:
    """The job's table, read once and then kept next to the upload."""
    cache = Path(job.workdir) / f"table-{job.options.get('sheet') or ''}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    name, path = jobs.input_files(job)[0]
    table = read_table(path, original_name=name, sheet=job.options.get("sheet") or None)
    try:
        write_private(cache, pickle.dumps(table))
    except OSError:
        cache.unlink(missing_ok=True)  # only a cache (disk full?): read the table again next time
    return table


@import_view
def upload(request):
    """Step 1: upload a CSV, XLSX or ODS file."""
    if request.method == "POST":
        too_large = upload_too_large(request)
        files = request.FILES.getlist("dateien")
        if too_large or len(files) != 1:
            message = too_large or "Bitte genau eine Tabelle auswählen."
            return render(
                request,
                "quartier/imports/upload.html",
                {"kind": "table", "error": message},
                status=413 if too_large else 200,  # a form shown again with its error
            )
        job = jobs.create_job(ImportJob.Kind.TABLE, [(files[0].name, files[0])], request.user)
        try:
            table = load_table(job)
        except QuartierError as exc:
            jobs.discard_files(job)
            job.status, job.error = ImportJob.Status.FAILED, exc.message
            job.save()
            return render(
                request,
                "quartier/imports/upload.html",
                {"kind": "table", "error": exc.message},
                status=200,
            )
        job.analysis = {
            "sheets": table.sheets,
            "notes": table.notes,
            "columns": table.columns,
            "rows": len(table.rows),
        }
        job.options = {"mapping": guess_mapping(table, request.user).to_json()}
        job.save()
        return redirect("imports:job", job.pk)
    return render(request, "quartier/imports/upload.html", {"kind": "table"})


def _choices(user) -> list[tuple[str, str]]:
    """Targets for a column: ignore, a new indicator of some kind, or an existing one."""
    new = [(f"{NEW_PREFIX}{k}", f"Neuer Indikator: {label}") for k, label in Kind.choices]
    existing = [
        (i.key, f"{i.name} ({i.key})") for i in writable_indicators(user) if not i.is_computed
    ]
    return [(IGNORE, "– nicht übernehmen –"), *new, *existing]


def mapping_page(request, job: ImportJob, error: str | None = None, status: int = 200):
    """Step 2: how columns map to areas, periods and indicators."""
    table = load_table(job)
    mapping = TableMapping.from_json(job.options["mapping"])
    long = mapping.layout == "long" and mapping.indicator_columns
    labels = distinct_labels(table, mapping) if long else []
    new = {n.key: n for n in mapping.new_indicators}
    context = {
        "job": job,
        "table": table,
        "mapping": mapping,
        "preview": table.rows[:8],
        "levels": Level.objects.all(),
        "choices": _choices(request.user),
        # A new rate's numerator and denominator: another column of the file or an existing count.
        "count_choices": _count_choices(table, mapping, request.user),
        "topics": Topic.choices,
        # Fields are numbered by the column's position in the file, which never changes.
        "column_rows": [
            _row(table.columns.index(c), c, mapping.columns.get(c, IGNORE), new)
            for c in value_columns(table, mapping)
        ],
        "label_rows": [
            _row(i, label, mapping.indicator_labels.get(label, IGNORE), new)
            for i, label in enumerate(labels[:300])
        ],
        "indicator_row": _row(0, "", mapping.indicator or IGNORE, new),
        "period_columns": period_columns(table),
        "too_many_labels": len(labels) > 300,
        "visibility": next(
            (spec.visibility for spec in mapping.new_indicators), Visibility.INTERNAL
        ),
        "error": error,
    }
    return render(request, "quartier/imports/table_mapping.html", context, status=status)


def _count_choices(table: RawTable, mapping: TableMapping, user) -> list[tuple[str, str]]:
    """Possible numerators/denominators: columns of this table and existing counts."""
    columns = [
        (f"spalte:{table.columns.index(c)}", f"Spalte {c}") for c in value_columns(table, mapping)
    ]
    counts = [(i.key, i.name) for i in writable_indicators(user).filter(kind=Kind.COUNT)]
    return [("", "–"), *columns, *counts]


def _row(i: int, label: str, target: str, new: dict[str, NewIndicator]) -> dict:
    """One line of the mapping form: its current choice, and name/unit of a new indicator."""
    spec = new.get(target)
    return {
        "i": i,
        "label": label,
        "name": spec.name if spec else label,
        "unit": spec.unit if spec else "",
        "choice": f"{NEW_PREFIX}{spec.kind}" if spec else target,
    }


def _target(
    post, prefix: str, label: str, taken: set[str], new: list[NewIndicator], available: list
) -> str:
    """Indicator key chosen for one column or label; creates a NewIndicator spec if asked.

    A new indicator exactly like one in ``available`` (name, unit, kind) gets that
    one's key: the check then uses the existing indicator instead of a duplicate.
    """
    choice = post.get(f"{prefix}-ziel", IGNORE)
    if not choice.startswith(NEW_PREFIX):
        return choice
    kind = choice[len(NEW_PREFIX) :]
    name = (post.get(f"{prefix}-name") or label).strip()
    unit = (post.get(f"{prefix}-einheit") or "").strip()
    key = (post.get(f"{prefix}-kuerzel") or "").strip()
    twin = None if key else same_definition(name, unit, kind, available)
    if twin is not None:
        available.remove(twin)  # one column per indicator
    key = key or (twin.key if twin else suggest_key(name, taken))
    taken.add(key)
    new.append(
        NewIndicator(
            key=key,
            name=name,
            unit=unit,
            kind=kind,
            topic=post.get(f"{prefix}-handlungsfeld") or "soziales",
            numerator=post.get(f"{prefix}-zaehler") or None if kind == "rate" else None,
            denominator=post.get(f"{prefix}-nenner") or None if kind == "rate" else None,
        )
    )
    return key


def mapping_from_post(post, table: RawTable, previous: TableMapping, user=None) -> TableMapping:
    """Build the mapping from the form fields (names are German, like the UI).

    ``user`` decides which existing indicators a "new" one may turn out to be.
    """
    period_mode = post.get("stichtag_art", "fest")
    mapping = TableMapping(
        layout=post.get("layout", previous.layout),
        key_column=post.get("schluessel", ""),
        level=post.get("ebene", "auto"),
        period_column=post.get("stichtag_spalte") if period_mode == "spalte" else None,
        period=post.get("stichtag") if period_mode == "fest" else None,
        indicator_columns=post.getlist("indikator_spalten"),
        value_column=post.get("wert_spalte") or None,
        period_columns=post.getlist("jahres_spalten"),
    )
    taken = set(Indicator.objects.values_list("key", flat=True))
    new: list[NewIndicator] = []
    available = candidates(user)
    if mapping.layout == "wide":
        for column in value_columns(table, mapping):
            prefix = f"spalte-{table.columns.index(column)}"
            target = _target(post, prefix, column, taken, new, available)
            if target != IGNORE:
                mapping.columns[column] = target
    elif mapping.layout == "wide_period":
        label = post.get("indikator-name") or ""
        mapping.indicator = _target(post, "indikator", label, taken, new, available)
    elif mapping.indicator_columns:
        for i, label in enumerate(distinct_labels(table, mapping)[:300]):
            target = _target(post, f"label-{i}", label, taken, new, available)
            if target != IGNORE:
                mapping.indicator_labels[label] = target
    _resolve_column_references(table, mapping, new)
    visibility = post.get("sichtbarkeit")
    for spec in new:  # asked once for all new indicators of this import; intern by default
        spec.visibility = visibility if visibility in Visibility.values else Visibility.INTERNAL
    mapping.new_indicators = new
    return mapping


def _resolve_column_references(
    table: RawTable, mapping: TableMapping, new: list[NewIndicator]
) -> None:
    """A rate's numerator/denominator may name another column ("spalte:3"): use its indicator."""
    by_index = {str(table.columns.index(c)): key for c, key in mapping.columns.items()}
    for spec in new:
        for role in ("numerator", "denominator"):
            ref = getattr(spec, role)
            if ref and ref.startswith("spalte:"):
                target = by_index.get(ref.split(":", 1)[1])
                if not target:
                    raise QuartierError(
                        f"Für „{spec.name}“ ist als Zähler oder Nenner eine Spalte "
                        "gewählt, die nicht übernommen wird."
                    )
                setattr(spec, role, target)


@require_POST
@import_view
def check(request, pk):
    """Step 3: validate — errors block, warnings must be accepted; show a preview."""
    job = visible_job(request, pk, kind=ImportJob.Kind.TABLE)
    if request.POST.get("blatt") is not None and request.POST["blatt"] != job.options.get(
        "sheet", ""
    ):
        job.options = {"sheet": request.POST["blatt"]}
        try:
            job.options["mapping"] = guess_mapping(load_table(job), request.user).to_json()
        except QuartierError as exc:
            return mapping_page(request, job, exc.message)
        job.save()
        return redirect("imports:job", job.pk)
    table = load_table(job)
    previous = TableMapping.from_json(job.options["mapping"])
    mapping = mapping_from_post(request.POST, table, previous, request.user)
    job.options = {**job.options, "mapping": mapping.to_json()}
    job.save()
    if "aktualisieren" in request.POST:
        return redirect("imports:job", job.pk)
    try:
        report, _rows = check_table(table, mapping, request.user)
    except QuartierError as exc:
        return mapping_page(request, job, exc.message, status=403 if exc.status == 403 else 200)
    job.report = report.to_json()
    job.status = ImportJob.Status.CHECKED
    job.save()
    return redirect("imports:job", job.pk)


def commit_work(job: ImportJob, user, accept_warnings: bool):
    """The background work of committing a checked table import.

    The user's rights are checked here, before the work starts: a refused commit
    answers 403 and leaves the job as it was.
    """
    check_mapping_rights(TableMapping.from_json(job.options["mapping"]), user)

    def work(progress) -> dict:
        progress(5, "Tabelle wird gelesen")
        table = load_table(job)
        mapping = TableMapping.from_json(job.options["mapping"])
        batch, report = commit_table(
            table,
            mapping,
            user=user,
            source_name=job.source_name,
            sha256=job.source_sha256,
            accept_warnings=accept_warnings,
            progress=progress,
        )
        if batch is None:  # the same data again: nothing changed, no batch recorded
            return {
                "batch": None,
                "inserted": 0,
                "replaced": 0,
                "unchanged": report.values,
                "indicators": report.indicators,
            }
        return {
            "batch": batch.pk,
            "inserted": batch.rows_inserted,
            "replaced": batch.rows_replaced,
            "unchanged": batch.rows_unchanged,
            "indicators": report.indicators,
        }

    return work


def table_job_page(request, job: ImportJob):
    """The page for a table job in any state."""
    if job.status == ImportJob.Status.UPLOADED:
        return mapping_page(request, job)
    groups = job.report.get("groups", {})  # reports stored before grouping have none
    return render(
        request,
        "quartier/imports/table_report.html",
        {
            "job": job,
            "report": job.report,
            "findings": {
                severity: grouped(job.report.get(severity, []), groups.get(severity, []))
                for severity in ("errors", "warnings", "notes")
            },
            "result": job.result,
            "mapping": job.options.get("mapping"),
        },
    )
