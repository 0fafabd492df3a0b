"""The co-production index: NEF's six principles, computed from what happened.

Pure functions over plain data (no database here: `selectors.index_data_for_service` and
`index_data_for_community` load an `IndexData`). Each component is a share between 0 and 1,
or None when there is nothing to measure yet (a zero denominator is "no evidence", not
"no co-production"). docs/coproduction.md explains each formula in plain words.

Words used below:
- *period*: [start, end); a session is in the period when it starts in it.
- *present at a session*: its lead, its co-lead, and everyone with an attendance record.
- *participant*: someone present at a session in the period, or holding an accepted role.
- *staff*: professionals, coordinators and administrators of the community, and the
  managers and staff of its organisations; everyone else is a *resident*.
- *delivery minutes*: for each session in the period, the minutes of each person who led,
  co-led or helped (their attendance minutes, or the session's length for a lead or
  co-lead with no attendance record).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coproduce.lib.duration import format_minutes

HEADINGS = ("assets", "capacity", "mutuality", "networks", "shared_roles", "catalysts")
LEAD, HELPER = "lead", "helper"  # Attendance.Role values: this module reads plain data only
DELIVERING = frozenset({LEAD, HELPER})


@dataclass(frozen=True)
class SessionFact:
    id: int
    starts_at: datetime
    duration_minutes: int
    lead: int | None = None
    co_lead: int | None = None


@dataclass(frozen=True)
class AttendanceFact:
    session: int
    person: int
    role: str
    minutes: int


@dataclass(frozen=True)
class RoleFact:
    """An accepted role: who holds it and the skill it names, if any."""

    person: int
    skill: int | None


@dataclass(frozen=True)
class EntryFact:
    """One member's side of a completed transfer: positive means they earned (gave time)."""

    transfer: int
    person: int
    minutes: int
    at: datetime


@dataclass(frozen=True)
class IndexData:
    start: datetime
    end: datetime
    staff: frozenset[int] = frozenset()
    sessions: tuple[
        SessionFact, ...
    ] = ()  # every session up to `end`: history tells who *moved into* leading
    attendances: tuple[AttendanceFact, ...] = ()
    roles: tuple[RoleFact, ...] = ()
    skills: Mapping[int, frozenset[int]] = field(default_factory=dict)  # declared skills per person
    entries: tuple[EntryFact, ...] = ()  # up to `end`: history tells which ties are new
    decision_responders: tuple[int, ...] = ()  # one person id per decision response
    resident_voices: int = 0  # residents who commented, endorsed, pledged or checked in
    resident_service_leads: int = 0
    self_assessments: tuple[Mapping[str, int], ...] = ()


@dataclass(frozen=True)
class Component:
    value: float | None
    numerator: float
    denominator: float


@dataclass(frozen=True)
class Ladder:
    rung: str  # inform | consult | co-design | co-produce
    evidence: tuple[tuple[str, str], ...]  # (rung, what shows it)


@dataclass(frozen=True)
class IndexResult:
    components: dict[str, Component]
    self_assessment: dict[str, float | None]
    self_assessment_count: int
    ladder: Ladder
    participants: int


LADDER = ("inform", "consult", "co-design", "co-produce")


def _share(numerator: float, denominator: float) -> Component:
    return Component(numerator / denominator if denominator else None, numerator, denominator)


def _in_period(data: IndexData) -> list[SessionFact]:
    return [s for s in data.sessions if data.start <= s.starts_at < data.end]


def present_at(data: IndexData) -> dict[int, set[int]]:
    """Session id → the people present at it (lead, co-lead, attendance records)."""
    present: dict[int, set[int]] = defaultdict(set)
    for session in data.sessions:
        present[session.id].update(p for p in (session.lead, session.co_lead) if p is not None)
    for attendance in data.attendances:
        present[attendance.session].add(attendance.person)
    return present


def participants(data: IndexData) -> set[int]:
    """Everyone present at a session in the period, and everyone holding an accepted role."""
    present = present_at(data)
    found = {p for s in _in_period(data) for p in present[s.id]}
    return found | {r.person for r in data.roles}


