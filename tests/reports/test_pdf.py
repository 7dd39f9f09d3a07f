"""HTML to PDF for reports: WeasyPrint's user-agent stylesheet, narrowed (issue 17, speed)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from quartier.reports.pdf import html_to_pdf, lean_ua_stylesheet_text, report_html


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_table_cells_get_no_pseudo_element_styles():
    """WeasyPrint's stylesheet gave every element six pseudo-element styles (markers,
    footnote and note calls): seven computed styles per table cell instead of one."""
    from weasyprint import html as ua
    from weasyprint.css import StyleFor

    assert "::marker {" in ua.UA and "::footnote-call {" in ua.UA  # what it narrows
    lean = lean_ua_stylesheet_text(ua.UA)
    assert "\n::marker {" not in lean and "footnote" not in lean.split("@page")[0]
    computed = []
    original = StyleFor.set_computed_styles

    def counting(self, element, parent, root=None, pseudo_type=None, **kwargs):
        computed.append((getattr(element, "tag", element), pseudo_type))
        return original(self, element, parent, root=root, pseudo_type=pseudo_type, **kwargs)

    StyleFor.set_computed_styles = counting
    try:
        cells = "".join(f"<tr><td>{i}</td><td>{i * 2}</td></tr>" for i in range(20))
        report_html(f"<html lang='de'><body><table>{cells}</table></body></html>").render()
    finally:
        StyleFor.set_computed_styles = original
    assert not [c for c in computed if str(c[0]).endswith("td") and c[1]]


def test_lists_keep_their_markers_and_reports_stay_tagged():
    """What the narrowed stylesheet prints is what WeasyPrint's own prints."""
    import weasyprint

    html = (
        "<html lang='de'><head><title>T</title></head><body><h1>Liste</h1>"
        "<ul><li>Eins</li><li>Zwei</li></ul><ol><li>Drei</li></ol>"
        "<table><tr><th scope='row'>Stichtag</th><td>1.234</td></tr></table></body></html>"
    )
    pdf = html_to_pdf(html)
    text = _text(pdf)
    assert text.count("•") == 2 and "1." in text.replace("1.234", "")
    assert "Eins" in text and "1.234" in text
    plain = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    assert text == _text(plain)
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert root["/Lang"] == "de" and "/StructTreeRoot" in root
