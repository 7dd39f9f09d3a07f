"""Static files as served in production: hashed names, gzip and brotli, collected when changed.

``collect()`` copies every static file into ``<data dir>/static`` with a content
hash in its name (``map.3f2a….js``), also rewriting the ES-module imports inside
the JavaScript, and writes ``.gz`` and ``.br`` next to each (whitenoise). WhiteNoise
then serves the hashed files with a far-future, immutable ``Cache-Control``. It
runs only when a source file changed (a digest of names, sizes and times is kept
next to the copies), so ``quartier serve`` starts at once on an unchanged installation.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

BROTLI_QUALITY = 8  # 11, brotli's default, took 60 s of CPU for all files; 8 a few (measured)


class _Compressor(Compressor):
    """WhiteNoise's compressor with a brotli quality that keeps collectstatic short."""

    @staticmethod
    def compress_brotli(data):
        """Brotli at :data:`BROTLI_QUALITY` (still smaller than gzip)."""
        import brotli

        return brotli.compress(data, quality=BROTLI_QUALITY)


STAMP = ".sources"  # in STATIC_ROOT: the digest of the sources the copies were made from


class Storage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage, also for ``import … from "./x.js"``."""

    support_js_module_import_aggregation = True
    # A reference to a file no package ships (a source map of a vendored library) is kept
    # as it is instead of failing collectstatic.
    manifest_strict = False
    keep_only_hashed_files = True  # pages name hashed files only; half the compressing
    # Django's patterns for module imports, anchored at the start of a line: unanchored, the
    # word "export" in a comment ("// Map export as PNG …") up to the next `from "./x.js";`
    # passed for an export statement, and x.js was hashed twice (a 404 that stopped the map).
    _js_module_import_aggregation_patterns = (
        "*.js",
        (
            (
                r"""(?m)^(?P<matched>import(?s:(?P<import>[\s\{].*?|\*\s*as\s*\w+))"""
                r"""\s*from\s*['"](?P<url>[./].*?)["']\s*;)""",
                """import%(import)s from "%(url)s";""",
            ),
            (
                r"""(?m)^(?P<matched>export(?s:(?P<exports>[\s\{].*?))"""
                r"""\s*from\s*["'](?P<url>[./].*?)["']\s*;)""",
                """export%(exports)s from "%(url)s";""",
            ),
            (
                r"""(?m)^(?P<matched>import\s*['"](?P<url>[./].*?)["']\s*;)""",
                """import"%(url)s";""",
            ),
            (r"""(?P<matched>import\(["'](?P<url>.*?)["']\))""", """import("%(url)s")"""),
        ),
    )

    def create_compressor(self, **kwargs):
        """A compressor with :data:`BROTLI_QUALITY`."""
        return _Compressor(**kwargs)

    def hashed_name(self, name, content=None, filename=None):
        """The hashed name; a missing referenced file keeps its name (see manifest_strict)."""
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            return name


def sources_digest() -> str:
    """A digest of every static source file's name, size and modification time.

    This module is part of it: a change of how files are collected collects them again.
    """
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda item: item[0]):
            stat = Path(storage.path(path)).stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_if_changed() -> float | None:
    """Run collectstatic if the sources changed since the last run; seconds taken, or None."""
    from django.conf import settings
    from django.core.management import call_command

    if settings.WHITENOISE_USE_FINDERS:
        return None  # served straight from the sources (QUARTIER_DEBUG, the test suite)
    root = Path(settings.STATIC_ROOT)
    stamp = root / STAMP
    digest = sources_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return None
    started = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0, clear=True)
    stamp.write_text(digest)
    return time.perf_counter() - started
