"""Writes for the audit trail: one call per sensitive action, from any app."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import pgtrigger
from django.db import models
from django.db.models import Q
from django.http import HttpRequest

from coproduce.audit.models import TARGET_LABEL_MAX, USER_AGENT_MAX, Action, AuditEvent

if TYPE_CHECKING:
    from coproduce.communities.models import Community
    from coproduce.people.models import User


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: forwarded headers are written by the client and could name anyone.
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None


def _label(target: models.Model) -> str:
    # Never str(target): that often names a person, and this table can never be erased. A
    # record's own name or title (a service, an instrument, a token's label) is kept instead.
    label = f"{target._meta.verbose_name} #{target.pk}"
    for field in ("name", "title"):
        value = getattr(target, field, None)
        if isinstance(value, str) and value:
            label = f"{label}: {value}"
            break
    return label[:TARGET_LABEL_MAX]


def audit_record(
    *,
    action: str,
    actor: User | None,
    community: Community | None = None,
    subject: User | None = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the trail, in the caller's transaction; it can never change after."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}; add it to coproduce.audit.Action.")
    ip_address = None
    user_agent = ""
    if request is not None:
        ip_address = _client_ip(request)
        user_agent = str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]
    target_type = target_id = target_label = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = "" if target.pk is None else str(target.pk)
        target_label = _label(target)
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        community=community,
        actor=actor,
        subject=subject,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=details or {},
        ip_address=ip_address,
        user_agent=user_agent,
    )


def audit_forget_demo(*, community: Community, user_ids: list[int]) -> int:
    """Delete the trail of the demo community and its people, the one exception to append-only:
    `coproduce demo --reset` deletes that community itself, and events protect their people.
    Returns how many events went."""
    events = AuditEvent.objects.filter(
        Q(community=community) | Q(actor_id__in=user_ids) | Q(subject_id__in=user_ids)
    )
    with pgtrigger.ignore("audit.AuditEvent:audit_events_append_only"):
        # The base QuerySet.delete, past the append-only guard of AuditEventQuerySet.
        deleted, _ = models.QuerySet.delete(events)
    return deleted
