"""Disclosure control (Geheimhaltung) — the last step of the read layer.

Issue #2 only defines the hook: :func:`protect` receives every result before it
leaves the read layer, together with the requesting user. Issue #5 fills it
with primary and secondary suppression; until then it passes values through.
"""

from __future__ import annotations


def protect(result, user):
    """Return ``result`` as ``user`` may see it (currently unchanged)."""
    return result
