"""``quartier analyse …``: run analyses without the browser (e.g. after a nightly import).

One sub-command per method of the registry (:mod:`quartier.analysis.registry`), with the
method's form fields as options, plus ``rerun``. Every method also takes
``--definition FILE``: the JSON a result page offers.
"""

from __future__ import annotations

from datetime import date


def add_parsers(sub) -> None:
    """Register ``quartier analyse METHOD …`` for every registered method, and ``rerun``."""
    from quartier.analysis import registry

    analyse = sub.add_parser("analyse", help="Analysen berechnen")
    kinds = analyse.add_subparsers(dest="analysis_kind", required=True, metavar="VERFAHREN")
    for method in registry.methods():
        parser = kinds.add_parser(method.key, help=method.cli_help or method.label)
        parser.add_argument("--level", help="Raumebene, z. B. planungsraum")
        if method.periodic:
            parser.add_argument("--period", type=date.fromisoformat, help="Stichtag JJJJ-MM-TT")
        parser.add_argument("--name", help="Name der Analyse")
        parser.add_argument(
            "--definition", help="JSON-Datei mit der Definition, z. B. von der Ergebnisseite"
        )
        for field in method.fields:
            if field.cli == "-":
                continue
            many = {"nargs": "+"} if field.kind == "indicators" else {}
            parser.add_argument(field.option, dest=field.dest, help=field.label, **many)
        _values_option(parser)
        parser.set_defaults(func=cmd_run, method=method.key)

    rerun = kinds.add_parser(
        "rerun",
        help="Gespeicherte Analyse für einen Stichtag neu berechnen "
        "(mit denselben geschützten oder ungeschützten Werten wie zuvor)",
    )
    rerun.add_argument("analysis", type=int, help="Nummer der Analyse")
    rerun.add_argument("--period", type=date.fromisoformat, help="Stichtag JJJJ-MM-TT")
    rerun.set_defaults(func=cmd_rerun)


def _values_option(parser) -> None:
    parser.add_argument(
        "--unprotected",
        action="store_true",
        help="mit ungeschützten Werten rechnen: das Ergebnis bleibt vertraulich (nur für "
        "Administration und die Datenverantwortlichen der Eingangswerte). Standard: geschützte "
        "Werte, das Ergebnis kann veröffentlicht werden",
    )


def _document(path: str) -> dict:
    import json
    from pathlib import Path

    from quartier.errors import QuartierError

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QuartierError(f"Die Definition ist nicht lesbar: {exc}") from None
    if not isinstance(document, dict):
        raise QuartierError("Die Definition muss ein JSON-Objekt sein.")
    return document


def cmd_run(args) -> int:
    """Run one method as the command-line account (an administrator that cannot log in)."""
    from quartier.analysis import progress, registry
    from quartier.errors import QuartierError
    from quartier.imports.progress import console

    method = registry.get(args.method)
    document = _document(args.definition) if args.definition else None
    if document is not None:
        try:
            spec = method.spec_of(document)
        except (KeyError, TypeError, AttributeError):
            raise QuartierError(
                f"Die Definition passt nicht zum Verfahren „{method.key}“."
            ) from None
    else:
        given = {f.name: getattr(args, f.dest, None) for f in method.fields if f.cli != "-"}
        if method.custom_form is not None or not method.fields:
            raise QuartierError("Bitte --definition angeben (JSON von der Ergebnisseite).")
        spec = method.parse_form({k: v for k, v in given.items() if v is not None})
    level = args.level or (document or {}).get("level")
    period = getattr(args, "period", None)
    if not level or (method.periodic and not period):
        raise QuartierError(
            "Bitte --level und --period angeben." if method.periodic else "Bitte --level angeben."
        )
    name = args.name or (document or {}).get("name") or method.key.upper()
    from quartier.cli import setup

    setup()
    user = command_line_user()
    with progress.reporting(console):  # the lines the job page shows as its bar
        analysis = method.run(user, name, level, period, spec, unprotected=args.unprotected)
    _report(analysis)
    return 0


def cmd_rerun(args) -> int:
    """Run a stored analysis again, typically for a new period after the yearly import."""
    from quartier.cli import setup
    from quartier.errors import QuartierError

    setup()
    from quartier.analysis import progress, registry
    from quartier.analysis.models import Analysis
    from quartier.imports.progress import console

    analysis = Analysis.objects.filter(pk=args.analysis).first()
    if analysis is None:
        raise QuartierError(f"Analyse {args.analysis} gibt es nicht. / No such analysis.")
    if analysis.period and not args.period:
        raise QuartierError("Bitte --period angeben.")
    with progress.reporting(console):
        analysis = registry.rerun(command_line_user(), analysis, args.period)
    _report(analysis)
    return 0


def _report(analysis) -> None:
    counts = analysis.result.get("counts") or {}
    print(
        f"Analyse {analysis.pk} „{analysis.name}“"
        + (": " + ", ".join(f"{code}: {n}" for code, n in counts.items()) if counts else "")
    )
    if analysis.confidential:
        print("Vertraulich: aus ungeschützten Werten berechnet (nicht veröffentlichbar).")
    else:
        secret = (analysis.result.get("secret") or {}).get("areas", 0)
        print(f"Geschützte Werte: {secret} Gebiete ohne Ergebnis, weil Werte geheim sind.")
    outputs = [i.key for i in analysis.outputs.all()]
    if outputs:
        print("Erzeugte Indikatoren: " + ", ".join(outputs))


def command_line_user():
    """The account the command line acts as: administrator rights, no password, no login."""
    from quartier.access.models import Role, User
    from quartier.analysis.models import COMMAND_LINE_USERNAME

    user, created = User.objects.get_or_create(
        username=COMMAND_LINE_USERNAME, defaults={"role": Role.ADMIN, "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
