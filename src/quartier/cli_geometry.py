"""``quartier import geometry``: boundaries as a level, for unattended (e.g. nightly) runs.

Two checks guard a run nobody watches. Codes a GIS stored as numbers get their
leading zeros back (the width is printed; ``--code-width`` overrides it). A level
that does not lie where it belongs — beside the existing levels, or outside
Germany for the first import — is refused with exit code 2 and nothing stored,
naming the coordinate system that would fit; ``--ignore-location`` imports it
anyway. Refusing (not warning) is what a nightly job needs: a wrong location
must not silently replace good boundaries, and a non-zero exit alerts the operator.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path

from quartier.errors import QuartierError


def add_parser(kinds) -> None:
    """Register ``quartier import geometry``."""
    geo = kinds.add_parser("geometry", help="Gebietsgrenzen als Raumebene importieren")
    geo.add_argument("files", nargs="+", type=Path, help="ZIP, Shapefile-Teile, GPKG, GeoJSON …")
    geo.add_argument("--level", required=True, help="Kürzel der Raumebene (neu oder vorhanden)")
    geo.add_argument("--name", help="Name einer neuen Raumebene")
    geo.add_argument("--parent", help="Kürzel der übergeordneten Raumebene")
    geo.add_argument("--code-field", help="Feld mit dem Gebietsschlüssel (sonst geraten)")
    geo.add_argument("--name-field", help="Feld mit dem Namen (sonst geraten)")
    geo.add_argument(
        "--code-width",
        type=int,
        metavar="N",
        help="Gebietsschlüssel mit führenden Nullen auf N Stellen ergänzen (0 = unverändert); "
        "ohne Angabe entscheidet Quartier bei als Zahl gespeicherten Schlüsseln selbst",
    )
    geo.add_argument(
        "--crs", help="Koordinatensystem, wenn die Datei keins nennt, z. B. EPSG:25832"
    )
    geo.add_argument("--layer", help="Ebene innerhalb der Datei (GeoPackage)")
    geo.add_argument("--valid-from", type=date.fromisoformat, help="gültig ab (JJJJ-MM-TT)")
    geo.add_argument(
        "--ignore-location",
        action="store_true",
        help="auch importieren, wenn die Gebiete nicht bei den vorhandenen Ebenen "
        "(bzw. nicht in Deutschland) liegen",
    )
    geo.add_argument("--dry-run", action="store_true", help="nur prüfen, nichts speichern")
    geo.set_defaults(func=cmd_geometry)


def cmd_geometry(args) -> int:
    """Import geometry files as a level."""
    from quartier.cli import setup

    setup()
    from quartier.cli_import import dry_or_real
    from quartier.imports.geometry_import import LevelTarget, import_level, prepare_display
    from quartier.imports.placement import check_placement, lines

    for path in args.files:
        if not path.is_file():
            raise QuartierError(f"Die Datei {path} gibt es nicht.")
    if args.code_width is not None and not 0 <= args.code_width <= 40:
        raise QuartierError("--code-width muss zwischen 0 und 40 liegen (0 = unverändert).")
    with tempfile.TemporaryDirectory(prefix="quartier-import-") as work:
        source, crs, read, proposal = _read(args, Path(work))
        for note in source.notes:
            print(note)
        if proposal is not None:
            print(proposal.note + _override_hint(proposal))
        placement = check_placement(
            read,
            crs,
            crs_from_file=source.crs_wkt is not None,
            target_key=args.level,
            parent_key=args.parent,
        )
        for line in lines(placement):
            print(line)
        if not placement.plausible and not args.ignore_location:
            raise QuartierError(_refusal(placement))
        target = LevelTarget(args.level, args.name or args.level, args.parent, args.valid_from)
        report = dry_or_real(lambda: import_level(read, target), args.dry_run)
        if not args.dry_run:
            prepare_display(target.key)
    _print_report(asdict(report))
    if args.dry_run:
        print("Probelauf: nichts wurde gespeichert.")
    return 0


def _read(args, work: Path):
    """Stage, open, decide the code width and read; returns (source, crs, read, proposal)."""
    from quartier.imports.codewidth import decide
    from quartier.imports.geofiles import open_source, resolve_crs, stage_upload
    from quartier.imports.geometry_import import current_codes
    from quartier.imports.georead import guess_fields, read_features, sample_values

    staged = stage_upload([(p.name, p) for p in args.files], work)
    source = open_source(staged, args.layer)
    guessed_code, guessed_name = guess_fields(source.fields, sample_values(source))
    code_field = args.code_field or guessed_code
    if not code_field:
        raise QuartierError(
            "Das Schlüsselfeld ist nicht erkennbar – bitte --code-field angeben "
            f"(Felder: {', '.join(source.fields)})."
        )
    crs = resolve_crs(source, args.crs)
    if code_field not in source.fields:  # read_features says which fields exist
        width, proposal = None, None
    else:
        width, proposal = decide(source, code_field, args.code_width, current_codes(args.level))
    read = read_features(
        source,
        code_field=code_field,
        name_field=args.name_field or guessed_name,
        crs=crs,
        code_width=width,
    )
    return source, crs, read, proposal


def _override_hint(proposal) -> str:
    if proposal.proposed:
        return " Andere Stellenzahl: --code-width N (0 = unverändert)."
    return " Mit --code-width N werden die Schlüssel auf N Stellen ergänzt."


def _refusal(placement) -> str:
    fix = (
        f"--crs {placement.suggestions[0].crs} angeben"
        if placement.suggestions and not placement.crs_from_file
        else "die Datei prüfen"
    )
    return (
        f"Nichts wurde gespeichert: die Gebiete liegen nicht im Bereich {placement.reference}. "
        f"Bitte {fix}; stimmt die Lage doch, mit --ignore-location importieren."
    )


def _print_report(data: dict) -> None:
    from quartier.cli_import import _print_findings
    from quartier.imports.findings import group_geometry, print_groups
    from quartier.imports.geometry_import import not_nested_text

    print(
        f"Ebene {data['level']}: {data['created']} neu, {data['new_versions']} neue Fassungen, "
        f"{data['unchanged']} unverändert, {data['closed']} beendet, "
        f"{data['with_parent']} mit übergeordnetem Gebiet."
    )
    _print_findings(
        "Nicht vollständig in einem übergeordneten Gebiet",
        [not_nested_text(n) for n in data["not_nested"]],
    )
    print_groups("Hinweise", group_geometry(data["findings"]))
