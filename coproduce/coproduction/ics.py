"""Sessions as iCalendar (RFC 5545) text, so people can put them in their own calendars.

The `icalendar` package does the folding at 75 octets, the CRLF line ends and the escaping.
Each session is its own VEVENT with a stable UID, so downloading it again updates the
calendar entry rather than adding a second one; a cancelled session says so (STATUS).
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from coproduce.coproduction.models import Session

PRODUCT_ID = "-//Coproduce//Co-produced services//EN"


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _event(session: Session, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"session-{session.pk}@{_host()}")
    event.add("dtstamp", stamp)
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("summary", session.service.title)
    if session.location:
        event.add("location", session.location)
    if session.service.description:
        event.add("description", session.service.description)
    event.add("status", "CANCELLED" if session.state == Session.State.CANCELLED else "CONFIRMED")
    return event


def _calendar(sessions: Iterable[Session], name: str) -> str:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now().astimezone(UTC)
    for session in sessions:
        calendar.add_component(_event(session, stamp))
    return calendar.to_ical().decode("utf-8")


def session_ics(session: Session) -> str:
    """One session as a calendar file (the caller selects `service` with it)."""
    return _calendar([session], session.service.title)


def sessions_ics(sessions: Iterable[Session], name: str) -> str:
    """A series of sessions (a service's programme) as one calendar file."""
    return _calendar(sessions, name)
