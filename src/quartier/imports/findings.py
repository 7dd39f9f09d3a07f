"""Findings of an import check, grouped by kind so that long lists stay readable.

A check finds many things of few kinds — 1,234 unknown codes, 40 repaired polygons. Each
kind becomes one group: a title, how many there are and the first examples. The wizard shows
a group as a ``<details>`` element (collapsible, keyboard-usable without JavaScript), the
command line as a few examples and "… und 1.234 weitere".

A group is plain data (JSON on the job): ``{"title", "count", "items", "more", "open"}``
(``open``: small enough to show unfolded). A message that stands alone is a group without
items.
"""

from __future__ import annotations

MAX_LISTED = 50  # examples kept per group; the rest are counted
CLI_EXAMPLES = 5  # examples printed per group on the command line
OPEN_UP_TO = 10  # groups this small are shown unfolded

# Titles of the kinds of geometry findings (quartier.imports.georead.Finding.kind).
GEOMETRY_KINDS = {
    "no_code": "Objekte ohne Gebietsschlüssel (nicht übernommen)",
    "duplicate_code": "Mehrfach vorkommende Gebietsschlüssel",
    "no_geometry": "Gebiete ohne Geometrie (nicht übernommen)",
    "not_polygon": "Gebiete ohne Fläche, nur Punkte oder Linien (nicht übernommen)",
    "repaired": "Ungültige Geometrien, repariert",
    "mixed": "Punkte oder Linien neben Flächen, entfernt",
    "no_area": "Gebiete ohne gültige Fläche (nicht übernommen)",
}


def group(title: str, items: list[str], limit: int = MAX_LISTED) -> dict:
    """One group of findings: ``title``, the count and the first ``limit`` examples."""
    return {
        "title": title,
        "count": len(items),
        "items": list(items[:limit]),
        "more": max(0, len(items) - limit),
        "open": len(items) <= OPEN_UP_TO,
    }


def single(message: str) -> dict:
    """A message that stands alone, as a group without items."""
    return {"title": message, "count": 1, "items": [], "more": 0, "open": True}


def as_text(found: dict) -> str:
    """A group as one line: "Titel: a; b … und 3 weitere" (for texts that must be one line)."""
    if not found["items"]:
        return found["title"]
    more = f" … und {found['more']} weitere" if found["more"] else ""
    return f"{found['title']}: {'; '.join(found['items'])}{more}"


def grouped(texts: list[str], groups: list[dict]) -> list[dict]:
    """The messages of a report in their order, each as its group if it has one.

    ``texts`` are the one-line messages, ``groups`` the groups some of them were made from
    (reports stored before groups existed have none: then every message stands alone).
    """
    by_text = {as_text(found): found for found in groups}
    return [by_text.get(text) or single(text) for text in texts]


def group_geometry(findings: list[dict]) -> list[dict]:
    """Geometry findings (as dicts) grouped by kind in order of first appearance.

    A kind met once, and a finding without a kind, stays a single message. Each group keeps
    the severity of its findings (``"error"`` if any is one).
    """
    order: list[tuple[str, str]] = []
    members: dict[tuple[str, str], list[dict]] = {}
    for number, finding in enumerate(findings):
        kind = finding.get("kind") or ""
        key = (kind, "") if kind in GEOMETRY_KINDS else ("", str(number))
        if key not in members:
            order.append(key)
            members[key] = []
        members[key].append(finding)
    out = []
    for key in order:
        found = members[key]
        if len(found) == 1:
            entry = single(found[0]["message"])
        else:
            entry = group(GEOMETRY_KINDS[key[0]], [f["message"] for f in found])
        severities = {f.get("severity", "info") for f in found}
        entry["severity"] = next(s for s in ("error", "warning", "info") if s in severities)
        out.append(entry)
    return out


def count_text(n: int) -> str:
    """A count with German thousands dots (1.234)."""
    return f"{n:,}".replace(",", ".")


def print_groups(title: str, groups: list[dict], examples: int = CLI_EXAMPLES) -> None:
    """Print groups under ``title``: each with its count, a few examples and the rest counted."""
    if not groups:
        return
    print(f"{title}:")
    for found in groups:
        if found["count"] == 1 or not found["items"]:
            print(f"  - {as_text(found)}")
            continue
        print(f"  - {found['title']}: {count_text(found['count'])}")
        shown = found["items"][:examples]
        for item in shown:
            print(f"      {item}")
        if found["count"] > len(shown):
            print(f"      … und {count_text(found['count'] - len(shown))} weitere")
