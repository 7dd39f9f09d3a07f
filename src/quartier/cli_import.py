"""``quartier import …``: the wizard's flows for unattended (e.g. nightly) imports."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

from quartier.errors import QuartierError


def add_parsers(sub) -> None:
    """Register ``quartier import geometry|table|inspect|microdata|register``."""
    from quartier.cli_microdata import add_parsers as add_microdata

    imp = sub.add_parser("import", help="Geometrien, Tabellen oder Einzeldaten importieren")
    kinds = imp.add_subparsers(dest="import_kind", required=True, metavar="ART")

    geo = kinds.add_parser("geometry", help="Gebietsgrenzen als Raumebene importieren")
    geo.add_argument("files", nargs="+", type=Path, help="ZIP, Shapefile-Teile, GPKG, GeoJSON …")
    geo.add_argument("--level", required=True, help="Kürzel der Raumebene (neu oder vorhanden)")
    geo.add_argument("--name", help="Name einer neuen Raumebene")
    geo.add_argument("--parent", help="Kürzel der übergeordneten Raumebene")
    geo.add_argument("--code-field", help="Feld mit dem Gebietsschlüssel (sonst geraten)")
    geo.add_argument("--name-field", help="Feld mit dem Namen (sonst geraten)")
    geo.add_argument(
        "--crs", help="Koordinatensystem, wenn die Datei keins nennt, z. B. EPSG:25832"
    )
    geo.add_argument("--layer", help="Ebene innerhalb der Datei (GeoPackage)")
    geo.add_argument("--valid-from", type=date.fromisoformat, help="gültig ab (JJJJ-MM-TT)")
    geo.add_argument("--dry-run", action="store_true", help="nur prüfen, nichts speichern")
    geo.set_defaults(func=cmd_geometry)

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


def cmd_geometry(args) -> int:
    """Import geometry files as a level."""
    from quartier.cli import setup

    setup()
    import tempfile

    from quartier.imports.findings import group_geometry, print_groups
    from quartier.imports.geofiles import open_source, resolve_crs, stage_upload
    from quartier.imports.geometry_import import LevelTarget, import_level
    from quartier.imports.georead import guess_fields, read_features, sample_values

    for path in args.files:
        if not path.is_file():
            raise QuartierError(f"Die Datei {path} gibt es nicht.")
    with tempfile.TemporaryDirectory(prefix="quartier-import-") as work:
        staged = stage_upload([(p.name, p) for p in args.files], Path(work))
        source = open_source(staged, args.layer)
        guessed_code, guessed_name = guess_fields(source.fields, sample_values(source))
        code_field = args.code_field or guessed_code
        if not code_field:
            raise QuartierError(
                "Das Schlüsselfeld ist nicht erkennbar – bitte --code-field angeben "
                f"(Felder: {', '.join(source.fields)})."
            )
        read = read_features(
            source,
            code_field=code_field,
            name_field=args.name_field or guessed_name,
            crs=resolve_crs(source, args.crs),
        )
        target = LevelTarget(args.level, args.name or args.level, args.parent, args.valid_from)
        report = dry_or_real(lambda: import_level(read, target), args.dry_run)
    for note in source.notes:
        print(note)
    data = asdict(report)
    print(
        f"Ebene {data['level']}: {data['created']} neu, {data['new_versions']} neue Fassungen, "
        f"{data['unchanged']} unverändert, {data['closed']} beendet, "
        f"{data['with_parent']} mit übergeordnetem Gebiet."
    )
    _print_findings(
        "Nicht vollständig in einem übergeordneten Gebiet",
        [
            f"{n['code']} {n['name']}: {n['share']:.0%} in {n['parent_code']}"
            for n in data["not_nested"]
        ],
    )
    print_groups("Hinweise", group_geometry(data["findings"]))
    if args.dry_run:
        print("Probelauf: nichts wurde gespeichert.")
    return 0


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
    from quartier.imports.findings import grouped, print_groups
    from quartier.imports.tables import read_table
    from quartier.imports.targets import reuse_existing
    from quartier.imports.values_import import commit_table
    from quartier.indicators.batches import file_sha256

    if not args.file.is_file():
        raise QuartierError(f"Die Datei {args.file} gibt es nicht.")
    mapping, reused = reuse_existing(_load_mapping(args.mapping))
    table = read_table(args.file, original_name=args.file.name, sheet=args.sheet)
    for note in table.notes + reused:
        print(note)
    report, _rows = dry_or_real(lambda: _check_with_new(table, mapping), True)
    for title, severity in (("Fehler", "errors"), ("Warnungen", "warnings"), ("Hinweise", "notes")):
        print_groups(title, grouped(getattr(report, severity), report.groups.get(severity, [])))
    if report.errors:
        print("Nichts wurde gespeichert: bitte die Fehler beheben.")
        return 1
    if args.dry_run:
        print(f"Probelauf: {report.values} Werte geprüft, nichts gespeichert.")
        return 0
    if report.warnings and not args.accept_warnings:
        print("Nichts wurde gespeichert: Warnungen mit --accept-warnings bestätigen.")
        return 1
    batch, committed = commit_table(
        table,
        mapping,
        source_name=args.file.name,
        sha256=file_sha256(args.file),
        accept_warnings=True,
    )
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
