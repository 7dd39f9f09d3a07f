"""HTML to tagged PDF with WeasyPrint, never reaching beyond the document itself.

PDF/UA-1 (WeasyPrint's variant) gives a tagged PDF: structure tree, reading order of
the HTML, the document language from ``<html lang>``, alternative texts of images
from their ``alt``. Everything a report shows is inside its HTML (images as data:
URLs), so the URL fetcher allows no other protocol: a report can never make the
server read a file or ask a host (say, through an indicator text with a URL in it).
"""

from __future__ import annotations

import base64

from weasyprint import HTML
from weasyprint.urls import URLFetcher


def data_only_fetcher() -> URLFetcher:
    """WeasyPrint's fetcher restricted to data: URLs."""
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def data_url(content: bytes, mime: str) -> str:
    """``content`` as a data: URL (for images inside a report's HTML)."""
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``: page size and margins from its CSS, tagged (PDF/UA-1).

    The title comes from the HTML's ``<title>``, the language from ``<html lang>``.
    """
    document = HTML(string=html, url_fetcher=data_only_fetcher(), base_url=None)
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
