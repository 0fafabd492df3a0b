"""Reads of the audit trail for a community's administrators."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from coproduce.audit.models import AuditEvent, AuditEventQuerySet


def _person(field: str, text: str) -> Q:
    text = text.strip()
    number = text.lstrip("#")
    if number.isdigit() and len(number) < 19:
        return Q(**{f"{field}_id": int(number)})
    if "@" in text:
        return Q(**{f"{field}__email__iexact": text})
    return Q(**{f"{field}__profile__display_name__icontains": text})


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def events(*, community: Any, filters: dict[str, Any]) -> AuditEventQuerySet:
    """The community's events, newest first, narrowed by the search form's cleaned values."""
    return search(found=AuditEvent.objects.of(community), filters=filters)


def search(*, found: AuditEventQuerySet, filters: dict[str, Any]) -> AuditEventQuerySet:
    """These events, newest first, narrowed by the search form's cleaned values."""
    found = found.select_related("actor__profile", "subject__profile")
    if filters.get("action"):
        found = found.filter(action=filters["action"])
    if filters.get("actor"):
        found = found.filter(_person("actor", filters["actor"]))
    if filters.get("subject"):
        found = found.filter(_person("subject", filters["subject"]))
    if filters.get("start"):
        found = found.filter(at__gte=_day_start(filters["start"]))
    if filters.get("end") and filters["end"] < date.max:
        found = found.filter(at__lt=_day_start(filters["end"] + timedelta(days=1)))
    if filters.get("q"):
        found = found.filter(target_label__icontains=filters["q"].strip())
    return found.order_by("-at", "-id")
