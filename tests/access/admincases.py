"""The admin's writes for the write matrix: every registered model × add, change, delete, actions.

Models and actions are enumerated from ``admin.site``, so a model or action
registered later is covered without anyone adding it here — unless it needs a
sample object of a kind :data:`FACTORIES` does not know yet (then the test says so).
Each case works on a fresh sample object, so deleting one stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from quartier.access.models import AuditEntry, Territory, Unit, User
from quartier.access.tokens import create_token
from quartier.indicators.models import Indicator
from quartier.spatial.models import Area, FacilityLayer, Level
from tests.access.writecases import OWN, Case, _procedure
from tests.access.writeobjects import batch_of

ADMIN = frozenset({"admin"})
NOBODY = frozenset()


def _axes(name: str, **extra):
    def make(_acc):
        from django.apps import apps

        model = apps.get_model("axes", name)
        fields = {"user_agent": "x", "ip_address": "10.0.0.9", "username": "probe"}
        return model.objects.create(**fields, http_accept="x", path_info="/", **extra)

    return make


def _indicator(unit: str):
    def make(_acc):
        return Indicator.objects.create(
            key=f"probe_{unit}",
            name=f"Probe {unit}",
            kind="count",
            topic="soziales",
            owner=Unit.objects.get(key=unit),
        )

    return make


def _area(_acc):
    block = Area.objects.filter(level__key="baublock").order_by("code").first()
    block.pk, block.code, block.name = None, "P-1", "Probe"
    block.save()
    return block


FACTORIES: dict[str, Callable] = {
    "auth.group": lambda _acc: Group.objects.create(name="Probe"),
    "axes.accessattempt": _axes("AccessAttempt", get_data="", post_data="", failures_since_start=1),
    "axes.accesslog": _axes("AccessLog"),
    "axes.accessfailurelog": _axes("AccessFailureLog", locked_out=False),
    "access.unit": lambda _acc: Unit.objects.create(key="probe", name="Probe"),
    "access.territory": lambda _acc: Territory.objects.create(
        key="probe", name="Probe", kind=Territory.Kind.GEMEINDE
    ),
    "access.user": lambda _acc: User.objects.create_user("probekonto", password="x" * 12),
    "access.apitoken": lambda acc: create_token(acc["analyst"], "Probe")[0],
    "access.auditentry": lambda _acc: AuditEntry.objects.create(action="export", target="probe"),
    "spatial.level": lambda _acc: Level.objects.create(key="probe", name="Probe", order=99),
    "spatial.area": _area,
    "spatial.facilitylayer": lambda _acc: FacilityLayer.objects.create(key="probe", name="Probe"),
    "spatial.facility": lambda _acc: (
        FacilityLayer.objects.order_by("pk")
        .first()
        .facilities.create(name="Probe", lon=7.0, lat=51.0)
    ),
    "indicators.importbatch": lambda _acc: batch_of("hze_faelle"),
    "participation.procedure": lambda _acc: _procedure(),
}
# Indicators are owned by units: one sample of each of the two stewards' units.
OWNED = {"jugendamt": OWN, "statistik": frozenset({"other", "admin"})}


def admin_request(user):
    """A GET request of ``user`` to ask a ModelAdmin about forms and actions."""
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _value(field: forms.Field, value) -> object:
    """How a browser would post ``value`` of ``field`` (None: leave the field out)."""
    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return [str(v) for v in value or []]
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


_FILL = {
    forms.SlugField: "probe-neu",
    forms.IntegerField: "1",
    forms.FloatField: "7.0",
    forms.DateField: "2026-01-01",
    forms.CharField: "probe-neu",  # also a valid user name
}


def _fill(name: str, field: forms.Field) -> object:
    """A valid value for a required field left empty in an add form."""
    if name.startswith("password"):
        return "Ein-sehr-langes-Probepasswort-42"
    if isinstance(field, forms.ModelChoiceField):
        return str(field.queryset.order_by("pk").first().pk)
    if isinstance(field, forms.ChoiceField):
        return next(str(k) for k, _label in field.choices if k not in ("", None))
    for kind, text in _FILL.items():
        if isinstance(field, kind):
            return text
    raise AssertionError(f"no sample value for the admin field {name} ({type(field).__name__})")


CHANGED_FIELDS = ("name", "first_name", "description", "title")


def form_data(model_admin, user, obj=None) -> tuple[dict, bool]:
    """POST data for the admin's add (``obj`` None) or change form; and whether it alters ``obj``."""
    request = admin_request(user)
    form = model_admin.get_form(request, obj, change=obj is not None)(instance=obj)
    data, alters = {}, False
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = _value(field, form[name].value())
        if obj is None and name.startswith("password"):
            value = _fill(name, field)  # not required when the password may stay unusable
        elif obj is None and field.required and value in ("", None, []):
            value = _fill(name, field)
        if obj is not None and not alters and name in CHANGED_FIELDS:
            value, alters = f"{value} (geändert)", True
        if value is not None:
            data[name] = value
    data.update(_inline_data(model_admin, request, obj))
    return data, alters


