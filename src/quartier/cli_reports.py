"""``quartier steckbriefe``: the Steckbriefe of all areas of a level as PDFs in a ZIP file."""

from __future__ import annotations


def cmd_steckbriefe(args) -> int:
    """Write the ZIP with the rights of ``--user`` (default: the public's), showing progress."""
    from quartier.cli import setup

    setup()
    from django.utils import translation

    from quartier.cli_users import reading_user, write_file
    from quartier.explorer.pages import change_start
    from quartier.reports.batch import steckbriefe

    user = reading_user(args.user)
    shown = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = done * 100 // total
        if percent // 10 != shown["percent"] // 10 or done == total:  # every 10 %
            shown["percent"] = percent
            print(f"[{percent:3d} %] {done}/{total} Steckbriefe", flush=True)

    with translation.override(args.language):
        report = steckbriefe(user, args.level, change_start(args.since or ""), progress)
    note = " – VERTRAULICH: enthält für andere geheime Werte" if report.confidential else ""
    write_file(args.output, report.filename, report.content, note)
    return 0


def add_parsers(sub) -> None:
    """Register ``quartier steckbriefe``."""
    cmd = sub.add_parser(
        "steckbriefe",
        help="Steckbriefe aller Gebiete einer Ebene als PDF-Dateien in einer ZIP-Datei",
    )
    cmd.add_argument("--level", required=True, help="Raumebene, z. B. sozialraum")
    cmd.add_argument(
        "--since", help="Veränderung seit (JJJJ-MM-TT oder 'vorher'; Standard: frühester)"
    )
    cmd.add_argument("--output", help="Datei oder Verzeichnis (Standard: steckbriefe_<ebene>.zip)")
    cmd.add_argument(
        "--language", default="de", choices=["de", "en"], help="Sprache (Standard: de)"
    )
    cmd.add_argument(
        "--user", help="mit den Rechten dieses Kontos (Standard: öffentlich sichtbare Daten)"
    )
    cmd.set_defaults(func=cmd_steckbriefe)
