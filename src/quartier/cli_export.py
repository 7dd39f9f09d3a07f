"""``quartier export``: the export files from the command line (e.g. a nightly job)."""

from __future__ import annotations


def cmd_export(args) -> int:
    """Write one export file with the rights of ``--user`` (default: the public's)."""
    from quartier.cli import setup

    setup()

    from quartier.api.params import parse_date
    from quartier.cli_users import reading_user, write_file
    from quartier.exports.service import build_export

    user = reading_user(args.user)
    split = lambda text: [part.strip() for part in (text or "").split(",") if part.strip()]  # noqa: E731
    periods = [parse_date(p) for p in split(args.period)] or None
    export = build_export(
        user, split(args.indicator), split(args.level), periods, args.format, limited=False
    )
    write_file(args.output, export.filename, export.content)
    return 0


def add_parsers(sub) -> None:
    """Register ``quartier export``."""
    from quartier.exports.formats import FORMATS

    export = sub.add_parser("export", help="Werte als CSV, XLSX, GeoJSON oder GeoPackage speichern")
    export.add_argument("--indicator", required=True, help="Indikator-Kürzel, mit Komma getrennt")
    export.add_argument("--level", required=True, help="Raumebenen, mit Komma getrennt")
    export.add_argument("--period", help="Stichtage (JJJJ-MM-TT oder Jahr), Standard: neuester")
    export.add_argument(
        "--format", default="xlsx", choices=[f.key for f in FORMATS], help="Standard: xlsx"
    )
    export.add_argument("--output", help="Datei oder Verzeichnis (Standard: Dateiname des Exports)")
    export.add_argument(
        "--user", help="mit den Rechten dieses Kontos (Standard: öffentlich sichtbare Daten)"
    )
    export.set_defaults(func=cmd_export)
