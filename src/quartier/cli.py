"""The ``quartier`` command: demo, serve, migrate, createadmin, batches, rollback.

Every failure a user can cause (bad configuration, unreachable database, port
in use, unwritable data directory) ends with one line in German and English and
exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time

from quartier.config import (
    database_settings,
    ensure_data_dir,
    ensure_private_database,
    load_config,
)
from quartier.errors import QuartierError


def setup(require_migrated: bool = True) -> None:
    """Check the configuration, then start Django and connect to the database.

    Every command but ``migrate`` and ``demo`` (which migrate themselves) needs
    the tables: on an empty or outdated database they stop with one line that
    says to run ``quartier migrate``, instead of failing on every request.
    """
    config = load_config()
    database_settings(config.database_url)  # fail early with a clear message
    ensure_data_dir(config)
    ensure_private_database(config)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quartier.settings")
    import django
    from django.db import connection
    from django.db.utils import OperationalError

    django.setup()
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise QuartierError(
            f"Die Datenbank ist nicht erreichbar ({reason}). Prüfen Sie QUARTIER_DATABASE_URL "
            "und ob der Datenbankserver läuft. / Database unreachable: check QUARTIER_DATABASE_URL."
        ) from exc
    if require_migrated:
        _require_migrated()


def _require_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise QuartierError(
            "Die Datenbank ist nicht eingerichtet oder nicht auf dem Stand dieser Version – "
            "führen Sie zuerst „quartier migrate“ aus. / The database is not migrated: "
            "run quartier migrate first."
        )


def _migrate(verbose: bool = False) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


DEMO_ACCOUNTS = [
    # (username, role, unit key, what the account shows)
    (
        "jugendamt",
        "steward",
        "jugendamt",
        "Datenverantwortliche im Jugendamt: sieht Hilfen zur Erziehung, auch ungeschützt",
    ),
    ("statistik", "steward", "statistik", "Datenverantwortliche der Statistikstelle"),
    ("analyse", "analyst", "sozialamt", "Analyse (intern): interne Indikatoren, geschützt"),
]
# The Musterkreis (demo --kreis) adds one account for each of two Gemeinden; the accounts
# above then belong to the Kreis's units.
KREIS_ACCOUNTS = [
    (
        "kreisstadt",
        "steward",
        "kreisstadt-sozialplanung",
        "Datenverantwortliche der Kreisstadt: importiert nur für deren Gebiete",
    ),
    (
        "gemeinde",
        "analyst",
        "gemeinde-jugendhilfe",
        "Analyse in einer Gemeinde: sieht deren interne Daten, nicht die der Kreisstadt",
    ),
]


def create_demo_accounts(kreis: bool = False) -> list[tuple[str, str, str]]:
    """One account per role for trying Musterstadt (and, for the Musterkreis, one for each of
    two Gemeinden); returns (username, password, purpose).
    """
    from django.contrib.auth import get_user_model

    from quartier.access.models import Unit

    User = get_user_model()
    created = []
    for username, role, unit, purpose in DEMO_ACCOUNTS + (KREIS_ACCOUNTS if kreis else []):
        if User.objects.filter(username=username).exists():
            continue
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(username=username, password=password, role=role)
        user.units.add(Unit.objects.get(key=unit))
        created.append((username, password, purpose))
    return created


def create_admin(username: str = "admin", email: str = "") -> str:
    """Create an administrator with a random password and return the password."""
    from django.contrib.auth import get_user_model

    from quartier.access.models import Role

    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise QuartierError(
            f"Das Konto „{username}“ existiert bereits – wählen Sie mit --username einen anderen "
            "Namen. / Account exists already."
        )
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(
        username=username, email=email, password=password, role=Role.ADMIN
    )
    return password


def _collect_static() -> None:
    """Copy the static files with hashed names if their sources changed (seconds, once)."""
    from quartier.staticfiles import collect_if_changed

    seconds = collect_if_changed()
    if seconds is not None:
        print(f"Statische Dateien bereitgestellt in {seconds:.1f} s.", flush=True)


def cmd_migrate(args) -> int:
    """Create or update the database tables."""
    setup(require_migrated=False)
    _migrate(verbose=True)
    _collect_static()
    return 0


def cmd_createadmin(args) -> int:
    """Create an administrator account and print its password once."""
    setup()
    password = create_admin(args.username, args.email or "")
    print(
        f"Administrator „{args.username}“ angelegt. Passwort (wird nur jetzt angezeigt): {password}"
    )
    return 0


def start_import_worker() -> None:
    """Run queued imports in a child process (``quartier worker``) of this server."""
    from quartier.imports.supervise import start_worker

    start_worker()


def cmd_serve(args) -> int:
    """Serve Quartier until Ctrl+C."""
    from quartier import server

    sock = server.bind(args.host, args.port)  # as in demo: a taken port is said first
    setup()
    _collect_static()
    print(f"Quartier läuft auf {server.url_for(sock)} – beenden mit Strg+C.", flush=True)
    start_import_worker()
    server.serve(sock, threads=args.threads, workers=args.workers)
    return 0


def cmd_demo(args) -> int:
    """Build Musterstadt in the data directory and (unless --no-serve) serve it."""
    from quartier import server

    config = load_config()
    if args.reset:
        _reset_sqlite(config)
    sock = None if args.no_serve else server.bind(args.host, args.port)
    setup(require_migrated=False)
    _migrate()
    _collect_static()
    from quartier.demo import load as demo_load
    from quartier.demo.generate import generate
    from quartier.demo.geometry import FULL, SMALL

    what = "Musterkreis" if args.kreis else "Musterstadt"
    if demo_load.is_loaded():
        print("Die Demodaten sind bereits vorhanden (neu aufbauen mit --reset).")
    else:
        started = time.perf_counter()
        city = generate(args.seed, SMALL if args.small else FULL)
        if args.kreis:
            from quartier.demo import kreisload

            stats = kreisload.load(city)
        else:
            from quartier.demo import participation

            stats = demo_load.load(city)
            stats["procedures"] = participation.load(city.seed)
        # Disclosure control for every family and period, stored for every server process.
        from quartier.indicators.precompute import protect_all

        protect_all()
        password = create_admin("admin")
        gemeinden = f"{stats['gemeinden']} Gemeinden, " if args.kreis else ""
        print(
            f"{what} erzeugt in {time.perf_counter() - started:.0f} s: {gemeinden}"
            f"{stats['areas']} Gebiete, {stats['indicators']} Indikatoren, "
            f"{stats['values']} Werte, {stats['facilities']} Einrichtungen"
            + (f", {stats['procedures']} Beteiligungsverfahren." if "procedures" in stats else ".")
        )
        print(f"Anmeldung: admin / {password}   (das Passwort wird nur jetzt angezeigt)")
        print("Weitere Demo-Konten, eins je Rolle:")
        for username, secret, purpose in create_demo_accounts(args.kreis):
            print(f"  {username} / {secret}   – {purpose}")
        print("  ohne Anmeldung: öffentliches Portal (nur öffentliche Indikatoren)")
    print(f"Datenverzeichnis: {config.data_dir}")
    if sock is None:
        return 0
    print(f"Quartier läuft auf {server.url_for(sock)} – beenden mit Strg+C.", flush=True)
    start_import_worker()
    server.serve(sock, workers=args.workers)
    return 0


def _reset_sqlite(config) -> None:
    if not config.uses_sqlite:
        raise QuartierError(
            "--reset löscht nur SQLite-Datenbanken. / --reset works on SQLite only."
        )
    name = database_settings(config.database_url)["NAME"]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(name + suffix):
            os.remove(name + suffix)


def cmd_batches(args) -> int:
    """List import batches, at local time (TIME_ZONE, with its abbreviation) like the web."""
    setup()
    from django.utils.timezone import localtime

    from quartier.indicators.models import ImportBatch

    for batch in ImportBatch.objects.order_by("id"):
        created = localtime(batch.created_at)  # stored in UTC
        print(
            f"{batch.pk:>5}  {created:%Y-%m-%d %H:%M %Z}  {batch.get_status_display():<15} "
            f"{batch.rows_inserted:>9} neu  {batch.rows_replaced:>7} ersetzt  {batch.source_name}"
        )
    return 0


def cmd_rollback(args) -> int:
    """Roll back one import batch; optionally remove the indicators it created, now empty.

    With ``--remove-empty-indicators`` on a batch rolled back before, only the removal runs.
    """
    setup()
    from django.db import transaction

    from quartier.indicators.batches import rollback
    from quartier.indicators.emptied import removable_indicators, remove_empty_indicators
    from quartier.indicators.models import ImportBatch

    batch = ImportBatch.objects.filter(pk=args.batch).first()
    if batch is None:
        raise QuartierError(f"Importlauf {args.batch} gibt es nicht. / No such batch.")
    again = batch.status == ImportBatch.Status.ROLLED_BACK and args.remove_empty_indicators
    with transaction.atomic():
        removed = None if again else rollback(batch)
        gone = remove_empty_indicators(batch) if args.remove_empty_indicators else []
    if removed is not None:
        print(f"Importlauf {batch.pk} zurückgenommen: {removed} Werte entfernt.")
    for indicator in gone:
        print(f"Leeren Indikator {indicator.key} ({indicator.name}) gelöscht.")
    left = [] if args.remove_empty_indicators else removable_indicators(batch)
    if left:
        print(
            "Diese vom Importlauf angelegten Indikatoren sind jetzt leer: "
            f"{', '.join(i.key for i in left)}. Löschen mit: "
            f"quartier rollback {batch.pk} --remove-empty-indicators"
        )
    return 0


def _workers(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("mindestens 1 / at least 1")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``quartier`` command."""
    parser = argparse.ArgumentParser(
        prog="quartier",
        description="Quartier – Datenplattform für die integrierte Sozialplanung.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="BEFEHL")

    def add_server_args(p, port=8000):
        p.add_argument("--host", default="127.0.0.1", help="Adresse (Standard: 127.0.0.1)")
        p.add_argument("--port", type=int, default=port, help="Port (Standard: 8000)")
        p.add_argument(
            "--workers",
            type=_workers,
            default=None,
            help="Anzahl Prozesse (Standard: einer je Prozessorkern; 1 = waitress)",
        )

    demo = sub.add_parser("demo", help="Musterstadt erzeugen und starten")
    demo.add_argument("--no-serve", action="store_true", help="nur aufbauen, nicht starten")
    demo.add_argument("--seed", type=int, default=2024, help="Zufallsstartwert (Standard: 2024)")
    demo.add_argument("--small", action="store_true", help="kleine Musterstadt (für Tests)")
    demo.add_argument(
        "--kreis",
        action="store_true",
        help="Musterkreis: ein Kreis mit Gemeinden, deren Daten auf verschiedenen Ebenen liegen",
    )
    demo.add_argument("--reset", action="store_true", help="vorhandene SQLite-Datenbank löschen")
    add_server_args(demo)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="Server starten")
    add_server_args(serve)
    serve.add_argument("--threads", type=int, default=8, help="Anzahl Threads (Standard: 8)")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="Datenbank anlegen/aktualisieren").set_defaults(func=cmd_migrate)

    admin = sub.add_parser("createadmin", help="Administrationskonto anlegen")
    admin.add_argument("--username", default="admin")
    admin.add_argument("--email", default="")
    admin.set_defaults(func=cmd_createadmin)

    sub.add_parser("batches", help="Importläufe auflisten").set_defaults(func=cmd_batches)
    rb = sub.add_parser("rollback", help="Importlauf zurücknehmen")
    rb.add_argument("batch", type=int, help="Nummer des Importlaufs")
    rb.add_argument(
        "--remove-empty-indicators",
        action="store_true",
        help="vom Lauf angelegte Indikatoren löschen, die danach leer sind",
    )
    rb.set_defaults(func=cmd_rollback)

    from quartier.cli_analysis import add_parsers as add_analysis
    from quartier.cli_disclosure import add_parsers as add_disclosure
    from quartier.cli_export import add_parsers as add_export
    from quartier.cli_import import add_parsers
    from quartier.cli_reports import add_parsers as add_reports
    from quartier.cli_tokens import add_parsers as add_tokens

    add_parsers(sub)
    add_analysis(sub)
    add_export(sub)
    add_reports(sub)
    add_tokens(sub)
    add_disclosure(sub)
    from quartier.cli_worker import add_parsers as add_worker

    add_worker(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``quartier`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except QuartierError as exc:
        print(f"Fehler: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        from quartier.files import disk_full_error

        error = disk_full_error(exc)  # a full disk is the operator's to fix: no traceback
        if error is None:
            raise
        print(f"Fehler: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("\nBeendet.", file=sys.stderr)
        return 0