def _inline_data(model_admin, request, obj) -> dict:
    """The inlines' management forms and their existing rows, posted back unchanged."""
    data = {}
    for inline in model_admin.get_inline_instances(request, obj):
        formset = inline.get_formset(request, obj)(
            instance=obj if obj is not None else model_admin.model()
        )
        count = str(formset.initial_form_count())
        data[f"{formset.prefix}-TOTAL_FORMS"] = data[f"{formset.prefix}-INITIAL_FORMS"] = count
        for form in formset.initial_forms:
            for name, field in form.fields.items():
                value = _value(field, form[name].value())
                if value is not None:
                    data[f"{form.prefix}-{name}"] = value
    return data


def _prepare(make, url_for, data_for):
    def prepare(acc):
        obj = make(acc)
        return url_for(obj), data_for(obj, acc)

    return prepare


def _model_cases(model, model_admin, make, allowed_change: frozenset, label: str) -> list[Case]:
    meta = model._meta
    prefix = f"admin:{meta.app_label}_{meta.model_name}"
    superuser = User(is_superuser=True, role="admin")
    request = admin_request(superuser)

    def change_data(obj, acc):
        return form_data(model_admin, acc["admin"], obj)[0]

    def add_data(_obj, acc):
        return form_data(model_admin, acc["admin"])[0]

    sample = model()  # an unsaved instance: the change form, not the add form (users)
    alters = any(
        name in CHANGED_FIELDS
        for name in model_admin.get_form(request, sample, change=True).base_fields
        if name not in model_admin.get_readonly_fields(request, sample)
    )
    may_change = model_admin.has_change_permission(request)
    cases = [
        Case(
            f"{prefix}_change",
            label,
            _prepare(make, lambda o: reverse(f"{prefix}_change", args=[o.pk]), change_data),
            allowed_change if alters and may_change else NOBODY,
            # Nothing to edit (all fields read-only): saving is accepted and writes nothing.
            ADMIN if may_change and not alters else NOBODY,
        ),
        Case(
            f"{prefix}_delete",
            label,
            _prepare(
                make,
                lambda o: reverse(f"{prefix}_delete", args=[o.pk]),
                lambda o, a: {"post": "yes"},
            ),
            ADMIN if model_admin.has_delete_permission(request) else NOBODY,
        ),
        Case(
            f"{prefix}_add",
            label,
            _prepare(make, lambda o: reverse(f"{prefix}_add"), add_data),
            ADMIN if model_admin.has_add_permission(request) else NOBODY,
        ),
    ]
    for action in model_admin.get_actions(request):
        cases.append(
            Case(
                f"{prefix}_changelist",
                f"{label}, action {action}",
                _prepare(
                    make,
                    lambda o: reverse(f"{prefix}_changelist"),
                    lambda o, a, action=action: {
                        "action": action,
                        "_selected_action": [str(o.pk)],
                        "post": "yes",
                    },
                ),
                ADMIN - READ_ACTIONS.get(action, NOBODY),
                READ_ACTIONS.get(action, NOBODY),
            )
        )
    return cases


# Actions that write nothing here (the export is a read; the sample attempt has not expired).
READ_ACTIONS = {"export_csv": ADMIN, "cleanup_expired_attempts": ADMIN}


def admin_cases() -> list[Case]:
    """Every registered model's add, change, delete and actions, with who may do them."""
    cases = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if label == "indicators.indicator":
            for unit, allowed in OWNED.items():
                about = f"{label} of the unit {unit}"
                cases += _model_cases(model, model_admin, _indicator(unit), allowed, about)
            continue
        assert label in FACTORIES, f"add a sample object for {label} to FACTORIES"
        cases += _model_cases(model, model_admin, FACTORIES[label], ADMIN, label)
    return cases
