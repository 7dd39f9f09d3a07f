"""Every German UI string has an English translation, and the compiled catalogues are current."""

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "src" / "quartier" / "locale" / "en" / "LC_MESSAGES"


def entries(po_text: str):
    """(msgid, [msgstr…]) of each entry, with multi-line strings joined."""
    for block in po_text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""' not in block:
            yield "FUZZY:" + block, [""]
            continue
        parts = re.findall(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) ((?:".*"\n?)+)', block, re.M)
        fields = {}
        for name, raw in parts:
            fields.setdefault(name.split("[")[0], []).append("".join(re.findall(r'"(.*)"', raw)))
        if "msgid" in fields and fields["msgid"][0]:
            yield fields["msgid"][0], fields.get("msgstr", [""])


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_all_strings_are_translated(domain):
    text = (LOCALE / f"{domain}.po").read_text(encoding="utf-8")
    missing = [msgid for msgid, strs in entries(text) if not all(strs)]
    assert missing == []


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_compiled_catalogue_is_not_older_than_its_source(domain):
    import gettext

    with open(LOCALE / f"{domain}.mo", "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    text = (LOCALE / f"{domain}.po").read_text(encoding="utf-8")
    for msgid, strs in entries(text):
        if "%(counter)s" in msgid:
            continue
        assert catalogue.gettext(msgid.replace('\\"', '"')) == strs[0].replace('\\"', '"'), msgid


SRC = LOCALE.parents[2]


def _msgids(domain: str) -> set[str]:
    text = (LOCALE / f"{domain}.po").read_text(encoding="utf-8")
    return {msgid.replace('\\"', '"') for msgid, _strs in entries(text)}


# {% blocktranslate … %}text{% endblocktranslate %} (or up to {% plural %}); {{ x }} is %(x)s.
BLOCK = r"{% blocktranslate([^%]*)%}(.*?){% (?:endblocktranslate|plural) %}"


def test_every_template_string_is_in_the_catalogue():
    """A string marked for translation but missing from django.po would stay German in English."""
    known = _msgids("django")
    missing = set()
    for template in SRC.rglob("templates/**/*.html"):
        source = template.read_text(encoding="utf-8")
        # {% translate "…" %} and _("…") in tag arguments (e.g. labels passed to an include)
        for text in re.findall(r'{% translate "([^"]+)"|\b_\("([^"]+)"\)', source):
            text = text[0] or text[1]
            if text not in known and text.replace("%", "%%") not in known:  # makemessages escapes %
                missing.add(f"{template.name}: {text}")
        for options, text in re.findall(BLOCK, source, re.S):
            text = " ".join(text.split()) if "trimmed" in options else text
            text = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", text.replace("%", "%%"))
            if text not in known:
                missing.add(f"{template.name}: {text}")
    assert sorted(missing) == []


def test_every_javascript_string_is_in_the_catalogue():
    known = _msgids("djangojs")
    missing = set()
    for script in SRC.rglob("static/**/*.js"):
        for text in re.findall(r'gettext\("([^"]+)"\)', script.read_text(encoding="utf-8")):
            if text not in known:
                missing.add(f"{script.name}: {text}")
    assert sorted(missing) == []
