"""The one place where Quartier reads its configuration from the environment.

Every setting is an environment variable prefixed ``QUARTIER_``. Reading the
configuration is cheap and has no side effects; creating the data directory and
the secret key happens only when a command asks for it (:func:`ensure_data_dir`,
:func:`load_or_create_secret_key`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from quartier.errors import QuartierError

PREFIX = "QUARTIER_"
DEFAULT_DATA_DIR = "quartier-data"
SQLITE_FILE = "quartier.sqlite3"
SECRET_KEY_FILE = "secret_key"
SUPPORTED_SCHEMES = ("sqlite", "postgres", "postgresql")
_TRUE = {"1", "true", "yes", "on", "ja"}


@dataclass(frozen=True)
class Config:
    """Typed view of all ``QUARTIER_*`` environment variables."""

    data_dir: Path
    database_url: str
    debug: bool = False
    secret_key: str | None = None
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
    https: bool = False
    municipality: str = "Musterstadt"
    basemap_url: str = ""
    basemap_attribution: str = ""
    max_upload_mb: int = 200
    login_required: bool = False
    trust_proxy: bool = False
    logo: str = ""
    imprint: str = ""
    privacy: str = ""

    @property
    def uses_sqlite(self) -> bool:
        """True when the database is a SQLite file."""
        return urlsplit(self.database_url).scheme == "sqlite"


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
        municipality=env.get(PREFIX + "MUNICIPALITY") or "Musterstadt",
        basemap_url=env.get(PREFIX + "BASEMAP_URL") or "",
        basemap_attribution=env.get(PREFIX + "BASEMAP_ATTRIBUTION") or "",
        max_upload_mb=_int(env.get(PREFIX + "MAX_UPLOAD_MB"), 200, "QUARTIER_MAX_UPLOAD_MB"),
        login_required=_flag(env.get(PREFIX + "LOGIN_REQUIRED")),
        trust_proxy=_flag(env.get(PREFIX + "TRUST_PROXY")),
        logo=env.get(PREFIX + "LOGO") or "",
        imprint=env.get(PREFIX + "IMPRINT") or "",
        privacy=env.get(PREFIX + "PRIVACY") or "",
    )


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
        # Persistent PostgreSQL connections are checked before a request uses them, so
        # connections ended by a database restart or outage are replaced, not failed on.
        settings = dj_database_url.parse(
            url,
            conn_max_age=0 if scheme == "sqlite" else 60,
            conn_health_checks=scheme != "sqlite",
        )
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
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise QuartierError(
            f"Das Datenverzeichnis {path} ist nicht beschreibbar ({exc.strerror or exc}). "
            "Setzen Sie QUARTIER_DATA_DIR auf ein Verzeichnis mit Schreibrecht. "
            f"/ Data directory {path} is not writable: set QUARTIER_DATA_DIR."
        ) from exc
    return path


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
        config.data_dir.mkdir(parents=True, exist_ok=True)
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
