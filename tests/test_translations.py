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
