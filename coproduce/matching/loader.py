"""Reads what matching needs from the database into the plain arrays of scoring.py.

Every function here makes a fixed number of queries whatever the number of people and
listings (DESIGN rule 6): one per kind of fact, never one per person.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.conf.locale import LANG_INFO
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from coproduce.communities.models import Community, Membership, MembershipQuerySet
from coproduce.coproduction.models import Pledge, RoleAssignment, Service, ServiceRole, Session
from coproduce.exchanges.models import Listing
from coproduce.ledger.models import Account, Entry, Transfer
from coproduce.lib.weekly import WindowError, windows_from_json
from coproduce.matching.models import Match, MatchingSettings, MatchRun
from coproduce.matching.scoring import (
    HOUR_WORDS,
    Helpers,
    IntArray,
    Needs,
    Vocabulary,
    Weights,
    bits,
    hour_words,
    keys,
    project,
)
from coproduce.people.models import (
    AccessSupport,
    Asset,
    Availability,
    Gender,
    SafeguardingCheck,
    Skill,
)

ASKED_DAYS = 30
GENDER_CODES: dict[str, int] = {Gender.WOMAN: 1, Gender.MAN: 2, Gender.NON_BINARY: 3}
ACCESS_CODES = {value: code for code, value in enumerate(AccessSupport.values)}


@dataclass
class Person:
    """What matching knows of one member of the community."""

    user_id: int
    name: str
    lat: float | None = None
    lng: float | None = None
    travel_km: float = 3.0
    remote: bool = False
    windows: list[tuple[int, int, int]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    access_needs: list[str] = field(default_factory=list)
    access_offers: list[str] = field(default_factory=list)
    gender: str = ""
    checked: bool = False
    balance: int = 0
    given: int = 0
    rejected: int = 0
    asked: int = 0
    skills: set[int] = field(default_factory=set)


@dataclass
class Context:
    """The community's taxonomy and vocabulary, shared by every load."""

    community: Community
    weights: Weights
    capacity: int
    min_score: int
    vocabulary: Vocabulary
    category_of: dict[int, int]
    centre: tuple[float, float]
    language_codes: dict[str, int] = field(default_factory=dict)

    def language_bits(self, languages: list[str]) -> int:
        codes = []
        for language in languages:
            if language not in self.language_codes and len(self.language_codes) < 64:
                self.language_codes[language] = len(self.language_codes)
                self.vocabulary.languages.append(language)
            if language in self.language_codes:
                codes.append(self.language_codes[language])
        return bits(codes)


def settings_for(community: Community) -> MatchingSettings:
    """The community's settings, or the defaults (unsaved) when none were chosen."""
    found = MatchingSettings.objects.filter(community=community).first()
    return found or MatchingSettings(community=community)


def context(community: Community) -> Context:
    """Settings and taxonomy: two queries."""
    chosen = settings_for(community)
    weights = Weights(
        skill=chosen.weight_skill,
        distance=chosen.weight_distance,
        availability=chosen.weight_availability,
        language=chosen.weight_language,
        access=chosen.weight_access,
        reciprocity=chosen.weight_reciprocity,
        load=chosen.weight_load,
        feedback=chosen.weight_feedback,
    )
    skills = list(Skill.objects.filter(community=community).select_related("category"))
    home = set(community.languages or []) or {"en"}
    vocabulary = Vocabulary(
        language_names={code: str(info.get("name", code)) for code, info in LANG_INFO.items()},
        access=list(AccessSupport.values),
        access_names={str(v): str(label) for v, label in AccessSupport.choices},
        home_languages=frozenset(home),
        skill_names={s.pk: s.name for s in skills},
        category_names={s.category_id: s.category.name for s in skills},
    )
    return Context(
        community=community,
        weights=weights,
        capacity=chosen.helper_capacity,
        min_score=chosen.min_score,
        vocabulary=vocabulary,
        category_of={s.pk: s.category_id for s in skills},
        centre=(community.centre_lat, community.centre_lng),
    )


def _counted(rows: QuerySet[Any], key: str) -> Coalesce:
    """The number of `rows` for the outer row's member, as a subquery (0 when none)."""
    return Coalesce(
        Subquery(rows.order_by().values(key).annotate(n=Count("pk")).values("n")[:1]), 0
    )


