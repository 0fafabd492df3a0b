"""How a report's honest state maps onto Open311's statuses, in both directions.

GeoReport v2 knows only ``open`` and ``closed``. The mySociety extension (used by
FixMyStreet with ``extended_statuses``) names the reason in upper case on each update.
Our states are finer still: "closed" is never shown as "fixed", and the two co-delivery
states say who did the work; ``external_status_code`` carries our own state name so a
client that wants it loses nothing.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coproduce.insight.models import Report

State = Report.State
Reason = Report.ClosedReason

OPEN = State.OPEN.value
INVESTIGATING = State.INVESTIGATING.value
IN_PROGRESS = State.IN_PROGRESS.value
ACTION_SCHEDULED = State.ACTION_SCHEDULED.value
FIXED = State.FIXED.value
CLOSED = State.CLOSED.value
COMMUNITY_ACTION = State.COMMUNITY_ACTION.value
CO_DELIVERED = State.CO_DELIVERED.value

NO_FURTHER_ACTION = Reason.NO_FURTHER_ACTION.value
NOT_RESPONSIBLE = Reason.NOT_RESPONSIBLE.value
DUPLICATE = Reason.DUPLICATE.value
INTERNAL_REFERRAL = Reason.INTERNAL_REFERRAL.value

CLOSED_STATES = frozenset(state.value for state in Report.RESOLVED)
OPEN_STATES = frozenset(state.value for state in State) - CLOSED_STATES

# state -> the extension's upper-case status (a closed report's reason refines CLOSED).
_UPDATE_STATUS = {
    OPEN: "OPEN",
    INVESTIGATING: "INVESTIGATING",
    IN_PROGRESS: "IN_PROGRESS",
    ACTION_SCHEDULED: "ACTION_SCHEDULED",
    FIXED: "FIXED",
    CLOSED: "CLOSED",
    # Residents are doing the work: the report is being acted on.
    COMMUNITY_ACTION: "IN_PROGRESS",
    # Done together with residents: it is fixed.
    CO_DELIVERED: "FIXED",
}
_CLOSED_REASON_STATUS = {
    NO_FURTHER_ACTION: "NO_FURTHER_ACTION",
    NOT_RESPONSIBLE: "NOT_COUNCILS_RESPONSIBILITY",
    DUPLICATE: "DUPLICATE",
    INTERNAL_REFERRAL: "INTERNAL_REFERRAL",
}

# An incoming update's status -> (state, closed_reason). Clients send upper case; the
# Perl Open311::Endpoint sends lower case, so matching ignores case. REOPEN is what
# FixMyStreet sends with ``mark_reopen``. A closed report always carries its reason, and
# a bare CLOSED names none: it is recorded as "no further action", the one reason that
# claims nothing about who did what.
INCOMING_STATUS: dict[str, tuple[str, str]] = {
    "OPEN": (OPEN, ""),
    "REOPEN": (OPEN, ""),
    "INVESTIGATING": (INVESTIGATING, ""),
    "IN_PROGRESS": (IN_PROGRESS, ""),
    "ACTION_SCHEDULED": (ACTION_SCHEDULED, ""),
    "FIXED": (FIXED, ""),
    "CLOSED": (CLOSED, NO_FURTHER_ACTION),
    "NO_FURTHER_ACTION": (CLOSED, NO_FURTHER_ACTION),
    "NOT_COUNCILS_RESPONSIBILITY": (CLOSED, NOT_RESPONSIBLE),
    "DUPLICATE": (CLOSED, DUPLICATE),
    "INTERNAL_REFERRAL": (CLOSED, INTERNAL_REFERRAL),
}

_STATE_NOTES = {
    OPEN: gettext_lazy("Open"),
    INVESTIGATING: gettext_lazy("Investigating"),
    IN_PROGRESS: gettext_lazy("In progress"),
    ACTION_SCHEDULED: gettext_lazy("Action scheduled"),
    FIXED: gettext_lazy("Fixed"),
    CLOSED: gettext_lazy("Closed"),
    COMMUNITY_ACTION: gettext_lazy("Residents are acting on this"),
    CO_DELIVERED: gettext_lazy("Fixed together with residents"),
}
_REASON_NOTES = {
    NO_FURTHER_ACTION: gettext_lazy("Closed: no further action"),
    NOT_RESPONSIBLE: gettext_lazy("Closed: not the responsibility of this organisation"),
    DUPLICATE: gettext_lazy("Closed: duplicate"),
    INTERNAL_REFERRAL: gettext_lazy("Closed: referred internally"),
}


def request_status(state: str) -> str:
    """GeoReport v2 ``status``: ``open`` while anyone is still to act, else ``closed``."""
    return "closed" if state in CLOSED_STATES else "open"


def update_status(state: str, closed_reason: str = "") -> str:
    """The extension's upper-case status for a state (and, when closed, its reason)."""
    if state == CLOSED and closed_reason in _CLOSED_REASON_STATUS:
        return _CLOSED_REASON_STATUS[closed_reason]
    return _UPDATE_STATUS.get(state, "OPEN")


def status_notes(state: str, closed_reason: str = "", fixed_by: str = "") -> str:
    """Human words for the exact state: never "fixed" for a report only closed."""
    if state == CLOSED and closed_reason in _REASON_NOTES:
        return str(_REASON_NOTES[closed_reason])
    if state == FIXED and fixed_by == Report.FixedBy.RESIDENTS:
        return _("Fixed by residents")
    return str(_STATE_NOTES.get(state, state))


def incoming_status(text: str) -> tuple[str, str] | None:
    """(state, closed_reason) for a status an update names, or None if it is not one we know."""
    return INCOMING_STATUS.get(text.strip().upper())


def incoming_change(text: str, state: str, closed_reason: str) -> tuple[str, str]:
    """The (state, closed_reason) an update with this known status moves a report to; ("", "")
    when it moves nothing.

    Clients without extended statuses send OPEN with every comment on a report that is
    still open, and CLOSED with every comment on one that is resolved. Those say which side
    of the line the report is on, not a decision: they must not reset "in progress" to
    "open", or turn "fixed" into "closed".
    """
    status = text.strip().upper()
    target = INCOMING_STATUS[status]
    resolved = state in CLOSED_STATES
    if status in {"OPEN", "REOPEN"} and not resolved:
        return "", ""
    if status == "CLOSED" and resolved:
        return "", ""
    if target == (state, closed_reason):
        return "", ""
    return target
