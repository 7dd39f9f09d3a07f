"""Audit log entries for logins, user and role changes, and indicator metadata."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from quartier.access.audit import record
from quartier.access.models import AuditEntry, User

A = AuditEntry.Action
_ROLE_FIELDS = ("role", "is_superuser", "is_staff", "is_active")
_USER_FIELDS = ("username", "first_name", "last_name", "email", "password")
_VISIBILITY_FIELDS = ("visibility",)
_METADATA_FIELDS = (
    "name",
    "description",
    "unit",
    "topic",
    "kind",
    "polarity",
    "source",
    "concept",
    "defined_as",
    "owner_id",
    "min_count",
    "min_denominator",
    "decimals",
    "reference_note",
    "numerator_id",
    "denominator_id",
    "factor",
    "weight_id",
    "key_figure",
)


@receiver(user_logged_in)
def _login(sender, request, user, **kwargs):
    record(A.LOGIN, user.get_username(), user=user, request=request)


@receiver(user_logged_out)
def _logout(sender, request, user, **kwargs):
    if user is not None:
        record(A.LOGOUT, user.get_username(), user=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    name = str(credentials.get("username", ""))[:150]
    record(A.LOGIN_FAILED, name, request=request, username=name)


def _changes(instance, fields) -> dict:
    """Fields of ``instance`` that differ from the stored row (old → new, password hidden)."""
    if instance.pk is None:
        return {}
    old = type(instance).objects.filter(pk=instance.pk).values(*fields).first()
    if old is None:
        return {}
    out = {}
    for field in fields:
        before, after = old[field], getattr(instance, field)
        if before != after:
            out[field] = "geändert" if field == "password" else [str(before), str(after)]
    return out


@receiver(pre_save, sender=User)
def _user_before(sender, instance, **kwargs):
    instance._audit = (
        _changes(instance, _ROLE_FIELDS),
        _changes(instance, _USER_FIELDS),
        instance.pk is None,
    )


@receiver(post_save, sender=User)
def _user_after(sender, instance, created, **kwargs):
    roles, other, _new = getattr(instance, "_audit", ({}, {}, created))
    if created:
        record(A.USER, instance.get_username(), created=True, role=instance.role)
    if roles:
        record(A.ROLE, instance.get_username(), changes=roles)
    if other and not created and set(other) != {"last_login"}:
        record(A.USER, instance.get_username(), changes=other)


def m2m_recorder(entry: str, name_attr: str, change: str, members: str):
    """An ``m2m_changed`` receiver recording additions, removals and clearing as ``entry``.

    The details say ``{change: "add"|"remove"|"clear", members: [ids]}``.
    """

    def receiver_(sender, instance, action, pk_set, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):
            details = {change: action[5:], members: sorted(pk_set or [])}
            record(entry, getattr(instance, name_attr, str(instance)), **details)

    return receiver_


m2m_changed.connect(
    m2m_recorder(A.ROLE, "username", "units", "ids"),
    sender=User.units.through,
    weak=False,
    dispatch_uid="audit_user_units",
)


def connect_indicator_signals() -> None:
    """Audit metadata and visibility changes of indicators (connected in AppConfig.ready)."""
    from quartier.indicators.models import Indicator

    def before(sender, instance, **kwargs):
        instance._audit = (
            _changes(instance, _VISIBILITY_FIELDS),
            _changes(instance, _METADATA_FIELDS),
        )

    def after(sender, instance, created, **kwargs):
        visibility, metadata = getattr(instance, "_audit", ({}, {}))
        if created:
            record(A.METADATA, instance.key, created=True, visibility=instance.visibility)
        if visibility:
            record(A.VISIBILITY, instance.key, changes=visibility)
        if metadata:
            record(A.METADATA, instance.key, changes=metadata)

    m2m_changed.connect(
        m2m_recorder(A.METADATA, "key", "sum_of", "indicators"),
        sender=Indicator.sum_of.through,
        weak=False,
        dispatch_uid="audit_ind_sums",
    )
    pre_save.connect(before, sender=Indicator, weak=False, dispatch_uid="audit_ind_pre")
    post_save.connect(after, sender=Indicator, weak=False, dispatch_uid="audit_ind_post")
    m2m_changed.connect(
        m2m_recorder(A.VISIBILITY, "key", "shared_with", "units"),
        sender=Indicator.shared_with.through,
        weak=False,
        dispatch_uid="audit_ind_shared",
    )
