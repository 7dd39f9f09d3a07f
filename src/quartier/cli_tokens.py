"""``quartier token``: personal access tokens for unattended scripts (create, list, revoke)."""

from __future__ import annotations

from quartier.cli_users import active_user as _user
from quartier.errors import QuartierError


def cmd_create(args) -> int:
    """Create a token and print its secret once."""
    from quartier.cli import setup

    setup()
    from quartier.access.tokens import create_token

    token, secret = create_token(_user(args.user), args.name)
    print(f"Zugangsschlüssel {token.pk} „{token.name}“ für {token.user.username}:")
    print(secret)
    print("Nur jetzt sichtbar – bitte sicher aufbewahren. / Shown once; store it safely.")
    return 0


def cmd_list(args) -> int:
    """List tokens (of one user, or all), never their secrets."""
    from quartier.cli import setup

    setup()
    from django.utils.timezone import localtime

    from quartier.access.models import ApiToken

    tokens = ApiToken.objects.select_related("user").order_by("id")
    if args.user:
        tokens = tokens.filter(user__username=args.user)
    for t in tokens:
        # Stored in UTC; shown at local time with its abbreviation, like `quartier batches`.
        state = f"widerrufen {localtime(t.revoked_at):%Y-%m-%d}" if t.revoked_at else "aktiv"
        used = f"{localtime(t.last_used_at):%Y-%m-%d %H:%M %Z}" if t.last_used_at else "–"
        print(f"{t.pk:>5}  {t.user.username:<15} {t.prefix}…  {state:<22} zuletzt {used}  {t.name}")
    return 0


def cmd_revoke(args) -> int:
    """Revoke one token."""
    from quartier.cli import setup

    setup()
    from quartier.access.models import ApiToken
    from quartier.access.tokens import revoke_token

    token = ApiToken.objects.select_related("user").filter(pk=args.id).first()
    if token is None:
        raise QuartierError(f"Zugangsschlüssel {args.id} gibt es nicht. / No such token.")
    revoke_token(token)
    print(f"Zugangsschlüssel {token.pk} „{token.name}“ widerrufen.")
    return 0


def add_parsers(sub) -> None:
    """Register ``quartier token create|list|revoke``."""
    token = sub.add_parser("token", help="Zugangsschlüssel für Skripte und GIS verwalten")
    actions = token.add_subparsers(dest="action", required=True, metavar="AKTION")
    create = actions.add_parser("create", help="Zugangsschlüssel erstellen (einmal angezeigt)")
    create.add_argument("user", help="Benutzername")
    create.add_argument("name", help="Bezeichnung, z. B. „Nachtlauf Jugendamt“")
    create.set_defaults(func=cmd_create)
    listing = actions.add_parser("list", help="Zugangsschlüssel auflisten")
    listing.add_argument("--user", help="nur die dieses Kontos")
    listing.set_defaults(func=cmd_list)
    revoke = actions.add_parser("revoke", help="Zugangsschlüssel widerrufen")
    revoke.add_argument("id", type=int, help="Nummer des Zugangsschlüssels")
    revoke.set_defaults(func=cmd_revoke)
