"""WSGI entry point (``quartier serve`` uses it through waitress)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quartier.settings")
application = get_wsgi_application()


def _on_start() -> None:
    """Clean up after a server process that was killed (every way of serving loads this)."""
    from quartier.imports.jobs import recover_on_start

    recover_on_start()


_on_start()