def delivery_minutes(data: IndexData) -> dict[tuple[int, int], tuple[int, bool]]:
    """(session, person) → (minutes delivered, led or co-led it) for sessions in the period."""
    delivered: dict[tuple[int, int], tuple[int, bool]] = {}
    sessions = {s.id: s for s in _in_period(data)}
    for session in sessions.values():
        for person in (session.lead, session.co_lead):
            if person is not None:
                delivered[(session.id, person)] = (session.duration_minutes, True)
    for a in data.attendances:
        if a.session in sessions and (a.role in DELIVERING or (a.session, a.person) in delivered):
            led = delivered.get((a.session, a.person), (0, False))[1]
            delivered[(a.session, a.person)] = (a.minutes, led or a.role == LEAD)
    return delivered


def assets(data: IndexData) -> Component:
    """Participants whose role names a skill they declared ÷ participants whose role names a skill.

    A person with several roles counts once, as matched if any of their skilled roles matches.
    """
    skilled: dict[int, set[int]] = defaultdict(set)
    for role in data.roles:
        if role.skill is not None:
            skilled[role.person].add(role.skill)
    matched = sum(
        1 for person, wanted in skilled.items() if wanted & data.skills.get(person, frozenset())
    )
    return _share(matched, len(skilled))


def _leaders(data: IndexData) -> dict[int, set[int]]:
    """Session id → who led or co-led it (named on the session, or recorded as its lead)."""
    leaders: dict[int, set[int]] = defaultdict(set)
    for session in data.sessions:
        leaders[session.id].update(p for p in (session.lead, session.co_lead) if p is not None)
    for a in data.attendances:
        if a.role == LEAD:
            leaders[a.session].add(a.person)
    return leaders


def capacity(data: IndexData) -> Component:
    """Residents who moved into leading ÷ residents who took part in the period.

    *Moved into leading*: led or co-led a session in the period, having first been present
    at an earlier session without leading it (as an attendee or helper).
    """
    residents = participants(data) - data.staff
    present = present_at(data)
    leaders = _leaders(data)
    first_led: dict[int, datetime] = {}
    first_followed: dict[int, datetime] = {}
    for session in sorted(data.sessions, key=lambda s: (s.starts_at, s.id)):
        for person in present[session.id]:
            target = first_led if person in leaders[session.id] else first_followed
            target.setdefault(person, session.starts_at)
    led_in_period = {p for s in _in_period(data) for p in leaders[s.id]}
    moved = sum(
        1
        for person in residents & led_in_period
        if person in first_followed and first_followed[person] < first_led.get(person, data.end)
    )
    return _share(moved, len(residents))


def mutuality(data: IndexData) -> Component:
    """Participants who both earned and spent time credits in the period ÷ participants."""
    people = participants(data)
    earned: set[int] = set()
    spent: set[int] = set()
    for entry in data.entries:
        if data.start <= entry.at < data.end and entry.person in people:
            (earned if entry.minutes > 0 else spent).add(entry.person)
    return _share(len(earned & spent), len(people))


def _pairs(groups: Iterable[Iterable[int]]) -> set[tuple[int, int]]:
    return {(a, b) for group in groups for a, b in combinations(sorted(set(group)), 2)}


def networks(data: IndexData) -> Component:
    """New ties ÷ participants, capped at 1 (one new tie per participant on average is full marks).

    A *tie* is a pair of people present at the same session in the period, or on two sides
    of the same transfer in the period; it is *new* when the two had no transfer together
    before the period started.
    """
    people = participants(data)
    present = present_at(data)
    by_transfer_before: dict[int, set[int]] = defaultdict(set)
    by_transfer_during: dict[int, set[int]] = defaultdict(set)
    for entry in data.entries:
        if entry.at < data.start:
            by_transfer_before[entry.transfer].add(entry.person)
        elif entry.at < data.end:
            by_transfer_during[entry.transfer].add(entry.person)
    earlier = _pairs(by_transfer_before.values())
    during = _pairs(present[s.id] for s in _in_period(data)) | _pairs(by_transfer_during.values())
    new = len(during - earlier)
    if not people:
        return Component(None, new, 0)
    return Component(min(1.0, new / len(people)), new, len(people))


