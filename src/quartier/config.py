"""The one place where Quartier reads its configuration from the environment.

Every setting is an environment variable prefixed ``QUARTIER_``. Reading the
configuration is cheap and has no side effects; creating the data directory and
the secret key happens only when a command asks for it (:func:`ensure_data_dir`,
:func:`load_or_create_secret_key`).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from quartier.errors import QuartierError
from quartier.files import make_private, private_dir, write_private

PREFIX = "QUARTIER_"
DEFAULT_DATA_DIR = "quartier-data"
SQLITE_FILE = "quartier.sqlite3"
SECRET_KEY_FILE = "secret_key"
SUPPORTED_SCHEMES = ("sqlite", "postgres", "postgresql")
_TRUE = {"1", "true", "yes", "on", "ja"}
# QUARTIER_TRUST_PROXY=1 without addresses: a proxy on the same machine (nginx, Apache, Caddy).
LOOPBACK_PROXIES = ("127.0.0.1", "::1")
# The headers nginx and Apache set when configured as the README shows.
DEFAULT_PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto")
KNOWN_PROXY_HEADERS = {
    "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
    "x-forwarded-port", "x-forwarded-by",
}  # fmt: skip


@dataclass(frozen=True)
class Config:
    """Typed view of all ``QUARTIER_*`` environment variables."""

    data_dir: Path
    database_url: str
    debug: bool = False
    secret_key: str | None = None
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
    https: bool = False
    # Empty: the root territory's name (a Kreis), else "Musterstadt" (access.territories).
    municipality: str = ""
    basemap_url: str = ""
    basemap_attribution: str = ""
    max_upload_mb: int = 200
    login_required: bool = False
    trusted_proxies: tuple[str, ...] = ()
    trusted_proxy_count: int = 1
    trusted_proxy_headers: tuple[str, ...] = DEFAULT_PROXY_HEADERS
    logo: str = ""
    # The map's headline indicator and level when its address names none (explorer.mapdata).
    map_indicator: str = "kinderarmut"
    map_level: str = ""
    imprint: str = ""
    privacy: str = ""
    max_request_values: int = 1_000_000  # work one web request may ask for (quartier.cost)
    heavy_requests: int = 2  # heavy web requests computing at once (quartier.cost)
    profile_cache_mb: int = 16  # public profile pages kept per process (explorer.profilecache)
    start_worker: bool = True  # serve/demo start an import worker (quartier.imports.supervise)
    warm_up: bool = True  # servers compile analysis code when idle (quartier.warmup)
    max_import_rows: int = 1_000_000  # longest table an import reads (quartier.imports.tables)
    mss_indicators: tuple[tuple[str, str], ...] = ()  # MSS form preset (quartier.analysis.pages)

    @property
    def uses_sqlite(self) -> bool:
        """True when the database is a SQLite file."""
        return urlsplit(self.database_url).scheme == "sqlite"

    @property
    def trust_proxy(self) -> bool:
        """True when requests from some address may name the client (behind a reverse proxy)."""
        return bool(self.trusted_proxies)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def _int(value: str | None, default: int, name: str) -> int:
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise QuartierError(
            f"{name} muss eine ganze Zahl sein. / {name} must be an integer."
        ) from None


def load_config(environ: dict[str, str] | None = None) -> Config:
    """Read the configuration from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get(PREFIX + "DATA_DIR") or DEFAULT_DATA_DIR).expanduser().resolve()
    database_url = env.get(PREFIX + "DATABASE_URL") or f"sqlite:///{data_dir / SQLITE_FILE}"
    hosts = env.get(PREFIX + "ALLOWED_HOSTS")
    return Config(
        data_dir=data_dir,
        database_url=database_url,
        debug=_flag(env.get(PREFIX + "DEBUG")),
        secret_key=env.get(PREFIX + "SECRET_KEY") or None,
        allowed_hosts=tuple(h.strip() for h in hosts.split(",") if h.strip())
        if hosts
        else Config.allowed_hosts,
        https=_flag(env.get(PREFIX + "HTTPS")),
        municipality=env.get(PREFIX + "MUNICIPALITY") or "",
        basemap_url=env.get(PREFIX + "BASEMAP_URL") or "",
        basemap_attribution=env.get(PREFIX + "BASEMAP_ATTRIBUTION") or "",
        max_upload_mb=_int(env.get(PREFIX + "MAX_UPLOAD_MB"), 200, "QUARTIER_MAX_UPLOAD_MB"),
        login_required=_flag(env.get(PREFIX + "LOGIN_REQUIRED")),
        **_proxy_settings(env),
        logo=env.get(PREFIX + "LOGO") or "",
        map_indicator=(env.get(PREFIX + "MAP_INDICATOR") or Config.map_indicator).strip(),
        map_level=(env.get(PREFIX + "MAP_LEVEL") or "").strip(),
        imprint=env.get(PREFIX + "IMPRINT") or "",
        privacy=env.get(PREFIX + "PRIVACY") or "",
        max_request_values=_positive(env, "MAX_REQUEST_VALUES", Config.max_request_values),
        heavy_requests=_positive(env, "HEAVY_REQUESTS", Config.heavy_requests),
        profile_cache_mb=max(
            0, _int(env.get(PREFIX + "PROFILE_CACHE_MB"), 16, PREFIX + "PROFILE_CACHE_MB")
        ),
        start_worker=_flag(env.get(PREFIX + "START_WORKER") or "1"),
        warm_up=_flag(env.get(PREFIX + "WARM_UP") or "1"),
        max_import_rows=_positive(env, "MAX_IMPORT_ROWS", Config.max_import_rows),
        mss_indicators=_mss_indicators(env.get(PREFIX + "MSS_INDICATORS")),
    )


