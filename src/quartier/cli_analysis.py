"""``quartier analyse …``: run analyses without the browser (e.g. after a nightly import)."""

from __future__ import annotations

from datetime import date


def add_parsers(sub) -> None:
    """Register ``quartier analyse mss|index|rerun``."""
    analyse = sub.add_parser("analyse", help="Analysen berechnen")
    kinds = analyse.add_subparsers(dest="analysis_kind", required=True, metavar="VERFAHREN")
    mss = kinds.add_parser("mss", help="Status/Dynamik-Index nach dem Berliner MSS-Verfahren")
    mss.add_argument("--level", required=True, help="Raumebene, z. B. planungsraum")
    mss.add_argument("--period", required=True, type=date.fromisoformat, help="Stichtag JJJJ-MM-TT")
    mss.add_argument("--name", default="MSS", help="Name der Analyse")
    for field in ("s1", "s3", "s4"):
        mss.add_argument(f"--{field}", required=True, help=f"Indikator für {field.upper()}")
    for field in ("d1", "d3", "d4"):
        mss.add_argument(f"--{field}", help=f"Indikator für {field.upper()}")
    mss.add_argument(
        "--change-years",
        type=int,
        default=0,
        metavar="N",
        help="Dynamik als Veränderung von S1, S3, S4 über N Jahre berechnen (statt D1, D3, D4)",
    )
    _values_option(mss)
    mss.set_defaults(func=cmd_mss)

    index = kinds.add_parser("index", help="Zusammengesetzter Index aus einer Definition (JSON)")
    index.add_argument(
        "--definition", required=True, help="JSON-Datei, z. B. von der Ergebnisseite"
    )
    index.add_argument("--level", help="Raumebene (Standard: aus der Definition)")
    index.add_argument("--period", type=date.fromisoformat, help="Stichtag JJJJ-MM-TT")
    index.add_argument("--name", help="Name der Analyse (Standard: aus der Definition)")
    _values_option(index)
    index.set_defaults(func=cmd_index)

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


def cmd_mss(args) -> int:
    """Compute the MSS indices as the command-line account (an administrator that cannot log in)."""
    from quartier.cli import setup

    setup()
    from quartier.analysis.runs import run_mss

    keys = {f: getattr(args, f) or "" for f in ("s1", "s3", "s4", "d1", "d3", "d4")}
    if args.change_years:
        keys["d_years"] = args.change_years
    user = command_line_user()
    _report(run_mss(user, args.name, args.level, args.period, keys, unprotected=args.unprotected))
    return 0


def cmd_index(args) -> int:
    """Compute a composite index from a definition file (the JSON the result page offers)."""
    import json
    from pathlib import Path

    from quartier.cli import setup
    from quartier.errors import QuartierError

    try:
        document = json.loads(Path(args.definition).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QuartierError(f"Die Definition ist nicht lesbar: {exc}") from None
    # The result page's download wraps the index in {"spec": …}; a bare spec works too.
    spec = document.get("spec", document) if isinstance(document, dict) else None
    level = args.level or (document.get("level") if isinstance(document, dict) else None)
    if not isinstance(spec, dict) or not level or not args.period:
        raise QuartierError(
            "Bitte eine Indexdefinition (JSON-Objekt), --level und --period angeben."
        )
    name = args.name or document.get("name") or "Index"
    setup()
    from quartier.analysis.runs import run_index

    user = command_line_user()
    _report(run_index(user, name, level, args.period, spec, unprotected=args.unprotected))
    return 0


def cmd_rerun(args) -> int:
    """Run a stored analysis again, typically for a new period after the yearly import."""
    from quartier.cli import setup
    from quartier.errors import QuartierError

    setup()
    from quartier.analysis.models import Analysis
    from quartier.analysis.runs import rerun

    analysis = Analysis.objects.filter(pk=args.analysis).first()
    if analysis is None:
        raise QuartierError(f"Analyse {args.analysis} gibt es nicht. / No such analysis.")
    if analysis.period and not args.period:
        raise QuartierError("Bitte --period angeben.")
    _report(rerun(command_line_user(), analysis, args.period))
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

    user, created = User.objects.get_or_create(
        username="kommandozeile", defaults={"role": Role.ADMIN, "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
