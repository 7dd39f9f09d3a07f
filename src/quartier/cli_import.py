"""``quartier import …``: the wizard's flows for unattended (e.g. nightly) imports."""

from __future__ import annotations

import json
from pathlib import Path

from quartier.errors import QuartierError


def add_parsers(sub) -> None:
    """Register ``quartier import geometry|table|inspect|microdata|register``."""
    from quartier.cli_geometry import add_parser as add_geometry
    from quartier.cli_microdata import add_parsers as add_microdata

    imp = sub.add_parser("import", help="Geometrien, Tabellen oder Einzeldaten importieren")
    kinds = imp.add_subparsers(dest="import_kind", required=True, metavar="ART")

    add_geometry(kinds)

    table = kinds.add_parser("table", help="Statistiktabelle importieren")
    table.add_argument("file", type=Path)
    table.add_argument(
        "--mapping",
        type=Path,
        required=True,
        help="Zuordnung als JSON (im Import-Assistenten herunterladbar)",
    )
    table.add_argument("--sheet", help="Tabellenblatt (Excel/ODS)")
    table.add_argument(
        "--accept-warnings",
        action="store_true",
        help="trotz Warnungen übernehmen (Fehler verhindern den Import immer)",
    )
    table.add_argument("--dry-run", action="store_true", help="nur prüfen, nichts speichern")
    table.set_defaults(func=cmd_table)

    inspect = kinds.add_parser(
        "inspect",
        help="Tabelle ansehen und eine Zuordnung vorschlagen (JSON auf die Standardausgabe, "
        "die Übersicht auf die Fehlerausgabe)",
    )
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--sheet")
    inspect.add_argument(
        "--output", type=Path, help="Zuordnung in diese Datei schreiben (Übersicht dann auf stdout)"
    )
    inspect.set_defaults(func=cmd_inspect)
    add_microdata(kinds)


def _print_findings(title: str, items: list[str]) -> None:
    if items:
        print(f"{title}:")
        for item in items:
            print(f"  - {item}")


def dry_or_real(action, dry_run: bool):
    """Run ``action``; on a dry run inside a transaction that is rolled back."""
    from django.db import transaction

    class _Rollback(Exception):
        pass

    if not dry_run:
        return action()
    holder = {}
    try:
        with transaction.atomic():
            holder["result"] = action()
            raise _Rollback
    except _Rollback:
        return holder["result"]


def _load_mapping(path: Path):
    from quartier.imports.tablemap import TableMapping

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QuartierError(f"Die Zuordnung {path} ist kein lesbares JSON ({exc}).") from exc
    return TableMapping.from_json(data)


def cmd_table(args) -> int:
    """Import a statistics table with a saved mapping: check, then commit as one batch."""
    from quartier.cli import setup

    setup()
    from quartier.imports.progress import console
    from quartier.imports.tables import read_table
    from quartier.imports.targets import reuse_existing
    from quartier.imports.values_import import CheckFailed, commit_table
    from quartier.indicators.batches import file_sha256

    if not args.file.is_file():
        raise QuartierError(f"Die Datei {args.file} gibt es nicht.")
    mapping, reused = reuse_existing(_load_mapping(args.mapping))
    table = read_table(args.file, original_name=args.file.name, sheet=args.sheet)
    for note in table.notes + reused:
        print(note)
    if args.dry_run:
        report, _rows = dry_or_real(lambda: _check_with_new(table, mapping), True)
        _print_report(report)
        if report.errors:
            print("Nichts wurde gespeichert: bitte die Fehler beheben.")
            return 1
        print(f"Probelauf: {report.values} Werte geprüft, nichts gespeichert.")
        return 0
    # The commit checks the table inside its transaction; checking it before as well doubled
    # the time of big imports. A refused commit hands back its full report.
    try:
        batch, committed = commit_table(
            table,
            mapping,
            source_name=args.file.name,
            sha256=file_sha256(args.file),
            accept_warnings=args.accept_warnings,
            progress=console,
        )
    except CheckFailed as refused:
        _print_report(refused.report)
        if refused.report.errors:
            print("Nichts wurde gespeichert: bitte die Fehler beheben.")
        else:
            print("Nichts wurde gespeichert: Warnungen mit --accept-warnings bestätigen.")
        return 1
    _print_report(committed)
    if batch is None:
        print(
            f"0 Werte geändert: alle {committed.values} Werte sind bereits so gespeichert "
            f"(0 neue, 0 ersetzte, {committed.values} unveränderte Werte); "
            "kein Importlauf angelegt."
        )
        return 0
    print(
        f"Importlauf {batch.pk}: {batch.rows_inserted} neue, {batch.rows_replaced} ersetzte, "
        f"{batch.rows_unchanged} unveränderte Werte."
    )
    return 0


def _print_report(report) -> None:
    """Errors, warnings and notes of a check, grouped as the wizard shows them."""
    from quartier.imports.findings import grouped, print_groups

    for title, severity in (("Fehler", "errors"), ("Warnungen", "warnings"), ("Hinweise", "notes")):
        print_groups(title, grouped(getattr(report, severity), report.groups.get(severity, [])))


def _check_with_new(table, mapping):
    """Check a mapping whose new indicators must exist first (call in a rolled-back transaction)."""
    from dataclasses import replace

    from quartier.imports.values_import import check_table, create_indicators

    create_indicators(mapping, None)
    new_keys = {spec.key for spec in mapping.new_indicators}
    return check_table(table, replace(mapping, new_indicators=[]), None, new_keys)


def cmd_inspect(args) -> int:
    """Suggest a mapping (JSON) to edit and reuse; a summary of the table for people.

    The JSON goes to stdout (``quartier import inspect FILE > zuordnung.json``) and
    the summary to stderr — or, with ``--output``, the JSON to that file and the
    summary to stdout.
    """
    import sys

    from quartier.cli import setup

    setup()
    from quartier.files import write_private
    from quartier.imports.analysis import guess_mapping
    from quartier.imports.tables import read_table

    table = read_table(args.file, original_name=args.file.name, sheet=args.sheet)
    mapping = json.dumps(guess_mapping(table).to_json(), ensure_ascii=False, indent=2) + "\n"
    summary = sys.stderr
    if args.output:
        try:
            write_private(args.output, mapping.encode("utf-8"))
        except OSError as exc:
            raise QuartierError(
                f"Die Zuordnung kann nicht nach {args.output} geschrieben werden "
                f"({exc.strerror or exc})."
            ) from exc
        summary = sys.stdout
    else:
        sys.stdout.write(mapping)
    print(f"{len(table.rows)} Zeilen; Spalten: {', '.join(table.columns)}", file=summary)
    for note in table.notes:
        print(note, file=summary)
    if args.output:
        print(f"Zuordnung geschrieben: {args.output}", file=summary)
    return 0
