"""HTML to tagged PDF with WeasyPrint, never reaching beyond the document itself.

PDF/UA-1 (WeasyPrint's variant) gives a tagged PDF: structure tree, reading order of
the HTML, the document language from ``<html lang>``, alternative texts of images
from their ``alt``. Everything a report shows is inside its HTML (images as data:
URLs), so the URL fetcher allows no other protocol: a report can never make the
server read a file or ask a host (say, through an indicator text with a URL in it).
"""

from __future__ import annotations

import base64

from quartier.errors import QuartierError

MISSING_PANGO = (
    "PDF-Berichte sind auf diesem Server nicht eingerichtet: die Systembibliothek Pango fehlt "
    "(apt-get install libpango-1.0-0 libpangoft2-1.0-0). / PDF reports are not set up on this "
    "server: the Pango system library is missing."
)


def _weasyprint():
    """WeasyPrint, imported on first use: it loads the Pango system library, and a server
    without it must still start and serve everything but PDFs.
    """
    try:
        import weasyprint
        import weasyprint.urls
    except OSError as exc:
        raise QuartierError(MISSING_PANGO, status=503) from exc
    return weasyprint


def data_only_fetcher():
    """WeasyPrint's fetcher restricted to data: URLs."""
    return _weasyprint().urls.URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def data_url(content: bytes, mime: str) -> str:
    """``content`` as a data: URL (for images inside a report's HTML)."""
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``: page size and margins from its CSS, tagged (PDF/UA-1).

    The title comes from the HTML's ``<title>``, the language from ``<html lang>``.
    """
    document = _weasyprint().HTML(string=html, url_fetcher=data_only_fetcher(), base_url=None)
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
