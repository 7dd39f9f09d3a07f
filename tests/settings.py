"""Settings for the test suite: the normal settings with a throwaway data directory.

Set QUARTIER_DATABASE_URL to run the whole suite against PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("QUARTIER_SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("QUARTIER_DATA_DIR", tempfile.mkdtemp(prefix="quartier-tests-"))

from quartier.settings import *  # noqa: E402,F403

# Fast hashing: tests create many accounts; production keeps Django's defaults.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
