"""Texts translated at run time that makemessages cannot find where they are used.

Stored German labels of analysis results ("Klasse 2", MSS groups), a job's progress
word, and template texts inside tags makemessages does not read (a ``{% translate %}``
over several lines). Listed here so that ``makemessages`` keeps them in the catalogue
(it marked them obsolete once, and the English pages showed German).
"""

from django.utils.translation import gettext_noop

RUNTIME_STRINGS = (
    gettext_noop("Status/Dynamik-Index: Zahl der Gebiete je Gruppe"),
    gettext_noop("mittel"),
    gettext_noop("sehr niedrig"),
    gettext_noop(
        "Verfahren des Monitorings Soziale Stadtentwicklung Berlin: Status-Index aus S1, S3, "
        "S4, Dynamik-Index aus D1, D3, D4; Gebiete ohne gültige Werte bleiben außen vor."
    ),
    gettext_noop("Jahre"),
    gettext_noop("Werte zum jeweils letzten Stichtag"),
    gettext_noop("positiv"),
    gettext_noop("stabil"),
    gettext_noop("negativ"),
    gettext_noop("Klasse %(n)s"),
    gettext_noop("Typ %(n)s"),
    gettext_noop("gestartet"),
)