def shared_roles(data: IndexData) -> Component:
    """The mean of (resident delivery minutes ÷ all delivery minutes) and (decision responses
    from residents ÷ all decision responses), over the parts that have any data."""
    delivered = delivery_minutes(data)
    total = sum(m for m, _led in delivered.values())
    by_residents = sum(
        m for (_s, person), (m, _led) in delivered.items() if person not in data.staff
    )
    responses = len(data.decision_responders)
    resident_responses = sum(1 for p in data.decision_responders if p not in data.staff)
    parts = [
        share
        for share in (
            by_residents / total if total else None,
            resident_responses / responses if responses else None,
        )
        if share is not None
    ]
    if not parts:
        return Component(None, 0, 0)
    return Component(sum(parts) / len(parts), sum(parts), len(parts))


def catalysts(data: IndexData) -> Component:
    """Staff delivery minutes in sessions that staff member did not lead ÷ all staff delivery minutes.

    Co-leading or helping at a session someone else leads is facilitating; leading is delivering.
    """
    leads = {s.id: s.lead for s in _in_period(data)}
    facilitating = delivering = 0
    for (session, person), (minutes, _led) in delivery_minutes(data).items():
        if person not in data.staff:
            continue
        if leads.get(session) == person:
            delivering += minutes
        else:
            facilitating += minutes
    return _share(facilitating, facilitating + delivering)


def self_assessment_averages(
    rows: Iterable[Mapping[str, int]],
) -> tuple[dict[str, float | None], int]:
    """The mean 1–5 score under each heading, and how many people answered."""
    listed = list(rows)
    averages: dict[str, float | None] = {
        h: (sum(r[h] for r in listed) / len(listed) if listed else None) for h in HEADINGS
    }
    return averages, len(listed)


def ladder(data: IndexData) -> Ladder:
    """The highest rung of the participation ladder that the evidence reaches.

    inform: sessions are published; consult: residents commented, endorsed, pledged or
    checked in; co-design: residents took part in the decision or run the service;
    co-produce: residents led sessions or delivered hours.
    """
    evidence: list[tuple[str, str]] = []
    if data.sessions:
        evidence.append(
            (
                "inform",
                ngettext("%(n)d session published", "%(n)d sessions published", len(data.sessions))
                % {"n": len(data.sessions)},
            )
        )
    if data.resident_voices:
        evidence.append(
            (
                "consult",
                ngettext(
                    "%(n)d resident commented, endorsed, pledged or checked in",
                    "%(n)d residents commented, endorsed, pledged or checked in",
                    data.resident_voices,
                )
                % {"n": data.resident_voices},
            )
        )
    resident_responses = sum(1 for p in data.decision_responders if p not in data.staff)
    if resident_responses:
        evidence.append(
            (
                "co-design",
                ngettext(
                    "%(n)d decision response from residents",
                    "%(n)d decision responses from residents",
                    resident_responses,
                )
                % {"n": resident_responses},
            )
        )
    if data.resident_service_leads:
        evidence.append(
            (
                "co-design",
                ngettext(
                    "%(n)d resident runs the service",
                    "%(n)d residents run the service",
                    data.resident_service_leads,
                )
                % {"n": data.resident_service_leads},
            )
        )
    delivered = delivery_minutes(data)
    resident_leaders = {
        p for (_s, p), (_m, led) in delivered.items() if led and p not in data.staff
    }
    resident_minutes = sum(m for (_s, p), (m, _led) in delivered.items() if p not in data.staff)
    if resident_leaders:
        evidence.append(
            (
                "co-produce",
                ngettext(
                    "%(n)d resident led sessions",
                    "%(n)d residents led sessions",
                    len(resident_leaders),
                )
                % {"n": len(resident_leaders)},
            )
        )
    if resident_minutes:
        evidence.append(
            (
                "co-produce",
                _("%(t)s delivered by residents") % {"t": format_minutes(resident_minutes)},
            )
        )
    rung = max((LADDER.index(r) for r, _text in evidence), default=0)
    return Ladder(LADDER[rung], tuple(evidence))


def coproduction_index(data: IndexData) -> IndexResult:
    """All six components, the self-assessment averages beside them, and the ladder placement."""
    averages, answered = self_assessment_averages(data.self_assessments)
    return IndexResult(
        components={
            "assets": assets(data),
            "capacity": capacity(data),
            "mutuality": mutuality(data),
            "networks": networks(data),
            "shared_roles": shared_roles(data),
            "catalysts": catalysts(data),
        },
        self_assessment=averages,
        self_assessment_count=answered,
        ladder=ladder(data),
        participants=len(participants(data)),
    )
