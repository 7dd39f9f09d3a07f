"""``quartier geheimhaltung pruefen``: attack the published values as an audience would."""

from __future__ import annotations

from quartier.errors import QuartierError


def _audience(username: str | None):
    """The account whose view is attacked (None: the public portal)."""
    from django.contrib.auth.models import AnonymousUser

    from quartier.access.models import User

    if not username:
        return AnonymousUser()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise QuartierError(f"Kein Konto „{username}“. / No such user.")
    return user


def cmd_check(args) -> int:
    """Run the LP attacker; exit 1 if some hidden value can be narrowed too far."""
    from quartier.cli import setup

    setup()
    from quartier.api.params import parse_date
    from quartier.cli_analysis import command_line_user
    from quartier.indicators.disclosure_check import check

    split = lambda text: [part.strip() for part in (text or "").split(",") if part.strip()]  # noqa: E731
    keys = split(args.indicator) or None
    periods = None if args.period in (None, "all") else [parse_date(p) for p in split(args.period)]
    audience = _audience(args.as_user)
    report = check(audience, command_line_user(), keys, periods)
    who = f"„{args.as_user}“" if args.as_user else "die Öffentlichkeit"
    for f in report.findings:
        print(
            f"{f.period:%d.%m.%Y}  {f.indicator:<24} {f.level:<12} {f.code:<12} "
            f"Wert {f.value:g}: eingrenzbar auf {f.low:g} … {f.high:g}  ({f.rule})"
        )
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    print(
        f"Geprüft für {who}: {report.cells:,} geheime Werte mit Schutzanspruch in ".replace(
            ",", "."
        )
        + f"{report.tables} Tabellen ({seconds} s). "
        + (
            f"{len(report.findings)} zu eng eingrenzbar."
            if report.findings
            else "Keiner ist zu eng eingrenzbar."
        )
    )
    return 1 if report.findings else 0


def add_parsers(sub) -> None:
    """Register ``quartier geheimhaltung pruefen``."""
    secrecy = sub.add_parser("geheimhaltung", help="Geheimhaltung prüfen")
    actions = secrecy.add_subparsers(dest="action", required=True, metavar="AKTION")
    check = actions.add_parser(
        "pruefen",
        help="Angriff mit linearer Optimierung auf alles, was eine Zielgruppe sieht",
        description="Berechnet für jeden geheimen Wert, wie weit ihn jemand mit allem "
        "eingrenzen kann, was die Zielgruppe sieht (alle Ebenen, Summen, Nullen, keine "
        "negativen Zahlen), und listet Werte, deren Spanne zu eng ist. Exit-Code 1, wenn "
        "es solche gibt.",
    )
    check.add_argument("--indicator", help="Indikator-Kürzel, mit Komma getrennt (Standard: alle)")
    check.add_argument("--period", help="Stichtage, mit Komma getrennt, oder all (Standard)")
    check.add_argument(
        "--as-user", help="aus Sicht dieses Kontos (Standard: öffentlich, ohne Anmeldung)"
    )
    check.set_defaults(func=cmd_check)
