"""What a browser would send for a form left as the page proposes it (no field changed)."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """Collects the submitted values of one form: inputs, checked boxes, selected options."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, list[str]] = {}
        self.select: tuple[str, bool] | None = None  # (name, multiple)
        self.options: list[tuple[str, bool]] = []
        self.option: list | None = None  # [value or None, selected, text]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.setdefault(a["name"], []).append(a.get("value", "on"))
        elif tag == "select" and a.get("name"):
            self.select, self.options = (a["name"], "multiple" in a), []
        elif tag == "option" and self.select:
            self.option = [a.get("value"), "selected" in a, ""]

    def handle_data(self, data):
        if self.option is not None:
            self.option[2] += data

    def handle_endtag(self, tag):
        if tag == "option" and self.option is not None:
            value, selected, text = self.option
            self.options.append((text.strip() if value is None else value, selected))
            self.option = None
        elif tag == "select" and self.select:
            name, multiple = self.select
            chosen = [v for v, selected in self.options if selected]
            if not chosen and not multiple and self.options:
                chosen = [self.options[0][0]]  # a browser submits the first option
            if chosen:
                self.fields.setdefault(name, []).extend(chosen)
            self.select = None
        elif tag == "form":
            self.inside = False


def form_defaults(html: str, form_id: str) -> dict[str, str | list[str]]:
    """The fields of form ``form_id`` as submitted unchanged (lists for repeated names)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return {k: v[0] if len(v) == 1 else v for k, v in reader.fields.items()}