def _facts(community: Community, today: date) -> dict[str, Any]:
    """The helper facts of `people` as subqueries of the row query: one query for a few
    people instead of five, each over the rows of those few."""
    user = OuterRef("user_id")
    valid = Q(expires_on__isnull=True) | Q(expires_on__gt=today)
    entries = Entry.objects.filter(
        community=community,
        account__kind=Account.Kind.MEMBER,
        account__user_id=user,
        amount_minutes__gt=0,
        transfer__kind__in=[Transfer.Kind.EXCHANGE, Transfer.Kind.GROUP],
    )
    return {
        "checked": Exists(
            SafeguardingCheck.objects.filter(
                community=community, user_id=user, issued_on__lte=today
            ).filter(valid)
        ),
        "balance": Coalesce(
            Subquery(
                Account.objects.filter(
                    community=community, kind=Account.Kind.MEMBER, user_id=user
                ).values("balance_minutes")[:1]
            ),
            0,
        ),
        "given": _counted(
            entries.filter(transfer__state=Transfer.State.COMPLETED), "account__user_id"
        ),
        "rejected": _counted(
            entries.filter(transfer__state=Transfer.State.REJECTED), "account__user_id"
        ),
        "asked": _counted(
            Match.objects.filter(
                community=community,
                helper_id=user,
                state=Match.State.SENT,
                sent_at__gte=timezone.now() - timedelta(days=ASKED_DAYS),
            ),
            "helper_id",
        ),
    }


def people(
    community: Community,
    members: MembershipQuerySet,
    *,
    today: date | None = None,
    full: bool = True,
    few: bool = False,
    skills: bool = True,
) -> dict[int, Person]:
    """Facts about the members in `members` (active ones), in seven queries; with
    `full=False`, only what a need takes from its owner (place, times, languages, access
    needs), in two. With `few=True` (a page about a few people) the helper facts come as
    subqueries of the row query: three queries, or two with `skills=False` (when the
    skills that count are not the person's, e.g. an offer's own)."""
    today = today or timezone.localdate()
    chosen = (
        members.filter(community=community)
        .active()
        .select_related("user__profile", "neighbourhood")
        .order_by("user_id")
    )
    if full and few:
        chosen = chosen.annotate(**_facts(community, today))
    rows = list(chosen)
    found: dict[int, Person] = {}
    for m in rows:
        profile = getattr(m.user, "profile", None)
        lat, lng = m.lat, m.lng
        if lat is None and m.neighbourhood is not None:
            lat, lng = m.neighbourhood.lat, m.neighbourhood.lng
        found[m.user_id] = Person(
            user_id=m.user_id,
            name=profile.display_name if profile else str(m.user),
            lat=lat,
            lng=lng,
            travel_km=float(m.can_travel_km),
            remote=m.works_remotely,
            languages=list(profile.languages) if profile else [],
            access_needs=list(profile.access_needs) if profile else [],
            access_offers=list(profile.access_offers) if profile else [],
            gender=profile.gender if profile else "",
        )
        if full and few:
            person = found[m.user_id]
            person.checked = m.checked  # type: ignore[attr-defined]
            person.balance = m.balance  # type: ignore[attr-defined]
            person.given = m.given  # type: ignore[attr-defined]
            person.rejected = m.rejected  # type: ignore[attr-defined]
            person.asked = m.asked  # type: ignore[attr-defined]
    ids = members.filter(community=community).active().values("user_id")
    for a in Availability.objects.filter(community=community, user_id__in=ids).values_list(
        "user_id", "weekday", "start_minute", "end_minute"
    ):
        found[a[0]].windows.append((a[1], a[2], a[3]))
    if not full:
        return found
    if few:
        if skills:
            _add_skills(community, ids, found)
        return found
    valid = Q(expires_on__isnull=True) | Q(expires_on__gt=today)
    for user_id in (
        SafeguardingCheck.objects.filter(community=community, user_id__in=ids, issued_on__lte=today)
        .filter(valid)
        .values_list("user_id", flat=True)
    ):
        found[user_id].checked = True
    for user_id, balance in Account.objects.filter(
        community=community, kind=Account.Kind.MEMBER, user_id__in=ids
    ).values_list("user_id", "balance_minutes"):
        found[user_id].balance = balance
    exchanges = (
        Entry.objects.filter(
            community=community,
            account__kind=Account.Kind.MEMBER,
            account__user_id__in=ids,
            amount_minutes__gt=0,
            transfer__kind__in=[Transfer.Kind.EXCHANGE, Transfer.Kind.GROUP],
        )
        .values("account__user_id")
        .annotate(
            given=Count("pk", filter=Q(transfer__state=Transfer.State.COMPLETED)),
            rejected=Count("pk", filter=Q(transfer__state=Transfer.State.REJECTED)),
        )
    )
    for row in exchanges:
        person = found[row["account__user_id"]]
        person.given, person.rejected = row["given"], row["rejected"]
    since = timezone.now() - timedelta(days=ASKED_DAYS)
    for row in (
        Match.objects.filter(
            community=community, helper_id__in=ids, state=Match.State.SENT, sent_at__gte=since
        )
        .values("helper_id")
        .annotate(n=Count("pk"))
    ):
        found[row["helper_id"]].asked = row["n"]
    _add_skills(community, ids, found)
    return found


