"""``quartier import microdata|register``: records → counts per area, unattended.

The same library functions as the web wizard: records are placed once in the
finest level and only the counts are stored as one import batch. The CLI reads
the department's file where it lies and copies it nowhere; the list of records
that could not be placed goes to the terminal of whoever ran the command.
"""

from __future__ import annotations

from pathlib import Path

from quartier.errors import QuartierError

LISTED = 20  # unplaced records printed; --all-problems prints every one


def add_parsers(kinds) -> None:
    """Register ``quartier import microdata`` and ``quartier import register``."""
    micro = kinds.add_parser(
        "microdata", help="Einzeldaten (Koordinaten oder Adressen) zu Anzahlen je Gebiet zählen"
    )
    micro.add_argument("file", type=Path, help="CSV, XLSX oder ODS, eine Zeile je Fall")
    micro.add_argument("--period", required=True, help="Stichtag, z. B. 31.12.2024 oder 2024")
    target = micro.add_mutually_exclusive_group(required=True)
    target.add_argument("--name", help="Name einer neuen Anzahl (Indikator)")
    target.add_argument("--indicator", help="Kürzel einer vorhandenen Anzahl")
    micro.add_argument("--x", dest="x_column", metavar="SPALTE", help="Spalte mit dem Rechtswert")
    micro.add_argument("--y", dest="y_column", metavar="SPALTE", help="Spalte mit dem Hochwert")
    micro.add_argument("--crs", default="EPSG:25832", help="Koordinatensystem (Standard 25832)")
    micro.add_argument(
        "--street", dest="street_column", metavar="SPALTE", help="Spalte mit der Straße"
    )
    micro.add_argument(
        "--number", dest="number_column", metavar="SPALTE", help="Spalte mit der Hausnummer"
    )
    micro.add_argument(
        "--suffix", dest="suffix_column", metavar="SPALTE", help="Spalte mit dem Hausnummernzusatz"
    )
    micro.add_argument(
        "--postcode", dest="postcode_column", metavar="SPALTE", help="Spalte mit der Postleitzahl"
    )
    micro.add_argument(
        "--category", dest="category_column", help="Merkmal, nach dem zusätzlich gezählt wird"
    )
    micro.add_argument("--level", default="", help="feinste Raumebene (Standard: die feinste)")
    micro.add_argument("--sheet", help="Tabellenblatt (Excel/ODS)")
    micro.add_argument(
        "--user",
        help="Konto, in dessen Namen gezählt wird; eine neue Anzahl gehört seinem Fachbereich",
    )
    micro.add_argument("--all-problems", action="store_true", help="alle nicht zugeordneten Fälle")
    micro.add_argument("--dry-run", action="store_true", help="nur zählen, nichts speichern")
    micro.set_defaults(func=cmd_microdata)

    register = kinds.add_parser(
        "register", help="Hauskoordinaten (CSV oder GeoPackage) als Adressverzeichnis übernehmen"
    )
    register.add_argument("file", type=Path)
    register.add_argument("--crs", help="Koordinatensystem, wenn die Datei keins nennt")
    register.set_defaults(func=cmd_register)


def spec_from_args(args):
    """The command line's choices as the wizard's :class:`MicrodataSpec`."""
    from quartier.imports.microdata import MicrodataSpec

    by_coordinates = bool(args.x_column or args.y_column)
    by_address = bool(args.street_column or args.number_column)
    if by_coordinates == by_address:
        raise QuartierError(
            "Bitte entweder --x und --y (Koordinaten) oder --street und --number (Adressen) "
            "angeben. / Give either coordinate or address columns."
        )
    return MicrodataSpec(
        mode="coordinates" if by_coordinates else "addresses",
        indicator_name=args.name or "",
        indicator_key=args.indicator or "",
        period=args.period,
        x_column=args.x_column or "",
        y_column=args.y_column or "",
        crs=args.crs,
        street_column=args.street_column or "",
        number_column=args.number_column or "",
        suffix_column=args.suffix_column or "",
        postcode_column=args.postcode_column or "",
        category_column=args.category_column or "",
        level=args.level,
    )


def _acting_user(username: str | None, indicator_key: str):
    """The named active account; it must be allowed to write an existing indicator."""
    from quartier.access.rights import writable_indicators
    from quartier.cli_users import active_user

    if not username:
        return None
    user = active_user(username)
    if indicator_key and not writable_indicators(user).filter(key=indicator_key).exists():
        raise QuartierError(
            f"„{username}“ darf in „{indicator_key}“ nicht importieren. / Not allowed."
        )
    return user


def cmd_microdata(args) -> int:
    """Count records per area and store the counts as one import batch."""
    from quartier.cli import setup

    setup()
    from quartier.cli_import import dry_or_real
    from quartier.imports.microdata import aggregate, commit
    from quartier.imports.tables import read_table
    from quartier.indicators.batches import file_sha256
    from quartier.indicators.models import Indicator

    if not args.file.is_file():
        raise QuartierError(f"Die Datei {args.file} gibt es nicht.")
    spec = spec_from_args(args)
    user = _acting_user(args.user, spec.indicator_key)
    table = read_table(args.file, original_name=args.file.name, sheet=args.sheet)
    agg = aggregate(table, spec, listed=None if args.all_problems else LISTED, user=user)
    print(
        f"{agg.records} Fälle gelesen, {agg.placed} in der Ebene {agg.level} zugeordnet, "
        f"{agg.records - agg.placed} nicht (Stichtag {agg.period:%d.%m.%Y})."
    )
    _print_problems("Adresse nicht gefunden", agg.unmatched, agg.unmatched_total)
    _print_problems("Außerhalb aller Gebiete", agg.outside, agg.outside_total)
    if agg.duplicates:
        print(f"Hinweis: {agg.duplicates} Zeilen kommen doppelt vor (sie werden mitgezählt).")
    sha256 = file_sha256(args.file)
    batch, keys = dry_or_real(
        lambda: commit(agg, spec, user=user, source_name=args.file.name, sha256=sha256),
        args.dry_run,
    )
    if args.dry_run:
        print("Probelauf: nichts wurde gespeichert.")
        return 0
    print(
        f"Importlauf {batch.pk}: {batch.rows_inserted} neue, {batch.rows_replaced} ersetzte Werte."
    )
    for indicator in Indicator.objects.filter(key__in=keys).select_related("owner"):
        owner = f", {indicator.owner.name}" if indicator.owner else ""
        print(f"  {indicator.key}: {indicator.name} ({indicator.get_visibility_display()}{owner})")
    return 0


def _print_problems(title: str, items: list[str], total: int) -> None:
    """A titled list: ``total`` problems, ``items`` of them listed (all with --all-problems)."""
    if not total:
        return
    print(f"{title}: {total}")
    for item in items:
        print(f"  - {item}")
    if total > len(items):
        print(f"  … und {total - len(items)} weitere (--all-problems zeigt alle)")


def cmd_register(args) -> int:
    """Replace the address register (house coordinates) with the file's."""
    from quartier.cli import setup

    setup()
    from quartier.imports.microdata import store_register

    if not args.file.is_file():
        raise QuartierError(f"Die Datei {args.file} gibt es nicht.")
    count = store_register(args.file, args.crs)
    print(f"{count} Adressen übernommen.")
    return 0
