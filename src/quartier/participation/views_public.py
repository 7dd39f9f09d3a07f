"""The public pages of participation: the list, the contribution form, thanks, results.

Nothing here writes the audit log or anything else about the device: a contribution is
stored with what the person chose and wrote, and the time.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from quartier.errors import QuartierError
from quartier.participation import guard
from quartier.participation.evaluation import indicator_key, words_by_area
from quartier.participation.forms import ContributionForm
from quartier.participation.models import Contribution, Procedure
from quartier.participation.places import place_map
from quartier.participation.rights import may_moderate
from quartier.participation.symbols import SYMBOLS


@require_safe
def procedure_list(request):
    """Open procedures, and finished ones whose results are public."""
    today = timezone.localdate()
    found = list(Procedure.objects.all())
    return render(
        request,
        "beteiligung/list.html",
        {
            "open": [p for p in found if p.is_open(today)],
            "finished": [p for p in found if p.closes < today and p.results_public],
        },
    )


def _procedure_or_404(key: str) -> Procedure:
    procedure = Procedure.objects.filter(key=key).select_related("level").first()
    if procedure is None:
        raise Http404("Kein solches Verfahren.")
    return procedure


@never_cache  # the form holds a CSRF token and a time-stamped token: never from a cache
@require_http_methods(["GET", "HEAD", "POST"])
def contribute(request, key: str):
    """The contribution form (mobile first; a list of places for those who don't use maps)."""
    procedure = _procedure_or_404(key)
    if not procedure.is_open():
        return render(request, "beteiligung/closed.html", {"procedure": procedure}, status=410)
    problem = ""
    if request.method == "POST":
        form = ContributionForm(procedure, request.POST)
        if guard.browser_count(request, procedure) >= guard.PER_BROWSER or guard.too_many(
            procedure
        ):
            problem = "Gerade kommen sehr viele Beiträge an. Bitte versuche es später noch einmal."
        elif form.is_valid():
            form.save()
            response = redirect("participation:thanks", key=procedure.key)
            guard.count_browser(response, request, procedure)
            return response
    else:
        form = ContributionForm(procedure, initial={"token": guard.form_token(procedure)})
    if request.method == "POST":  # a fresh token for the next try
        form.data = form.data.copy()
        form.data["token"] = guard.form_token(procedure)
    categories = [(field, form.categories[str(field.data["value"])]) for field in form["kategorie"]]
    return render(
        request,
        "beteiligung/contribute.html",
        {
            "procedure": procedure,
            "form": form,
            "categories": [(f, c, SYMBOLS[c.symbol]) for f, c in categories],
            "map": place_map(procedure),
            "problem": problem,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_safe
def thanks(request, key: str):
    """After a contribution: what happens next."""
    return render(request, "beteiligung/thanks.html", {"procedure": _procedure_or_404(key)})


@require_safe
def results(request, key: str):
    """Approved contributions, their counts per place (protected) and the decision."""
    from quartier.indicators import readlayer

    procedure = _procedure_or_404(key)
    staff = may_moderate(request.user, procedure)
    if not procedure.results_public and not staff:
        raise Http404("Die Ergebnisse sind noch nicht veröffentlicht.")
    approved = procedure.contributions.filter(status=Contribution.Status.APPROVED)
    texts = approved.exclude(text="").select_related("category", "area").order_by("area__name")
    reader = readlayer.reader(request.user)
    columns, table = [], {}
    for category in procedure.categories.all():
        try:
            indicator = reader.get_indicator(indicator_key(procedure, category.code))
        except QuartierError:  # not evaluated yet, or not visible to this user
            continue
        result = reader.values(indicator, procedure.level, procedure.closes)
        columns.append((category, indicator))
        for area in procedure.areas.all():
            table.setdefault(area, []).append(
                (result.value_of(area.code), result.status_of(area.code))
            )
    return render(
        request,
        "beteiligung/results.html",
        {
            "procedure": procedure,
            "texts": texts,
            "columns": columns,
            "table": sorted(table.items(), key=lambda item: item[0].name),
            "words": words_by_area(procedure),
            "symbols": SYMBOLS,
            "staff": staff,
        },
    )
