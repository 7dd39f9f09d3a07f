"""HTML to tagged PDF with WeasyPrint, never reaching beyond the document itself.

PDF/UA-1 (WeasyPrint's variant) gives a tagged PDF: structure tree, reading order of
the HTML, the document language from ``<html lang>``, alternative texts of images
from their ``alt``. Everything a report shows is inside its HTML (images as data:
URLs), so the URL fetcher allows no other protocol: a report can never make the
server read a file or ask a host (say, through an indicator text with a URL in it).
"""

from __future__ import annotations

import base64
import re

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


# WeasyPrint's user-agent stylesheet styles ::marker and five footnote/note pseudo-elements
# of *every* element, so each table cell cost seven computed styles instead of one (a tenth
# of a Steckbrief's PDF time). Reports have no footnotes or notes, and markers only where
# lists or summaries have them.
_EVERY_MARKER = re.compile(r"^::marker \{", re.MULTILINE)
_NOTE_RULES = re.compile(r"^::(?:footnote|note)-[a-z]+ \{[^}]*\}$", re.MULTILINE)
_report_html_class = None


def lean_ua_stylesheet_text(ua: str) -> str:
    """WeasyPrint's HTML5 user-agent stylesheet ``ua`` without footnote and note rules and
    with ``::marker`` for list items and ``summary`` only (the elements that have one).
    """
    return _EVERY_MARKER.sub("li::marker, summary::marker {", _NOTE_RULES.sub("", ua))


def _report_html():
    """``weasyprint.HTML`` with the lean user-agent stylesheet (made once per process)."""
    global _report_html_class
    if _report_html_class is None:
        weasyprint = _weasyprint()
        from weasyprint import html as ua
        from weasyprint.css.counters import CounterStyle

        # Its @counter-style rules are WeasyPrint's own, registered already: parsed
        # into a spare registry, they neither warn nor change anything.
        lean = weasyprint.CSS(string=lean_ua_stylesheet_text(ua.UA), counter_style=CounterStyle())

        class ReportHTML(weasyprint.HTML):
            def _ua_stylesheets(self, forms=False):
                # Only the plain HTML sheet is swapped: should a WeasyPrint release
                # rename or add sheets, its own stay in place.
                return [
                    lean if sheet is ua.UA_STYLESHEET else sheet
                    for sheet in super()._ua_stylesheets(forms)
                ]

        _report_html_class = ReportHTML
    return _report_html_class


def report_html(html: str):
    """WeasyPrint's document of ``html`` (a report): only data: URLs, lean UA stylesheet."""
    return _report_html()(string=html, url_fetcher=data_only_fetcher(), base_url=None)


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``: page size and margins from its CSS, tagged (PDF/UA-1).

    The title comes from the HTML's ``<title>``, the language from ``<html lang>``.
    """
    return report_html(html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
