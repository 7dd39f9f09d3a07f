"""Django settings, derived entirely from :mod:`quartier.config`."""

from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from quartier.config import database_settings, load_config, load_or_create_secret_key

CONFIG = load_config()


def _leaflet_dir() -> str:
    import xstatic.pkg.leaflet

    return xstatic.pkg.leaflet.BASE_DIR


PACKAGE_DIR = Path(__file__).resolve().parent

SECRET_KEY = load_or_create_secret_key(CONFIG)
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "quartier.access",
    "quartier.spatial",
    "quartier.indicators",
    "quartier.explorer",
    "quartier.imports",
    "quartier.analysis",
    "quartier.exports",
    "quartier.reports",
    "quartier.ogc",
    "quartier.api",
    "quartier.participation",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Pages and JSON compressed for GET/HEAD (quartier.compression: why this is safe).
    "quartier.compression.GZipMiddleware",
    "quartier.access.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "quartier.access.middleware.TokenAuthenticationMiddleware",
    "quartier.access.caching.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "quartier.access.middleware.RequestContextMiddleware",
    "quartier.access.middleware.LoginRequiredMiddleware",
    "quartier.access.middleware.RefuseNulMiddleware",
    "quartier.access.middleware.QuartierErrorMiddleware",
    # Last, as django-axes asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling first
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "quartier/locked.html"
AXES_VERBOSE = False
# The same client address as the audit log: REMOTE_ADDR, which the server sets from the
# trusted proxy only. Never django-ipware's header guessing, even if it gets installed.
AXES_CLIENT_IP_CALLABLE = "quartier.access.audit.client_ip"
# Failed access tokens (API, OGC API, export files) per client address; counted in the
# audit log, i.e. the database, which every server process shares.
QUARTIER_TOKEN_FAILURE_LIMIT = 10
QUARTIER_TOKEN_FAILURE_WINDOW = timedelta(minutes=15)

ROOT_URLCONF = "quartier.urls"
WSGI_APPLICATION = "quartier.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "quartier.explorer.context.site",
            ],
        },
    },
]

DATABASES = {"default": database_settings(CONFIG.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "access.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# German first; English through gettext catalogues in quartier/locale.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Berlin"
USE_TZ = True

STATIC_URL = "/static/"
# Front-end libraries come from Python packages, never from a CDN.
STATICFILES_DIRS = [("vendor/leaflet", _leaflet_dir())]
# Collected with hashed names and .gz/.br copies by migrate, demo and serve when the
# sources changed (quartier.staticfiles); WhiteNoise serves them with a far-future
# Cache-Control. With QUARTIER_DEBUG, files come straight from the packages instead.
STATIC_ROOT = CONFIG.data_dir / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "quartier.staticfiles.Storage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

# Conservative defaults; issue #6 tightens them further (CSP, throttling).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day; then sign in again
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CONFIG.https
CSRF_COOKIE_SECURE = CONFIG.https
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = 31536000 if CONFIG.https else 0
SECURE_SSL_REDIRECT = False  # the TLS proxy in front redirects
# Behind a reverse proxy, `quartier serve` (server.behind_proxy) sets the scheme, host and
# client address from the trusted proxy's headers and drops them from anyone else; Django
# reads wsgi.url_scheme and REMOTE_ADDR only (no SECURE_PROXY_SSL_HEADER, no
# USE_X_FORWARDED_HOST), so that no request can claim https or an address by a header.
X_FRAME_OPTIONS = "DENY"

# The REST API (/api/v1/): read-only JSON; the caller is whoever the middleware
# found (session or personal token), and visibility is decided in the read layer.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["quartier.api.auth.MiddlewareAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "quartier.api.errors.handle",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Quartier API",
    "DESCRIPTION": (
        "Kleinräumige Daten der integrierten Sozialplanung: Raumebenen, Gebiete, Indikatoren,"
        " Werte, Steckbriefe, Analysen und Exporte. Es gelten dieselben Rechte und dieselbe"
        " Geheimhaltung wie in der Oberfläche; ohne Anmeldung nur öffentliche Indikatoren."
        " Zugangsschlüssel unter /schnittstellen/."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package: no CDN, and the split view has no inline script.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVERS": [{"url": "/"}],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

QUARTIER = CONFIG
QUARTIER_PROFILE_CACHE_MB = CONFIG.profile_cache_mb
