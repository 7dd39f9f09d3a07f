"""Settings for the test suite: the normal settings with a throwaway data directory.

Set QUARTIER_DATABASE_URL to run the whole suite against PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("QUARTIER_SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("QUARTIER_DATA_DIR", tempfile.mkdtemp(prefix="quartier-tests-"))

from quartier.settings import *  # noqa: E402,F403

# Fast hashing: tests create many accounts; production keeps Django's defaults.
# The production hasher stays second, to verify the accounts of an installation built
# with the production settings (tests/clitools.py: small_demo).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Browser tests run the app in a server thread: it needs its own connections to a
# database file (an in-memory SQLite database exists per connection only), and
# connections must close after each request so the test database can be dropped.
if "sqlite" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["QUARTIER_DATA_DIR"], "test.sqlite3")
    }
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# The test client needs imports to finish within the request.
QUARTIER_IMPORTS_IN_BACKGROUND = False

# The suite reads static files straight from the packages (no collectstatic per test
# run), and so do the servers it starts with these settings. tests/test_staticfiles.py
# starts one with quartier.settings: hashed, compressed copies.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