def _add_skills(community: Community, ids: QuerySet[Any], found: dict[int, Person]) -> None:
    for user_id, skill_id in Asset.objects.filter(
        community=community, user_id__in=ids, kind=Asset.Kind.SKILL, offered=True
    ).values_list("user_id", "skill_id"):
        if skill_id is not None:
            found[user_id].skills.add(skill_id)


def helpers_from(
    ctx: Context, items: list[tuple[Person, set[int]]], *, capacity: int | None = None
) -> Helpers:
    """Helper arrays, one row per (person, skills) item: a member with all they offer, or
    an offer listing with its one skill."""
    count = len(items)
    hours = np.zeros((count, HOUR_WORDS), dtype=np.uint64)
    skill_owner: list[int] = []
    skill_code: list[int] = []
    cat_owner: list[int] = []
    cat_code: list[int] = []
    for row, (person, skills) in enumerate(items):
        hours[row] = hour_words(person.windows)
        for skill in skills:
            skill_owner.append(row)
            skill_code.append(skill)
            if skill in ctx.category_of:
                cat_owner.append(row)
                cat_code.append(ctx.category_of[skill])
    people_ = [p for p, _s in items]
    return Helpers(
        ids=np.array([p.user_id for p in people_], dtype=np.int64),
        xy=project([p.lat for p in people_], [p.lng for p in people_], ctx.centre),
        travel_km=np.array([p.travel_km for p in people_], dtype=np.float64),
        remote=np.array([p.remote for p in people_], dtype=np.bool_),
        skill_keys=keys(skill_owner, skill_code),
        category_keys=keys(cat_owner, cat_code),
        hours=hours,
        languages=np.array([ctx.language_bits(p.languages) for p in people_], dtype=np.uint64),
        access=np.array(
            [
                bits([ACCESS_CODES[a] for a in p.access_offers if a in ACCESS_CODES])
                for p in people_
            ],
            dtype=np.uint64,
        ),
        checked=np.array([p.checked for p in people_], dtype=np.bool_),
        gender=np.array([GENDER_CODES.get(p.gender, 0) for p in people_], dtype=np.int64),
        balance=np.array([p.balance for p in people_], dtype=np.int64),
        given=np.array([p.given for p in people_], dtype=np.int64),
        rejected=np.array([p.rejected for p in people_], dtype=np.int64),
        asked=np.array([p.asked for p in people_], dtype=np.int64),
        capacity=np.full(count, capacity or ctx.capacity, dtype=np.int64),
    )


@dataclass
class NeedRow:
    """One need as the loader read it: a request listing or a service role."""

    id: int
    owner_id: int
    title: str
    skill_id: int | None
    lat: float | None
    lng: float | None
    remote: bool
    windows: list[tuple[int, int, int]]
    languages: list[str]
    access: list[str]
    checked_only: bool
    gender: str
    pledged: set[int] = field(default_factory=set)


def needs_from(ctx: Context, rows: list[NeedRow]) -> Needs:
    count = len(rows)
    hours = np.zeros((count, HOUR_WORDS), dtype=np.uint64)
    for i, row in enumerate(rows):
        hours[i] = hour_words(row.windows)
    skill = np.array([r.skill_id if r.skill_id is not None else -1 for r in rows], dtype=np.int64)
    return Needs(
        ids=np.array([r.id for r in rows], dtype=np.int64),
        owner=np.array([r.owner_id for r in rows], dtype=np.int64),
        xy=project([r.lat for r in rows], [r.lng for r in rows], ctx.centre),
        skill=skill,
        category=np.array([ctx.category_of.get(int(s), -1) for s in skill], dtype=np.int64),
        remote=np.array([r.remote for r in rows], dtype=np.bool_),
        hours=hours,
        languages=np.array([ctx.language_bits(r.languages) for r in rows], dtype=np.uint64),
        access=np.array(
            [bits([ACCESS_CODES[a] for a in r.access if a in ACCESS_CODES]) for r in rows],
            dtype=np.uint64,
        ),
        checked_only=np.array([r.checked_only for r in rows], dtype=np.bool_),
        gender=np.array([GENDER_CODES.get(r.gender, 0) for r in rows], dtype=np.int64),
    )


