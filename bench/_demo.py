"""Shared helpers for bench scripts: a data directory with Musterstadt built in it, Django on it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def demo_data_dir() -> Path:
    """QUARTIER_DATA_DIR if it holds a database, else a fresh temporary Musterstadt."""
    given = os.environ.get("QUARTIER_DATA_DIR")
    if given and (Path(given) / "quartier.sqlite3").exists():
        return Path(given)
    path = Path(tempfile.mkdtemp(prefix="quartier-bench-"))
    env = {**os.environ, "QUARTIER_DATA_DIR": str(path)}
    env.pop("QUARTIER_DATABASE_URL", None)
    print(f"building Musterstadt in {path} …", flush=True)
    subprocess.run(
        [sys.executable, "-m", "quartier", "demo", "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
    )
    return path


def use_demo() -> Path:
    """Point Quartier at the demo data directory (SQLite); returns the directory."""
    path = demo_data_dir()
    os.environ["QUARTIER_DATA_DIR"] = str(path)
    os.environ.pop("QUARTIER_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quartier.settings")
    return path


def setup_django() -> None:
    """Start Django on the demo data directory."""
    use_demo()
    import django

    django.setup()