MSS_ROLES = ("s1", "s3", "s4", "d1", "d3", "d4", "residents")


def _mss_indicators(value: str | None) -> tuple[tuple[str, str], ...]:
    """``s1=key,s3=key,…,residents=key``: the indicators the MSS form preselects."""
    pairs = []
    for part in _list(value):
        role, _sep, key = part.partition("=")
        role, key = role.strip().lower(), key.strip()
        if role not in MSS_ROLES or not key:
            raise QuartierError(
                f"QUARTIER_MSS_INDICATORS: „{part}“ – erwartet Rolle=Indikator, Rollen "
                f"{', '.join(MSS_ROLES)}. / Expected role=indicator key."
            )
        pairs.append((role, key))
    return tuple(pairs)


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _proxy_settings(env) -> dict:
    """The reverse proxy's addresses, how many proxies are chained, which headers they set.

    ``QUARTIER_TRUSTED_PROXY`` names addresses or networks; ``QUARTIER_TRUST_PROXY=1``
    alone trusts a proxy on the same machine (loopback). Requests from any other
    address never get to name the client, the scheme or the host.
    """
    proxies = _list(env.get(PREFIX + "TRUSTED_PROXY"))
    if not proxies and _flag(env.get(PREFIX + "TRUST_PROXY")):
        proxies = LOOPBACK_PROXIES
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise QuartierError(
                f"QUARTIER_TRUSTED_PROXY: „{proxy}“ ist keine IP-Adresse und kein Netz "
                "(z. B. 127.0.0.1 oder 10.0.0.0/24). / Not an IP address or network."
            ) from None
    count = _positive(env, "TRUSTED_PROXY_COUNT", 1)
    headers = tuple(h.lower() for h in _list(env.get(PREFIX + "TRUSTED_PROXY_HEADERS")))
    headers = headers or DEFAULT_PROXY_HEADERS
    unknown = set(headers) - KNOWN_PROXY_HEADERS
    if unknown or ("forwarded" in headers and len(headers) > 1):
        raise QuartierError(
            "QUARTIER_TRUSTED_PROXY_HEADERS: erlaubt sind „forwarded“ allein oder "
            "x-forwarded-for, x-forwarded-host, x-forwarded-proto, x-forwarded-port, "
            "x-forwarded-by. / Use forwarded alone, or x-forwarded-* headers."
        )
    return {
        "trusted_proxies": proxies,
        "trusted_proxy_count": count,
        "trusted_proxy_headers": headers,
    }


def _positive(env, name: str, default: int) -> int:
    """A whole number of at least 1 (a limit of 0 would refuse everything)."""
    value = _int(env.get(PREFIX + name), default, PREFIX + name)
    if value < 1:
        raise QuartierError(
            f"{PREFIX}{name} muss mindestens 1 sein. / {PREFIX}{name} must be at least 1."
        )
    return value