def _windows(data: object) -> list[tuple[int, int, int]]:
    try:
        return [(w.weekday, w.start, w.end) for w in windows_from_json(data)]
    except WindowError:
        return []


def request_rows(listings: list[Listing], owners: dict[int, Person]) -> list[NeedRow]:
    """Needs from open requests; what a request does not say comes from its owner (where
    they are, when they are free, their languages and access needs)."""
    rows = []
    for listing in listings:
        owner = owners.get(listing.owner_id) or Person(user_id=listing.owner_id, name="")
        lat, lng = listing.lat, listing.lng
        if lat is None:
            lat, lng = owner.lat, owner.lng
        rows.append(
            NeedRow(
                id=listing.pk,
                owner_id=listing.owner_id,
                title=listing.title,
                skill_id=listing.skill_id,
                lat=lat,
                lng=lng,
                remote=listing.remote,
                windows=_windows(listing.windows) or owner.windows,
                languages=owner.languages,
                access=owner.access_needs,
                checked_only=listing.needs_checked_helper,
                gender=listing.helper_gender,
            )
        )
    return rows


def open_requests(community: Community) -> QuerySet[Listing]:
    return (
        Listing.objects.filter(community=community, kind=Listing.Kind.REQUEST)
        .open()
        .filter(owner__is_active=True)
        .order_by("id")
    )


@dataclass
class Batch:
    """Everything a batch run solves over."""

    ctx: Context
    needs: Needs
    helpers: Helpers
    need_rows: list[NeedRow]
    people: dict[int, Person]


def batch(community: Community, *, today: date | None = None) -> Batch:
    """All open requests against all active members: ten queries whatever the size."""
    ctx = context(community)
    everyone = people(community, Membership.objects.all(), today=today)
    listings = list(open_requests(community))
    rows = request_rows(listings, everyone)
    helpers = [(p, p.skills) for p in everyone.values()]
    return Batch(
        ctx=ctx,
        needs=needs_from(ctx, rows),
        helpers=helpers_from(ctx, helpers),
        need_rows=rows,
        people=everyone,
    )