def database_settings(url: str) -> dict:
    """Translate ``QUARTIER_DATABASE_URL`` into Django's DATABASES entry.

    Raises :class:`QuartierError` with a one-line German/English message for URLs
    that name an unsupported database or cannot be parsed.
    """
    import dj_database_url  # small, but only needed here

    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_SCHEMES:
        raise QuartierError(
            f"QUARTIER_DATABASE_URL „{_redact(url)}“ wird nicht unterstützt – erwartet "
            "sqlite:///pfad/datei.sqlite3 oder postgresql://benutzer@host:5432/datenbank. "
            "/ Unsupported database URL: use sqlite:/// or postgresql://."
        )
    try:
        # Connections are kept for a minute by each server thread: opening a SQLite file
        # (schema, PRAGMAs, functions) per request cost about a sixth of the answers per
        # CPU second under bench/load.py (31 against 35-43, not back to back).
        # Kept connections are checked before a request uses them, so connections ended
        # by a database restart or outage (PostgreSQL) or to a file that was moved or
        # replaced (SQLite, quartier.sqlitebackend) are replaced, not failed on.
        settings = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise QuartierError(
            f"QUARTIER_DATABASE_URL „{_redact(url)}“ ist fehlerhaft ({exc}). "
            "/ The database URL cannot be parsed."
        ) from exc
    if scheme == "sqlite":
        if not settings.get("NAME") or settings["NAME"] == ":memory:":
            raise QuartierError(
                "QUARTIER_DATABASE_URL braucht einen Dateipfad, z. B. "
                "sqlite:////var/lib/quartier/q.sqlite3 / A SQLite URL needs a file path."
            )
        # WAL lets readers continue while an import writes; IMMEDIATE avoids
        # "database is locked" upgrades in write transactions.
        settings["ENGINE"] = "quartier.sqlitebackend"
        settings["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return settings


def _redact(url: str) -> str:
    """Hide a password in a database URL before it is printed."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def ensure_data_dir(config: Config) -> Path:
    """Create the data directory if needed and check that it is writable."""
    path = config.data_dir
    try:
        private_dir(path)
        probe = path / ".write-test"
        write_private(probe, b"ok")
        probe.unlink()
    except OSError as exc:
        raise QuartierError(
            f"Das Datenverzeichnis {path} ist nicht beschreibbar ({exc.strerror or exc}). "
            "Setzen Sie QUARTIER_DATA_DIR auf ein Verzeichnis mit Schreibrecht. "
            f"/ Data directory {path} is not writable: set QUARTIER_DATA_DIR."
        ) from exc
    return path


def ensure_private_database(config: Config) -> None:
    """Create the SQLite file with mode 0600 before SQLite does (it would follow the umask).

    SQLite gives its -wal and -shm files the mode of the database file, so they
    stay private too. A file left 0644 by an older version is tightened.
    """
    if not config.uses_sqlite:
        return
    name = Path(database_settings(config.database_url)["NAME"])
    try:
        private_dir(name.parent)
        if not name.exists():
            write_private(name, b"")  # SQLite treats an empty file as a new database
        for suffix in ("", "-wal", "-shm", "-journal"):
            make_private(name.with_name(name.name + suffix))
    except OSError as exc:
        raise QuartierError(
            f"Die Datenbankdatei {name} kann nicht angelegt werden ({exc.strerror or exc}). "
            "/ Cannot create the database file."
        ) from exc


def load_or_create_secret_key(config: Config) -> str:
    """Return the configured secret key, or the one stored in the data directory.

    On first use a random key is generated and written with mode 0600, so that
    sessions survive restarts and no secret ever lives in the repository.
    """
    if config.secret_key:
        return config.secret_key
    key_file = config.data_dir / SECRET_KEY_FILE
    try:
        if key_file.exists():
            return key_file.read_text(encoding="utf-8").strip()
        private_dir(config.data_dir)
        key = secrets.token_urlsafe(50)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key
    except OSError as exc:
        raise QuartierError(
            f"Der Schlüssel {key_file} kann nicht gelesen oder angelegt werden "
            f"({exc.strerror or exc}). Setzen Sie QUARTIER_DATA_DIR oder QUARTIER_SECRET_KEY. "
            "/ Cannot read or create the secret key file."
        ) from exc