def grouped(pairs: list[tuple[int, int]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for a, b in pairs:
        found[a].append(b)
    return found


def _session_windows(service: Service, now: datetime) -> list[tuple[int, int, int]]:
    """The weekly times of the service's coming sessions (at most the next 50)."""
    windows = set()
    for session in Session.objects.filter(
        service=service, state=Session.State.SCHEDULED, starts_at__gte=now
    ).order_by("starts_at")[:50]:
        start = timezone.localtime(session.starts_at)
        first = start.hour * 60 + start.minute
        windows.add((start.weekday(), first, min(first + session.duration_minutes, 1440)))
    return sorted(windows)


def _role_rows(
    service: Service, roles: Sequence[ServiceRole], pledges: list[tuple[int, int]], now: datetime
) -> list[NeedRow]:
    windows = _session_windows(service, now)
    place = service.proposal.neighbourhood if service.proposal else None
    by_needed_role = grouped(pledges)
    return [
        NeedRow(
            id=role.pk,
            owner_id=0,
            title=f"{service.title}: {role.title}",
            skill_id=role.skill_id,
            lat=place.lat if place else None,
            lng=place.lng if place else None,
            remote=False,
            windows=windows,
            languages=[],
            access=[],
            checked_only=role.safeguarding_required,
            gender="",
            pledged=set(by_needed_role.get(role.needed_role_id or 0, [])),
        )
        for role in roles
    ]


def _pledges(service: Service) -> list[tuple[int, int]]:
    """(needed role, person) of the time pledged to the roles of the service's proposal."""
    if service.proposal_id is None:
        return []
    return list(
        Pledge.objects.filter(
            community=service.community,
            proposal_id=service.proposal_id,
            kind=Pledge.Kind.TIME,
            state__in=[Pledge.State.ACTIVE, Pledge.State.HELD],
            role__isnull=False,
        ).values_list("role_id", "pledger_id")
    )


def _with_pledges(needs: Needs, rows: list[NeedRow], helper_ids: IntArray) -> Needs:
    position = {int(u): i for i, u in enumerate(helper_ids.tolist())}
    found = [
        n << 32 | position[u] for n, row in enumerate(rows) for u in row.pledged if u in position
    ]
    needs.pledged = np.unique(np.array(found, dtype=np.int64))
    return needs


def roles(service: Service, *, today: date | None = None) -> Batch:
    """The service's roles that nobody holds or has been offered, against every active
    member, each of whom may take one role: thirteen queries whatever the size."""
    community = service.community
    ctx = context(community)
    now = timezone.now()
    taken = RoleAssignment.objects.filter(
        role=OuterRef("pk"),
        state__in=[RoleAssignment.State.OFFERED, RoleAssignment.State.ACCEPTED],
    )
    open_roles = list(
        ServiceRole.objects.filter(service=service)
        .annotate(taken=Exists(taken))
        .filter(taken=False)
        .order_by("pk")
    )
    service = Service.objects.select_related("proposal__neighbourhood").get(pk=service.pk)
    rows = _role_rows(service, open_roles, _pledges(service), now)
    everyone = people(community, Membership.objects.all(), today=today)
    helpers = helpers_from(ctx, [(p, p.skills) for p in everyone.values()], capacity=1)
    needs = _with_pledges(needs_from(ctx, rows), rows, helpers.ids)
    return Batch(ctx=ctx, needs=needs, helpers=helpers, need_rows=rows, people=everyone)


def pairs_data(
    run: MatchRun, *, need_ids: list[int], helper_ids: list[int], today: date | None = None
) -> Batch:
    """Needs and helpers for a few named pairs of a run, in the order given."""
    community = run.community
    ctx = context(community)
    users = set(helper_ids)
    listings: dict[int, Listing] = {}
    if run.kind == MatchRun.Kind.ROLES and run.service_id is not None:
        service = Service.objects.select_related("proposal__neighbourhood").get(pk=run.service_id)
        found = {r.pk: r for r in ServiceRole.objects.filter(service=service, pk__in=need_ids)}
        rows = _role_rows(service, [found[i] for i in need_ids], _pledges(service), timezone.now())
        capacity = 1
    else:
        listings = {
            listing.pk: listing
            for listing in Listing.objects.filter(community=community, pk__in=need_ids)
        }
        users |= {listing.owner_id for listing in listings.values()}
        capacity = ctx.capacity
    known = people(community, Membership.objects.filter(user_id__in=users), today=today)
    if listings:
        rows = request_rows([listings[i] for i in need_ids], known)
    persons = [known.get(u) or Person(user_id=u, name="") for u in helper_ids]
    items = [(p, p.skills) for p in persons]
    helpers = helpers_from(ctx, items, capacity=capacity)
    needs = _with_pledges(needs_from(ctx, rows), rows, helpers.ids)
    return Batch(ctx=ctx, needs=needs, helpers=helpers, need_rows=rows, people=known)


def session_leads(session: Session, *, today: date | None = None) -> Batch:
    """A session to lead as one need, against every active member: its service's first
    role with a skill names the skill, the session's own time the hours, the proposal's
    neighbourhood the place; people who hold a role in the service or pledged time to it
    count as pledged. A service with a role that needs a safeguarding check only takes
    leads with a current check. Fourteen queries whatever the size."""
    community = session.community
    ctx = context(community)
    service = Service.objects.select_related("proposal__neighbourhood").get(pk=session.service_id)
    service_roles = list(ServiceRole.objects.filter(service=service).order_by("pk"))
    holders = RoleAssignment.objects.filter(
        role__service=service,
        state__in=[RoleAssignment.State.OFFERED, RoleAssignment.State.ACCEPTED],
    ).values_list("person_id", flat=True)
    pledged = set(holders) | {person for _role, person in _pledges(service)}
    start = timezone.localtime(session.starts_at)
    first = start.hour * 60 + start.minute
    place = service.proposal.neighbourhood if service.proposal else None
    row = NeedRow(
        id=session.pk,
        owner_id=0,
        title=service.title,
        skill_id=next((r.skill_id for r in service_roles if r.skill_id is not None), None),
        lat=place.lat if place else None,
        lng=place.lng if place else None,
        remote=False,
        windows=[(start.weekday(), first, min(first + session.duration_minutes, 1440))],
        languages=[],
        access=[],
        checked_only=any(r.safeguarding_required for r in service_roles),
        gender="",
        pledged=pledged,
    )
    everyone = people(community, Membership.objects.all(), today=today)
    helpers = helpers_from(ctx, [(p, p.skills) for p in everyone.values()], capacity=1)
    needs = _with_pledges(needs_from(ctx, [row]), [row], helpers.ids)
    return Batch(ctx=ctx, needs=needs, helpers=helpers, need_rows=[row], people=everyone)
