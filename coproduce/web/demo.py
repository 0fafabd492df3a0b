"""The Riverside demo community: realistic, deterministic, built through the services.

The same seed and size give the same people, skills, places, listings and conversations
every time (dates are relative to today). Five personas with a known password can sign in
and try every role. Up to `BULK_LISTINGS_FROM` members, each listing is made one by one
with `listing_create`, as its owner would; above that a coordinator imports them in bulk
with `listings_import` for the members who let a coordinator act for them, so that 100,000
members build in a few minutes.

The ledger gets nine months of history, about ten transfers a member (at most
`MAX_TRANSFERS`, because each one goes through the ledger's services with its locks and
checks): exchanges, workshops, awards, donations, grants, a limit change and reversals.

Co-production gets seven proposals, one at each stage, and three running services (a peer
support group that came out of an accepted proposal, a repair café and a walking group), each
with a season of weekly sessions whose registers pay credits by the service's rule. That part
is the same size whatever the number of members (`_Coproduction`).

Then each later capability adds its part from its own `demo.build` (`EXTRAS`): matching
settings and a solved batch, local reports and knowledge with help paid in credits,
outcome answers before and after, and the directory switched on.

Every write goes through a service, except five that have none: the admin persona's user
(Django's `create_superuser`, as `createsuperuser` makes one), allauth's verified e-mail
rows that let the personas sign in, `demo_reset`, which deletes the whole community, and
the back-dating of the ledger's transfers to the moments of the story (`_History.backdate`;
entries are untouched), and the same for the credits of past sessions
(`_Coproduction.backdate`). The words (names, listings, messages, organisations, what the
ledger's hours were for, and the proposals) are in data/demo.toml.
"""

import functools
import itertools
import operator
import random
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pgtrigger
from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import models, transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    ProtectedError,
    Q,
    RestrictedError,
    Sum,
    Value,
    When,
)
from django.test.utils import override_settings
from django.utils import timezone

from coproduce.audit.models import AuditEvent
from coproduce.audit.services import audit_forget_demo
from coproduce.communities.models import Community, Membership, Neighbourhood, Organisation, Role
from coproduce.communities.services import (
    community_create,
    neighbourhood_add,
    organisation_create,
    organisation_member_add,
)
from coproduce.coproduction.index import HEADINGS
from coproduce.coproduction.models import (
    Attendance,
    Decision,
    NeededRole,
    Pledge,
    Proposal,
    RoleAssignment,
    Service,
    Session,
)
from coproduce.coproduction.selectors import service_index_to_date
from coproduce.coproduction.services import (
    RoleSpec,
    assignment_accept,
    attendance_record,
    check_in_answer,
    decision_close,
    decision_respond,
    milestone_add,
    pledge_create,
    proposal_draft,
    proposal_evaluate,
    proposal_open,
    proposal_withdraw,
    role_offer,
    self_assessment_save,
    service_create,
    service_create_from_proposal,
    service_role_add,
    service_schedule_sessions,
    signup_create,
)
from coproduce.directory import demo as directory_demo
from coproduce.evidence import demo as evidence_demo
from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.exchanges.services import (
    contact_share,
    conversation_start,
    listing_create,
    listing_set_state,
    listings_import,
    message_send,
)
from coproduce.insight import demo as insight_demo
from coproduce.insight.models import HelpOffer
from coproduce.ledger.models import Account, Category, FirstExchange, Transfer
from coproduce.ledger.services import (
    Leg,
    LimitExceeded,
    account_for_member,
    account_pot,
    account_set_limits,
    transfer_award,
    transfer_confirm,
    transfer_donate,
    transfer_grant,
    transfer_group,
    transfer_record,
    transfer_reject,
    transfer_reverse,
)
from coproduce.ledger.summary import summary_rebuild
from coproduce.lib.weekly import Window, windows_to_json
from coproduce.matching import demo as matching_demo
from coproduce.people.models import Asset, Consent, SafeguardingCheck, Skill, User
from coproduce.people.services import (
    PersonRow,
    consent_give,
    location_set,
    people_import,
    profile_update,
    safeguarding_check_record,
)

SLUG = "riverside"
NAME = "Riverside"
PASSWORD = "riverside-demo"
DEFAULT_MEMBERS = 300
DEFAULT_SEED = 2025
MIN_MEMBERS = 20
BULK_LISTINGS_FROM = 2000
MAX_CONVERSATIONS = 200

CENTRE = (51.457, -0.969)
BOUNDS = (CENTRE[0] - 0.04, CENTRE[0] + 0.04, CENTRE[1] - 0.06, CENTRE[1] + 0.06)
DESCRIPTION = (
    "Riverside is a time bank and co-production network for the neighbourhoods along the "
    "river and the canal, from Northfield down to Hillcrest. Neighbours swap an hour of help "
    "for an hour of help: lifts to appointments, a hand in the garden, a friendly phone call, "
    "help with forms and phones. The GP practice, the library, the neighbourhood policing team, "
    "the food bank and local groups design services here together with the people who use them. "
    "Everyone's hour is worth the same."
)
LANGUAGES = ["en", "pl", "ur", "bn", "ar", "so", "ro"]

NEIGHBOURHOODS = [
    ("Old Town", 51.456, -0.975),
    ("Market Square", 51.455, -0.966),
    ("Station Quarter", 51.462, -0.985),
    ("Riverbank", 51.468, -0.958),
    ("Northfield", 51.486, -0.978),
    ("Elm Park", 51.441, -0.996),
    ("Hillcrest", 51.428, -0.951),
    ("Canal Side", 51.452, -0.940),
    ("Westbury", 51.447, -1.013),
    ("Brookfield", 51.476, -0.925),
]


@dataclass(frozen=True)
class Persona:
    key: str
    role_label: str
    email: str
    display_name: str
    role: str
    try_this: str


PERSONAS = [
    Persona(
        "admin",
        "administrator",
        "admin@riverside.example",
        "Sam Okafor",
        Role.ADMIN,
        "/admin/ (site staff); Coordinate: roles, invitations, applications",
    ),
    Persona(
        "coordinator",
        "coordinator",
        "coordinator@riverside.example",
        "Grace Adeyemi",
        Role.COORDINATOR,
        "Coordinate: register an offline member, record consents and checks",
    ),
    Persona(
        "nurse",
        "professional",
        "nurse@riverside.example",
        "Priya Sharma",
        Role.PROFESSIONAL,
        "Organisations: Riverside Medical Practice, where she is the community nurse",
    ),
    Persona(
        "member",
        "member",
        "member@riverside.example",
        "Tom Walsh",
        Role.MEMBER,
        "answer Edith's video-call request; reply to her in Messages",
    ),
    Persona(
        "neighbour",
        "member",
        "neighbour@riverside.example",
        "Edith Hughes",
        Role.MEMBER,
        "Messages: Tom's lift offer, where only Edith has shared her contact",
    ),
]


# Language skills in the taxonomy, by language code.
LANGUAGE_SKILLS = {
    "pl": "polish",
    "ur": "urdu",
    "bn": "bengali",
    "ar": "arabic",
    "so": "somali",
    "ro": "romanian",
}
MORNINGS, AFTERNOONS, EVENINGS, WEEKENDS = "mornings", "afternoons", "evenings", "weekends"
PATTERNS: dict[str, tuple[range, int, int]] = {
    MORNINGS: (range(0, 5), 9 * 60, 12 * 60),
    AFTERNOONS: (range(0, 5), 13 * 60, 17 * 60),
    EVENINGS: (range(0, 5), 18 * 60, 21 * 60),
    WEEKENDS: (range(5, 7), 10 * 60, 16 * 60),
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
DAYPARTS = ("mornings", "afternoons", "evenings", "weekends")
CONTENT_FILE = Path(__file__).resolve().parent / "data" / "demo.toml"


@dataclass(frozen=True)
class Background:
    """Where a family's names come from, and the language some of them speak at home."""

    weight: int
    language: str
    first_names: list[str]
    surnames: list[str]


@dataclass(frozen=True)
class Idea:
    """What an offer or request says; `weekday` makes it a one-off on the next such day."""

    skill: str
    title: str
    text: str
    weekday: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    kind: str
    description: str
    email: str
    phone: str
    area: str
    website: str = ""


@dataclass(frozen=True)
class Workshop:
    """A monthly workshop: a member with the skill runs it, each attendee gives them the time."""

    skill: str
    title: str
    value: str
    minutes: int


@dataclass(frozen=True)
class AwardPlan:
    """An organisation that awards credits every month to volunteers with one of `skills`."""

    organisation: str
    recorded_by: str
    skills: list[str]
    work: list[dict[str, str]]


@dataclass(frozen=True)
class HistoryWords:
    value_by_category: dict[str, str]
    value_by_skill: dict[str, str]
    reject_reasons: list[str]
    reversal_reasons: list[str]
    limit_reason: str
    grant_reasons: list[str]
    workshops: list[Workshop]
    awards: list[AwardPlan]


@dataclass(frozen=True)
class Content:
    """The words of the demo (data/demo.toml), apart from the code that arranges them."""

    backgrounds: list[Background]
    things: list[str]
    interests: list[str]
    jobs: list[str]
    bios: list[str]
    remote_skills: frozenset[str]
    offers: dict[str, list[Idea]]
    requests: dict[str, list[Idea]]
    messages: dict[str, list[str]]
    organisations: list[OrganisationSpec]
    history: HistoryWords


@functools.cache
def content() -> Content:
    data = tomllib.loads(CONTENT_FILE.read_text(encoding="utf-8"))
    history = data["history"]
    banks: dict[str, dict[str, list[Idea]]] = {"offers": {}, "requests": {}}
    for kind, bank in banks.items():
        for item in data[kind]:
            bank.setdefault(item["skill"], []).append(Idea(**item))
    return Content(
        backgrounds=[
            Background(b["weight"], b["language"], b["first_names"].split(), b["surnames"].split())
            for b in data["backgrounds"]
        ],
        things=data["things"],
        interests=data["interests"],
        jobs=data["jobs"],
        bios=data["bios"],
        remote_skills=frozenset(data["remote_skills"]),
        offers=banks["offers"],
        requests=banks["requests"],
        messages=data["messages"],
        organisations=[OrganisationSpec(**o) for o in data["organisations"]],
        history=HistoryWords(
            **{
                **history,
                "workshops": [Workshop(**w) for w in history["workshops"]],
                "awards": [AwardPlan(**a) for a in history["awards"]],
            }
        ),
    )


@dataclass(frozen=True)
class Staff:
    """A member who acts for an organisation; the first rows of every demo."""

    display_name: str
    email: str
    role: str
    organisation: str
    org_role: str
    title: str


STAFF = [
    Staff(
        "Helen Carter",
        "helen.carter@riverside-medical.example",
        Role.PROFESSIONAL,
        "Riverside Medical Practice",
        "manager",
        "Practice manager",
    ),
    Staff(
        "Daniel Osei",
        "daniel.osei@council.example",
        Role.PROFESSIONAL,
        "Riverside Library",
        "manager",
        "Community librarian",
    ),
    Staff(
        "Gareth Evans",
        "gareth.evans@police.example",
        Role.PROFESSIONAL,
        "Riverside Neighbourhood Policing Team",
        "staff",
        "Police community support officer",
    ),
    Staff(
        "Joyce Campbell",
        "joyce.campbell@example.org",
        Role.MEMBER,
        "Elm House Tenants' Association",
        "manager",
        "Chair",
    ),
    Staff(
        "Kamal Miah",
        "kamal.miah@example.org",
        Role.MEMBER,
        "Elm House Tenants' Association",
        "volunteer",
        "Treasurer",
    ),
    Staff(
        "Ruth Fletcher",
        "ruth.fletcher@riverside-foodbank.example",
        Role.MEMBER,
        "Riverside Food Bank",
        "manager",
        "Food bank coordinator",
    ),
    Staff(
        "Andrei Popescu",
        "andrei.popescu@example.org",
        Role.MEMBER,
        "Riverside Food Bank",
        "volunteer",
        "Delivery driver",
    ),
    Staff(
        "Maria Stoica",
        "maria@canalsidecafe.example",
        Role.MEMBER,
        "Canal Side Café",
        "manager",
        "Owner",
    ),
]


@dataclass
class DemoResult:
    community: Community
    seconds: float
    members: int
    offline: int
    organisations: int
    neighbourhoods: int
    listings: int
    open_listings: int
    conversations: int
    messages: int
    ledger: "LedgerSummary"
    coproduction: "CoproductionSummary"
    extras: dict[str, Any] = field(default_factory=dict)
    personas: list[Persona] = field(default_factory=lambda: list(PERSONAS))


def demo_community() -> Community | None:
    return Community.objects.filter(slug=SLUG).first()


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L").replace("'", "")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _windows(pattern: str, rng: random.Random | None = None) -> list[Window]:
    days, start, end = PATTERNS[pattern]
    chosen = list(days)
    if rng is not None and len(chosen) > 2:
        chosen = sorted(rng.sample(chosen, rng.randint(2, len(chosen))))
    return [Window(day, start, end) for day in chosen]


@dataclass
class _Person:
    """What the generator decided about one member, beside the row it imports."""

    row: PersonRow
    patterns: list[str]
    place: str
    user: User | None = None


@dataclass
class _Draft:
    kind: str
    idea: Idea
    skill: Skill
    remote: bool
    windows: list[Window]
    on_date: date | None
    state: str


class _Generator:
    def __init__(self, *, community: Community, seed: int, today: date) -> None:
        self.community = community
        self.rng = random.Random(seed)
        self.today = today
        self.skills = {s.slug: s for s in Skill.objects.filter(community=community).order_by("id")}
        self.skill_list = list(self.skills.values())
        self.neighbourhoods = list(Neighbourhood.objects.filter(community=community).order_by("id"))
        self.words = content()
        self.weights = [b.weight for b in self.words.backgrounds]

    def person(self, index: int) -> _Person:
        rng = self.rng
        words = self.words
        background = rng.choices(words.backgrounds, weights=self.weights)[0]
        first, last = rng.choice(background.first_names), rng.choice(background.surnames)
        offline = rng.random() < 0.10
        email = None if offline else f"{_ascii(first)}.{_ascii(last)}{index}@example.net"
        languages = ["en"] if background.language == "en" or rng.random() < 0.9 else []
        if background.language != "en" and rng.random() < 0.75:
            languages.append(background.language)
        skills = rng.sample(self.skill_list, rng.randint(1, 5))
        language_skill = LANGUAGE_SKILLS.get(background.language)
        if language_skill and background.language in languages and rng.random() < 0.4:
            skill = self.skills[language_skill]
            if skill not in skills:
                skills[-1] = skill
        confidences = rng.choices(
            [Asset.Confidence.LEARNING, Asset.Confidence.CAPABLE, Asset.Confidence.EXPERIENCED],
            weights=[2, 5, 3],
            k=len(skills),
        )
        things = rng.sample(words.things, rng.randint(1, 2)) if rng.random() < 0.3 else []
        interests = rng.sample(words.interests, rng.randint(1, 3)) if rng.random() < 0.6 else []
        patterns = rng.sample(list(PATTERNS), rng.randint(1, 2))
        windows = sorted({w for p in patterns for w in _windows(p, rng)})
        neighbourhood = rng.choice(self.neighbourhoods)
        point = None
        if rng.random() < 0.4:
            min_lat, max_lat, min_lng, max_lng = BOUNDS
            point = (
                min(max(rng.gauss(neighbourhood.lat, 0.005), min_lat), max_lat),
                min(max(rng.gauss(neighbourhood.lng, 0.008), min_lng), max_lng),
            )
        consents: list[str] = []
        if rng.random() < 0.85:
            consents.append(Consent.Purpose.DIRECTORY)
        if offline or rng.random() < 0.25:
            consents.append(Consent.Purpose.BROKER_ENTRY)
        if not offline and rng.random() < 0.4:
            consents.append(Consent.Purpose.SHARE_CONTACT)
        bio = rng.choice(words.bios).format(
            job=rng.choice(words.jobs), place=neighbourhood.name, year=rng.randint(1975, 2024)
        )
        row = PersonRow(
            display_name=f"{first} {last}",
            email=email,
            bio=bio,
            languages=languages,
            neighbourhood=neighbourhood,
            point=point,
            works_remotely=not offline and rng.random() < 0.2,
            skills=list(zip(skills, confidences, strict=True)),
            things=things,
            interests=interests,
            windows=windows,
            consents=consents,
        )
        return _Person(row=row, patterns=patterns, place=neighbourhood.name)

    def idea(self, person: _Person, kind: str) -> tuple[Idea, Skill]:
        """An offer from one of the person's skills, or a request for a skill they lack."""
        rng = self.rng
        mine = {s.slug for s, _c in person.row.skills}
        if kind == Listing.Kind.OFFER:
            slug = rng.choice(sorted(mine))
            ideas = self.words.offers.get(slug)
        else:
            slug = rng.choice([s for s in sorted(self.words.requests) if s not in mine])
            ideas = self.words.requests[slug]
        skill = self.skills[slug]
        if not ideas:
            name = skill.name.lower()
            return Idea(
                slug, f"I can help with {name}", f"Happy to help with {name}; ask me."
            ), skill
        return rng.choice(ideas), skill

    def draft(self, person: _Person, kind: str) -> _Draft:
        idea, skill = self.idea(person, kind)
        rng = self.rng
        windows: list[Window] = []
        on_date = None
        if idea.weekday is not None:
            on_date = _next_weekday(self.today, idea.weekday)
        elif idea.pattern is not None:
            windows = _windows(idea.pattern)
        elif rng.random() < 0.5:
            windows = _windows(person.patterns[0])
        return _Draft(
            kind=kind,
            idea=idea,
            skill=skill,
            remote=skill.slug in self.words.remote_skills and rng.random() < 0.7,
            windows=windows,
            on_date=on_date,
            state=rng.choices(
                [Listing.State.OPEN, Listing.State.PAUSED, Listing.State.DONE], weights=[85, 8, 7]
            )[0],
        )

    def message(self, which: str, place: str) -> str:
        rng = self.rng
        return rng.choice(self.words.messages[which]).format(
            day=rng.choice(DAYS), daypart=rng.choice(DAYPARTS), place=place
        )


def person_rows(*, community: Community, count: int, seed: int = DEFAULT_SEED) -> list[PersonRow]:
    """`count` residents as the demo makes them, from the community's skills and neighbourhoods."""
    gen = _Generator(community=community, seed=seed, today=timezone.localdate())
    return [gen.person(i).row for i in range(count)]


def _persona_rows(gen: _Generator) -> dict[str, PersonRow]:
    s = gen.skills
    by_name = {n.name: n for n in gen.neighbourhoods}
    exp, cap = Asset.Confidence.EXPERIENCED, Asset.Confidence.CAPABLE
    return {
        "coordinator": PersonRow(
            display_name="Grace Adeyemi",
            email="coordinator@riverside.example",
            password=PASSWORD,
            role=Role.COORDINATOR,
            bio="Time broker for Riverside. Ring me if you'd rather not use the website.",
            languages=["en"],
            neighbourhood=by_name["Market Square"],
            skills=[
                (s["event-organising"], exp),
                (s["befriending-and-visits"], exp),
                (s["benefits-paperwork"], cap),
            ],
            windows=_windows(MORNINGS) + _windows(AFTERNOONS),
        ),
        "nurse": PersonRow(
            display_name="Priya Sharma",
            email="nurse@riverside.example",
            password=PASSWORD,
            role=Role.PROFESSIONAL,
            bio="Community nurse at Riverside Medical Practice; I lead our social prescribing.",
            languages=["en"],
            neighbourhood=by_name["Old Town"],
            skills=[
                (s["first-aid"], exp),
                (s["healthy-eating"], exp),
                (s["dementia-friendly-support"], cap),
            ],
            interests=["Walking", "Choir singing"],
            windows=_windows(EVENINGS),
        ),
        "member": PersonRow(
            display_name="Tom Walsh",
            email="member@riverside.example",
            password=PASSWORD,
            bio="Semi-retired electrician. I have a car and time on weekday mornings.",
            languages=["en"],
            neighbourhood=by_name["Riverbank"],
            point=(51.4683, -0.9566),
            skills=[
                (s["lifts-to-appointments"], exp),
                (s["diy-and-small-repairs"], exp),
                (s["help-with-phones-and-tablets"], cap),
                (s["video-calls"], cap),
            ],
            things=["Car (for lifts)", "Ladder"],
            interests=["Football", "Local history"],
            windows=_windows(MORNINGS) + _windows(WEEKENDS),
        ),
        "neighbour": PersonRow(
            display_name="Edith Hughes",
            email="neighbour@riverside.example",
            password=PASSWORD,
            bio="Retired seamstress, 79. Three grandchildren in Toronto.",
            languages=["en"],
            neighbourhood=by_name["Riverbank"],
            skills=[(s["sewing-and-mending"], exp), (s["befriending-and-visits"], cap)],
            things=["Sewing machine"],
            interests=["Knitting", "Reading group"],
            windows=_windows(AFTERNOONS),
        ),
    }


def demo_build(
    *,
    members: int = DEFAULT_MEMBERS,
    seed: int = DEFAULT_SEED,
    transfers: int | None = None,
    log: Callable[[str], None] | None = None,
) -> DemoResult:
    """Build Riverside with `members` people (personas and organisation staff included) and
    about `transfers` in its ledger (by default `transfers_for(members)`)."""
    if members < MIN_MEMBERS:
        raise ValueError(f"The demo needs at least {MIN_MEMBERS} members.")
    if transfers is None:
        transfers = transfers_for(members)
    say = log or (lambda _text: None)
    started = time.perf_counter()
    today = timezone.localdate()
    with _notices_dropped(), transaction.atomic():
        community, personas, gen = _build_community(seed=seed, today=today)
        say("community, neighbourhoods and personas")
        people = _build_people(gen=gen, personas=personas, members=members)
        say(f"{members} members")
        _build_organisations(community=community, personas=personas, people=people, today=today)
        say("organisations")
        listings = _build_listings(gen=gen, personas=personas, people=people, members=members)
        say(f"{len(listings)} listings")
        conversations = _build_conversations(
            gen=gen, personas=personas, people=people, members=members
        )
        say(f"{conversations} conversations")
        ledger = _build_history(gen=gen, personas=personas, people=people, total=transfers)
        say(f"{ledger.transfers} transfers")
        coproduction = _build_coproduction(gen=gen, personas=personas, people=people, seed=seed)
        say(f"{coproduction.sessions} sessions")
        _date_joining(community=community, rng=random.Random(f"{seed}-joining"))
        extras = _build_extras(community=community, personas=personas, seed=seed, today=today)
        say("matching, local insight, evidence and the directory")
    return DemoResult(
        community=community,
        seconds=time.perf_counter() - started,
        members=Membership.objects.filter(community=community).count(),
        offline=Membership.objects.filter(community=community, user__email__isnull=True).count(),
        organisations=Organisation.objects.filter(community=community).count(),
        neighbourhoods=len(gen.neighbourhoods),
        listings=Listing.objects.filter(community=community).count(),
        open_listings=Listing.objects.filter(community=community).open().count(),
        conversations=Conversation.objects.filter(community=community).count(),
        messages=Message.objects.filter(community=community).count(),
        ledger=ledger,
        coproduction=coproduction,
        extras=extras,
    )


# What each later capability adds to the story, in the order it is built: each app's own
# demo.build (matching, insight, evidence, directory), through that app's services.
EXTRAS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("Matching", matching_demo.build),
    ("Local insight", insight_demo.build),
    ("Evidence", evidence_demo.build),
    ("Directory", directory_demo.build),
)


def _build_extras(
    *, community: Community, personas: dict[str, User], seed: int, today: date
) -> dict[str, Any]:
    """Each capability's part of the demo, with a random source of its own, so that adding
    one does not change what the others make."""
    return {
        name: build(
            community=community,
            personas=personas,
            rng=random.Random(f"{seed}/{name}"),
            today=today,
        )
        for name, build in EXTRAS
    }


@contextmanager
def _notices_dropped() -> Iterator[None]:
    """Drop the e-mails the services queue while the demo is built, instead of sending them.

    The demo's people are fictional, and thousands of notices ("please confirm", "you were
    awarded") would wait in the task queue for the first `coproduce serve`. The notices are
    queued after the build's transaction commits, so this must enclose that transaction.
    """
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ):
        yield


def _build_community(*, seed: int, today: date) -> tuple[Community, dict[str, User], _Generator]:
    admin = User.objects.create_superuser(PERSONAS[0].email, PASSWORD)
    profile_update(
        user=admin,
        display_name=PERSONAS[0].display_name,
        bio="I look after the Riverside time bank's website and settings.",
        languages=["en"],
    )
    community = community_create(
        name=NAME,
        slug=SLUG,
        centre=CENTRE,
        bounds=BOUNDS,
        created_by=admin,
        description=DESCRIPTION,
        languages=LANGUAGES,
    )
    for name, lat, lng in NEIGHBOURHOODS:
        neighbourhood_add(community=community, name=name, lat=lat, lng=lng)
    gen = _Generator(community=community, seed=seed, today=today)
    location_set(
        membership=Membership.objects.get(community=community, user=admin),
        neighbourhood=gen.neighbourhoods[0],
    )
    return community, {"admin": admin}, gen


def _build_people(*, gen: _Generator, personas: dict[str, User], members: int) -> list[_Person]:
    """Everyone but the admin, in one bulk import: personas, organisation staff, then residents."""
    community, admin = gen.community, personas["admin"]
    persona_rows = _persona_rows(gen)
    people = [
        _Person(row=row, patterns=[MORNINGS], place="Riverbank") for row in persona_rows.values()
    ]
    for staff in STAFF:
        person = gen.person(len(people))
        person.row.display_name, person.row.email, person.row.role = (
            staff.display_name,
            staff.email,
            staff.role,
        )
        people.append(person)
    while len(people) < members - 1:
        people.append(gen.person(len(people)))
    users = people_import(community=community, rows=[p.row for p in people], recorded_by=admin)
    for person, user in zip(people, users, strict=True):
        person.user = user
    for key, user in zip(persona_rows, users, strict=False):
        personas[key] = user
    EmailAddress.objects.bulk_create(
        EmailAddress(user=personas[p.key], email=p.email, verified=True, primary=True)
        for p in PERSONAS
    )
    for key in ("admin", "coordinator", "nurse", "member", "neighbour"):
        consent_give(community=community, user=personas[key], purpose=Consent.Purpose.DIRECTORY)
    for key in ("member", "neighbour"):
        consent_give(community=community, user=personas[key], purpose=Consent.Purpose.SHARE_CONTACT)
    return people


def _build_organisations(
    *, community: Community, personas: dict[str, User], people: list[_Person], today: date
) -> None:
    admin, coordinator = personas["admin"], personas["coordinator"]
    organisations = {
        spec.name: organisation_create(
            community=community,
            name=spec.name,
            kind=spec.kind,
            created_by=admin,
            description=spec.description,
            email=spec.email,
            phone=spec.phone,
            area=spec.area,
            website=spec.website,
        )
        for spec in content().organisations
    }
    organisation_member_add(
        organisation=organisations["Riverside Medical Practice"],
        user=personas["nurse"],
        role="staff",
        added_by=admin,
        title="Community nurse",
    )
    organisation_member_add(
        organisation=organisations["Riverside Food Bank"],
        user=coordinator,
        role="volunteer",
        added_by=admin,
        title="Referral partner",
    )
    staff_people = people[len(PERSONAS) - 1 : len(PERSONAS) - 1 + len(STAFF)]
    for staff, person in zip(STAFF, staff_people, strict=True):
        assert person.user is not None
        organisation_member_add(
            organisation=organisations[staff.organisation],
            user=person.user,
            role=staff.org_role,
            added_by=admin,
            title=staff.title,
        )
    issued = today - timedelta(days=210)
    for key, reference in (("nurse", "001829374650"), ("coordinator", "001756483920")):
        safeguarding_check_record(
            community=community,
            user=personas[key],
            kind=SafeguardingCheck.Kind.DBS_ENHANCED,
            reference=reference,
            issued_on=issued,
            expires_on=issued + timedelta(days=3 * 365),
            verified_by=admin if key == "coordinator" else coordinator,
        )


def _persona_listings(gen: _Generator, personas: dict[str, User]) -> list[Listing]:
    community, s = gen.community, gen.skills
    member, neighbour = personas["member"], personas["neighbour"]
    riverbank = next(n for n in gen.neighbourhoods if n.name == "Riverbank")
    return [
        listing_create(
            community=community,
            owner=member,
            created_by=member,
            kind=Listing.Kind.OFFER,
            title="Lifts to the hospital or GP on weekday mornings",
            description="I have a car and I'm free most weekday mornings. I'll wait with you"
            " and bring you home.",
            skill=s["lifts-to-appointments"],
            point=(51.4683, -0.9566),
            neighbourhood=riverbank,
            windows=_windows(MORNINGS),
        ),
        listing_create(
            community=community,
            owner=member,
            created_by=member,
            kind=Listing.Kind.REQUEST,
            title="Someone to show me how to prune an apple tree",
            description="An old tree in my back garden that hasn't been pruned for years."
            " I'll make the tea.",
            skill=s["tree-and-hedge-care"],
            neighbourhood=riverbank,
            windows=_windows(WEEKENDS),
        ),
        listing_create(
            community=community,
            owner=neighbour,
            created_by=neighbour,
            kind=Listing.Kind.REQUEST,
            title="Help setting up a video call with my grandchildren",
            description="They live in Toronto. I have a tablet my son gave me but I don't know"
            " where to start.",
            skill=s["video-calls"],
            neighbourhood=riverbank,
            windows=_windows(AFTERNOONS),
        ),
    ]


def _build_listings(
    *, gen: _Generator, personas: dict[str, User], people: list[_Person], members: int
) -> list[Listing]:
    """About one listing for every two members, offers a little more often than requests."""
    listings = _persona_listings(gen, personas)
    coordinator = personas["coordinator"]
    residents = people[len(PERSONAS) - 1 :]
    bulk = members >= BULK_LISTINGS_FROM
    owners = (
        [p for p in residents if Consent.Purpose.BROKER_ENTRY in p.row.consents]
        if bulk
        else residents
    )
    rows: list[Listing] = []
    for _i in range(members // 2 - len(listings)):
        person = gen.rng.choice(owners)
        owner = person.user
        assert owner is not None
        kind = Listing.Kind.OFFER if gen.rng.random() < 0.55 else Listing.Kind.REQUEST
        draft = gen.draft(person, kind)
        point, neighbourhood = person.row.point, person.row.neighbourhood
        if bulk:
            rows.append(
                Listing(
                    kind=kind,
                    owner=owner,
                    title=draft.idea.title,
                    description=draft.idea.text,
                    skill=draft.skill,
                    remote=draft.remote,
                    lat=point[0] if point else None,
                    lng=point[1] if point else None,
                    neighbourhood=neighbourhood,
                    windows=windows_to_json(draft.windows),
                    on_date=draft.on_date,
                    state=draft.state,
                )
            )
            continue
        acting = owner if person.row.email else coordinator
        listing = listing_create(
            community=gen.community,
            owner=owner,
            created_by=acting,
            kind=kind,
            title=draft.idea.title,
            description=draft.idea.text,
            skill=draft.skill,
            remote=draft.remote,
            point=point,
            neighbourhood=neighbourhood,
            windows=draft.windows,
            on_date=draft.on_date,
        )
        if draft.state != Listing.State.OPEN:
            listing = listing_set_state(listing=listing, state=draft.state, changed_by=acting)
        listings.append(listing)
    if rows:
        listings_import(community=gen.community, rows=rows, recorded_by=coordinator)
        listings.extend(rows)
    return listings


def _build_conversations(
    *, gen: _Generator, personas: dict[str, User], people: list[_Person], members: int
) -> int:
    """A few dozen conversations (at most MAX_CONVERSATIONS), each of one to four messages."""
    community, member, neighbour = gen.community, personas["member"], personas["neighbour"]
    open_listings = list(
        Listing.objects.filter(community=community)
        .open()
        .exclude(owner__in=[member, neighbour])
        .order_by("id")
    )
    tom_offer = Listing.objects.filter(
        community=community, owner=member, kind=Listing.Kind.OFFER
    ).get()
    chat = conversation_start(
        listing=tom_offer,
        responder=neighbour,
        body="Hello Tom, I have an outpatients appointment on Thursday at 10:30. Could you"
        " take me? I'm just round the corner from you in Riverbank.",
    )
    message_send(
        conversation=chat, author=member, body="Hello Edith, of course. I'll pick you up at ten."
    )
    message_send(
        conversation=chat, author=neighbour, body="Thank you, that's a weight off my mind."
    )
    contact_share(conversation=chat, user=neighbour)
    count = 1

    online = [p for p in people if p.row.email and p.user not in (member, neighbour)]
    by_user = {p.user.pk: p for p in people if p.user is not None}
    requests = [
        lst
        for lst in open_listings
        if lst.kind == Listing.Kind.REQUEST and by_user[lst.owner_id].row.email
    ]
    if requests:
        helped = conversation_start(
            listing=requests[0],
            responder=member,
            body="Hi, I'm Tom from Riverbank. I can help with this.",
        )
        message_send(
            conversation=helped, author=requests[0].owner, body="Thank you Tom! Here's my number."
        )
        contact_share(conversation=helped, user=requests[0].owner)
        contact_share(conversation=helped, user=member)
        count += 1

    wanted = min(MAX_CONVERSATIONS, max(12, members // 8))
    answerable = [lst for lst in open_listings if lst not in requests[:1]]
    gen.rng.shuffle(answerable)
    for listing in answerable[: wanted - count]:
        owner = by_user[listing.owner_id]
        responder = gen.rng.choice(online)
        if responder.user == owner.user:
            responder = online[(online.index(responder) + 1) % len(online)]
        assert owner.user is not None and responder.user is not None
        first = "to_offer" if listing.kind == Listing.Kind.OFFER else "to_request"
        conversation = conversation_start(
            listing=listing, responder=responder.user, body=gen.message(first, responder.place)
        )
        # A member who is not online hears through a coordinator, so their side stays quiet here.
        length = gen.rng.randint(1, 4) if owner.row.email else 1
        if length >= 2:
            message_send(
                conversation=conversation,
                author=owner.user,
                body=gen.message("owner_replies", owner.place),
            )
        if length >= 3:
            message_send(
                conversation=conversation,
                author=responder.user,
                body=gen.message("follow_ups", responder.place),
            )
        if length >= 4:
            message_send(
                conversation=conversation,
                author=owner.user,
                body="Thanks again, that's really kind.",
            )
            contact_share(conversation=conversation, user=owner.user)
            contact_share(conversation=conversation, user=responder.user)
        count += 1
    return count


# The time-credit history ----------------------------------------------------------------------

HISTORY_DAYS = 270
TRANSFERS_PER_MEMBER = 10
# Each transfer goes through the ledger's services, locks and checks included: about 15 ms of
# CPU on SQLite, so this cap keeps the 100,000-member build (and its reset) near five minutes.
# `coproduce demo --transfers N` asks for more.
MAX_TRANSFERS = 4_000
REVERSALS = 3
MIN_EXCHANGES = 30  # however small the history, enough exchanges to find duplicates among
DONOR_MINUTES = 10 * 60
ATTEMPTS = 8  # pairs tried before an exchange that would break a limit is given up
ACTIVITY = (0, 1, 1, 2, 2, 3, 5, 8)  # how often a member trades, relative to others
EXCHANGE_MINUTES = (30, 45, 60, 60, 60, 90, 90, 120, 120, 150, 180, 240)
AWARD_MINUTES = (60, 90, 120, 180, 240, 300)
DAY_START, DAY_END = 8 * 60, 20 * 60  # people record their exchanges in the daytime
BACKDATE_BATCH = 250


@dataclass
class LedgerSummary:
    """What the history holds: transfers by kind and state, and the hours they carried."""

    transfers: int
    by_kind: dict[str, dict[str, int]]
    exchanged_minutes: int
    awarded_minutes: int
    seconds: float


@dataclass
class _Event:
    """One thing that happens in the ledger; events run in the order of `done`, when the
    balances moved (or, for one left pending, when it was recorded), so that every running
    balance on a statement stays within its limits."""

    done: datetime
    kind: str
    created: datetime
    state: str = Transfer.State.COMPLETED
    broker: bool = False  # the side that must answer is a member who is not online
    undoes: "_Event | None" = None  # a reversal names the duplicate it undoes
    original: Transfer | None = None  # a duplicate remembers the record it repeats
    transfer: Transfer | None = None


@dataclass(frozen=True)
class _Dated:
    pk: int
    created: datetime
    done: datetime
    state: str
    awaits: bool


class _History:
    """Nine months of a time bank, made through the ledger's services and then back-dated."""

    def __init__(
        self, *, gen: _Generator, personas: dict[str, User], people: list[_Person], total: int
    ) -> None:
        self.gen, self.rng, self.community = gen, gen.rng, gen.community
        self.personas = personas
        self.coordinator = personas["coordinator"]
        self.now = timezone.now()
        self.words = content().history
        self.total = total
        self.scale = max(1, round(self.total / (TRANSFERS_PER_MEMBER * DEFAULT_MEMBERS)))
        categories = Skill.objects.filter(community=self.community).values_list(
            "slug", "category__slug"
        )
        self.value = {
            slug: self.words.value_by_skill.get(
                slug, self.words.value_by_category.get(category, Category.OTHER)
            )
            for slug, category in categories
        }
        # The personas keep a story of their own (persona_history), apart from the crowd.
        self.persona_people = people[: len(PERSONAS) - 1]
        self.traders = people[len(PERSONAS) - 1 :]
        weights = [self.rng.choice(ACTIVITY) for _ in self.traders]
        weights[0] = weights[1] = 1
        self.cum_weights = list(itertools.accumulate(weights))
        self.offline = [p for p in self.traders if not p.row.email]
        self.by_skill: dict[str, list[_Person]] = {}
        for person in self.traders:
            for skill, _confidence in person.row.skills:
                self.by_skill.setdefault(skill.slug, []).append(person)
        self.by_name = {p.row.display_name: p.user for p in reversed(people) if p.user}
        self.organisations = {
            o.name: o for o in Organisation.objects.filter(community=self.community)
        }
        self.pools: dict[str, list[_Person]] = {}
        self.completed: list[tuple[Transfer, _Person, _Person]] = []
        self.dated: list[_Dated] = []
        self.workshops_run = 0

    # Choosing people and moments

    def pick(self, besides: _Person | None = None) -> _Person:
        while True:
            person = self.rng.choices(self.traders, cum_weights=self.cum_weights)[0]
            if person is not besides:
                return person

    def moment(self, days_ago: float) -> datetime:
        day = timezone.localdate(self.now) - timedelta(days=int(days_ago))
        minute = self.rng.randrange(DAY_START, DAY_END)
        at = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(
            minutes=minute
        )
        return min(at, self.now - timedelta(minutes=self.rng.randint(5, 120)))

    def later(self, at: datetime, *, hours: float) -> datetime:
        return min(at + timedelta(hours=self.rng.uniform(0.5, hours)), self.now)

    def what_for(self, skill: Skill) -> str:
        ideas = self.gen.words.offers.get(skill.slug)
        return self.rng.choice(ideas).title if ideas else f"Help with {skill.name.lower()}"

    # The plan

    def plan(self) -> list[_Event]:
        rng, events = self.rng, []

        def at(kind: str, days_ago: float, **extra: Any) -> _Event:
            created = self.moment(days_ago)
            event = _Event(done=created, kind=kind, created=created, **extra)
            events.append(event)
            return event

        months = HISTORY_DAYS // 30
        for month in range(months):
            for _i in range(self.scale):
                at("workshop", 30 * month + rng.uniform(0, 30))
                for index in range(len(self.words.awards)):
                    at(f"award:{index}", 30 * month + rng.uniform(0, 3))
        at("limits", HISTORY_DAYS - rng.uniform(10, 30))
        for _i in range(max(3, self.total * 15 // 1000)):
            at("donation", rng.uniform(0, HISTORY_DAYS - 30))
        for _i in range(max(2, self.total // 600)):
            at("grant", rng.uniform(0, HISTORY_DAYS - 90))
        for _i in range(REVERSALS):
            duplicate = at("duplicate", rng.uniform(10, HISTORY_DAYS - 10))
            duplicate.done = self.later(duplicate.created, hours=48)
            reversal = at("reversal", 0, undoes=duplicate)
            reversal.created = reversal.done = self.later(duplicate.done, hours=96)
        pending = max(5, self.total // 150)
        for index in range(pending):
            # Answered by nobody yet, and younger than the community's auto-confirm days.
            at(
                "exchange",
                rng.uniform(0, self.community.auto_confirm_days - 1),
                state=Transfer.State.PENDING,
                broker=index < pending // 4 and bool(self.offline),
            )
        rejected = self.total * 3 // 100
        for _i in range(max(MIN_EXCHANGES, self.total - len(events) - rejected)):
            # Busier lately: half the exchanges evenly, half more and more towards today.
            u = rng.random()
            days_ago = HISTORY_DAYS * (u if rng.random() < 0.5 else 1 - u**0.5)
            event = at("exchange", days_ago)
            event.done = self.later(event.created, hours=72)
        for _i in range(rejected):
            event = at("exchange", rng.uniform(0, HISTORY_DAYS), state=Transfer.State.REJECTED)
            event.done = self.later(event.created, hours=72)
        events.sort(key=lambda e: e.done)
        return events

    # Running it through the services

    def run(self, events: list[_Event]) -> None:
        for event in events:
            kind, _sep, index = event.kind.partition(":")
            if kind == "exchange":
                self.exchange(event)
            elif kind == "duplicate":
                self.duplicate(event)
            elif kind == "reversal":
                self.reversal(event)
            elif kind == "workshop":
                self.workshop(event)
            elif kind == "award":
                self.award(event, self.words.awards[int(index)])
            elif kind == "donation":
                self.donation(event)
            elif kind == "grant":
                self.grant(event)
            elif kind == "limits":
                self.limits()
        self.persona_history()

    def keep(self, transfer: Transfer, event: _Event) -> None:
        event.transfer = transfer
        self.dated.append(
            _Dated(
                transfer.pk,
                event.created,
                event.done,
                transfer.state,
                awaits=transfer.auto_confirm_at is not None,
            )
        )

    def record(
        self,
        *,
        giver: _Person,
        taker: _Person,
        skill: Skill,
        event: _Event,
        minutes: int | None = None,
        description: str | None = None,
        speaker: _Person | None = None,
    ) -> Transfer:
        """One exchange, recorded by one side (or a coordinator for them) and answered as planned.

        Recording checks the limits against the balances that confirming will find (nothing
        runs in between), so an exchange that would break one is refused whole, by the record.
        """
        rng = self.rng
        if speaker is None:
            speaker = giver if rng.random() < 0.7 else taker
        other = taker if speaker is giver else giver
        assert speaker.user is not None and other.user is not None
        assert giver.user is not None and taker.user is not None
        recorder = speaker.user if speaker.row.email else self.coordinator
        answerer = other.user if other.row.email else self.coordinator
        transfer = transfer_record(
            community=self.community,
            payer=taker.user,
            payee=giver.user,
            minutes=minutes or rng.choice(EXCHANGE_MINUTES),
            recorded_by=recorder,
            recording_for=speaker.user if recorder is self.coordinator else None,
            description=description or self.what_for(skill),
            category=self.value[skill.slug],
        )
        if event.state == Transfer.State.COMPLETED:
            transfer = transfer_confirm(transfer=transfer, confirmed_by=answerer)
        elif event.state == Transfer.State.REJECTED:
            reason = rng.choice(self.words.reject_reasons)
            transfer = transfer_reject(transfer=transfer, rejected_by=answerer, reason=reason)
        return transfer

    def exchange(self, event: _Event) -> None:
        for _attempt in range(ATTEMPTS):
            if event.broker:
                taker = self.rng.choice(self.offline)
                giver = self.pick(besides=taker)
            else:
                giver = self.pick()
                taker = self.pick(besides=giver)
            skill = self.rng.choice(giver.row.skills)[0]
            try:
                transfer = self.record(
                    giver=giver,
                    taker=taker,
                    skill=skill,
                    event=event,
                    speaker=giver if event.broker else None,
                )
            except LimitExceeded:
                continue
            self.keep(transfer, event)
            if transfer.state == Transfer.State.COMPLETED:
                self.completed.append((transfer, giver, taker))
            return

    def duplicate(self, event: _Event) -> None:
        """The same visit recorded a second time, by the other side, and confirmed by mistake."""
        for original, giver, taker in reversed(self.completed[-ATTEMPTS:]):
            assert giver.user is not None
            skill = next(s for s, _c in giver.row.skills if self.value[s.slug] == original.category)
            first_said_by = original.on_behalf_of_id or original.recorded_by_id
            try:
                transfer = self.record(
                    giver=giver,
                    taker=taker,
                    skill=skill,
                    event=event,
                    minutes=original.minutes,
                    description=original.description,
                    speaker=taker if first_said_by == giver.user.pk else giver,
                )
            except LimitExceeded:
                continue
            event.original = original
            self.keep(transfer, event)
            return

    def reversal(self, event: _Event) -> None:
        duplicate = event.undoes
        if duplicate is None or duplicate.transfer is None or duplicate.original is None:
            return
        reason = self.rng.choice(self.words.reversal_reasons).format(n=duplicate.original.pk)
        try:
            reversal = transfer_reverse(
                transfer=duplicate.transfer, reversed_by=self.coordinator, reason=reason
            )
        except LimitExceeded:
            return
        self.keep(reversal, event)

    def workshop(self, event: _Event) -> None:
        rng, community = self.rng, self.community
        plan = self.words.workshops[self.workshops_run % len(self.words.workshops)]
        self.workshops_run += 1
        for _attempt in range(ATTEMPTS):
            facilitator = rng.choice(self.by_skill.get(plan.skill) or self.traders)
            wanted = rng.randint(6, 10)
            attendees: dict[int, Account] = {}
            for _pick in range(wanted * 4):
                person = self.pick(besides=facilitator)
                assert person.user is not None
                if person.user.pk in attendees:
                    continue
                account = account_for_member(community=community, user=person.user)
                if account.balance_minutes - plan.minutes >= account.floor_minutes:
                    attendees[person.user.pk] = account
                if len(attendees) == wanted:
                    break
            if len(attendees) < 6:
                continue
            assert facilitator.user is not None
            host = account_for_member(community=community, user=facilitator.user)
            legs = [Leg(account, -plan.minutes) for account in attendees.values()]
            legs.append(Leg(host, plan.minutes * len(legs)))
            try:
                transfer = transfer_group(
                    community=community,
                    legs=legs,
                    recorded_by=self.coordinator,
                    description=plan.title,
                    category=plan.value,
                )
            except LimitExceeded:
                continue
            self.keep(transfer, event)
            return

    def award(self, event: _Event, plan: AwardPlan) -> None:
        rng = self.rng
        recorder = self.by_name[plan.recorded_by]
        pool = self.pools.get(plan.organisation)
        if pool is None:
            with_skill = {id(p): p for s in plan.skills for p in self.by_skill.get(s, [])}
            candidates = [p for p in with_skill.values() if p.user != recorder] or self.traders[:8]
            pool = rng.sample(candidates, min(len(candidates), 6 + 4 * self.scale))
            self.pools[plan.organisation] = pool
        work = rng.choice(plan.work)
        description = work["text"].format(month=timezone.localtime(event.done).strftime("%B %Y"))
        for _attempt in range(ATTEMPTS):
            chosen = rng.sample(pool, rng.randint(min(2, len(pool)), min(8, len(pool))))
            volunteers = [(p.user, rng.choice(AWARD_MINUTES)) for p in chosen if p.user]
            try:
                transfer = transfer_award(
                    organisation=self.organisations[plan.organisation],
                    volunteers=volunteers,
                    recorded_by=recorder,
                    description=description,
                    category=work["value"],
                )
            except LimitExceeded:
                continue
            self.keep(transfer, event)
            return

    def donation(self, event: _Event) -> None:
        """Someone with ten hours or more gives one to three of them; failing that, the richest."""
        donor: User | None = None
        for _attempt in range(ATTEMPTS):
            person = self.pick()
            assert person.user is not None
            account = account_for_member(community=self.community, user=person.user)
            if account.balance_minutes >= DONOR_MINUTES:
                donor = person.user
                break
        else:
            richest = (
                Account.objects.filter(
                    community=self.community,
                    kind=Account.Kind.MEMBER,
                    balance_minutes__gte=DONOR_MINUTES,
                )
                .select_related("user")
                .order_by("-balance_minutes", "pk")
                .first()
            )
            donor = richest.user if richest else None
        if donor is None:
            return
        transfer = transfer_donate(
            community=self.community,
            donor=donor,
            minutes=self.rng.choice((60, 120, 180)),
            recorded_by=donor if donor.email else self.coordinator,
        )
        self.keep(transfer, event)

    def grant(self, event: _Event) -> None:
        pot = account_pot(community=self.community).balance_minutes
        neediest = (
            Account.objects.filter(community=self.community, kind=Account.Kind.MEMBER)
            .select_related("user")
            .order_by("balance_minutes", "pk")
            .first()
        )
        if pot < 60 or neediest is None or neediest.user is None:
            return
        transfer = transfer_grant(
            community=self.community,
            recipient=neediest.user,
            minutes=min(pot, self.rng.choice((120, 180, 240, 300))),
            granted_by=self.coordinator,
            reason=self.rng.choice(self.words.grant_reasons),
        )
        self.keep(transfer, event)

    def limits(self) -> None:
        carer = (self.offline or self.traders)[0]
        assert carer.user is not None
        account_set_limits(
            account=account_for_member(community=self.community, user=carer.user),
            floor_minutes=2 * self.community.floor_minutes,
            ceiling_minutes=self.community.ceiling_minutes,
            reason=self.words.limit_reason,
            changed_by=self.coordinator,
        )

    def persona_history(self) -> None:
        """Tom drives Edith to appointments and Edith mends for Tom; her latest waits for him."""
        member, neighbour = (
            next(p for p in self.persona_people if p.user == self.personas[key])
            for key in ("member", "neighbour")
        )
        lifts, mending = (
            self.gen.skills["lifts-to-appointments"],
            self.gen.skills["sewing-and-mending"],
        )
        story = [
            (80, member, neighbour, lifts, 120, "Lift to the eye clinic at the hospital and back"),
            (52, neighbour, member, mending, 60, "Took up two pairs of work trousers"),
            (33, member, neighbour, lifts, 90, "Lift to the GP for Edith's flu jab"),
            (11, member, neighbour, lifts, 120, "Lift to outpatients, and waited with Edith"),
        ]
        for days_ago, giver, taker, skill, minutes, description in story:
            created = self.moment(days_ago)
            event = _Event(done=self.later(created, hours=30), kind="exchange", created=created)
            transfer = self.record(
                giver=giver,
                taker=taker,
                skill=skill,
                event=event,
                minutes=minutes,
                description=description,
                speaker=giver,
            )
            self.keep(transfer, event)
        created = self.moment(2)
        event = _Event(done=created, kind="exchange", created=created, state=Transfer.State.PENDING)
        transfer = self.record(
            giver=neighbour,
            taker=member,
            skill=mending,
            event=event,
            minutes=90,
            description="Shortened the living-room curtains",
            speaker=neighbour,
        )
        self.keep(transfer, event)

    def backdate(self) -> None:
        """Give every transfer the moment it happened in the story.

        The services stamp `created_at` and `completed_at` with the time they run; this is
        the demo's one direct write to the ledger (demo back-dating; entries are untouched,
        and they carry no time of their own). One UPDATE per batch of transfers.
        """
        days = timedelta(days=self.community.auto_confirm_days)

        def case(column: str, values: list[tuple[int, datetime]]) -> Case:
            whens = [When(pk=pk, then=Value(v, output_field=DateTimeField())) for pk, v in values]
            return Case(*whens, default=F(column), output_field=DateTimeField())

        for start in range(0, len(self.dated), BACKDATE_BATCH):
            batch = self.dated[start : start + BACKDATE_BATCH]
            Transfer.objects.filter(pk__in=[d.pk for d in batch]).update(
                created_at=case("created_at", [(d.pk, d.created) for d in batch]),
                completed_at=case(
                    "completed_at",
                    [(d.pk, d.done) for d in batch if d.state == Transfer.State.COMPLETED],
                ),
                rejected_at=case(
                    "rejected_at",
                    [(d.pk, d.done) for d in batch if d.state == Transfer.State.REJECTED],
                ),
                auto_confirm_at=case(
                    "auto_confirm_at", [(d.pk, d.created + days) for d in batch if d.awaits]
                ),
            )


def transfers_for(members: int) -> int:
    """How many transfers the demo's ledger holds by default: ten a member, at most MAX_TRANSFERS."""
    return min(MAX_TRANSFERS, TRANSFERS_PER_MEMBER * members)


def _build_history(
    *, gen: _Generator, personas: dict[str, User], people: list[_Person], total: int
) -> LedgerSummary:
    """About `total` transfers over nine months, all through the ledger's services: exchanges
    in every category of value, monthly workshops and awards, donations and grants, a limit
    change, and duplicates reversed. However small `total`, every kind appears."""
    started = time.perf_counter()
    history = _History(gen=gen, personas=personas, people=people, total=total)
    history.run(history.plan())
    history.backdate()
    return ledger_summary(community=gen.community, seconds=time.perf_counter() - started)


def _date_joining(*, community: Community, rng: random.Random) -> None:
    """Date each membership before its member's first exchange, as it happened in the story.

    People are imported today, but the ledger's history is back-dated over nine months: each
    member joined some days before their first completed exchange (most within a few weeks,
    a few after months), and those with none yet joined at some time in the last ten months,
    so that the evidence report's "time to first exchange" means something. The ledger was
    written past its services by the back-dating, so the evidence summary is made again from
    it first. One UPDATE per batch of memberships, like the ledger's back-dating.
    """
    summary_rebuild(community_id=community.pk)
    firsts = dict(
        FirstExchange.objects.filter(community=community).values_list("user_id", "first_at")
    )
    now = timezone.now()
    dated: list[tuple[int, datetime]] = []
    for pk, user_id in (
        Membership.objects.filter(community=community).order_by("pk").values_list("pk", "user_id")
    ):
        first = firsts.get(user_id)
        if first is not None:
            joined = first - timedelta(days=min(150.0, 1 + rng.expovariate(1 / 20)))
        else:
            joined = now - timedelta(days=rng.uniform(3, 300))
        dated.append((pk, joined))
    for start in range(0, len(dated), BACKDATE_BATCH):
        batch = dated[start : start + BACKDATE_BATCH]
        Membership.objects.filter(pk__in=[pk for pk, _at in batch]).update(
            joined_at=Case(
                *(When(pk=pk, then=Value(at, output_field=DateTimeField())) for pk, at in batch),
                default=F("joined_at"),
                output_field=DateTimeField(),
            )
        )


def ledger_summary(*, community: Community, seconds: float = 0.0) -> LedgerSummary:
    """Transfers of the community by kind and state, and the hours exchanged and awarded."""
    by_kind: dict[str, dict[str, int]] = {}
    minutes: dict[tuple[str, str], int] = {}
    rows = (
        Transfer.objects.filter(community=community)
        .values_list("kind", "state")
        .annotate(count=Count("id"), total=Sum("minutes"))
        .order_by("kind", "state")
    )
    for kind, state, count, total in rows:
        by_kind.setdefault(kind, {})[state] = count
        minutes[kind, state] = total
    done = Transfer.State.COMPLETED
    undone = (
        Transfer.objects.filter(
            community=community,
            kind=Transfer.Kind.REVERSAL,
            reverses__kind__in=[Transfer.Kind.EXCHANGE, Transfer.Kind.GROUP],
        ).aggregate(total=Sum("minutes"))["total"]
        or 0
    )
    return LedgerSummary(
        transfers=sum(sum(states.values()) for states in by_kind.values()),
        by_kind=by_kind,
        exchanged_minutes=minutes.get((Transfer.Kind.EXCHANGE, done), 0)
        + minutes.get((Transfer.Kind.GROUP, done), 0)
        - undone,
        awarded_minutes=minutes.get((Transfer.Kind.AWARD, done), 0),
        seconds=seconds,
    )


# Co-production ------------------------------------------------------------------------

SEASON_WEEKS = 12  # weekly sessions in the past three months
UPCOMING = 3
SIGNUPS_PER_SESSION = 6
HANDOVER_AFTER = 9  # sessions led by the service's starter before residents take the lead
RESIDENT_POOL = 60  # the services draw on the first residents, so the part's size never grows


@dataclass
class CoproductionSummary:
    proposals: dict[str, int]
    services: int
    sessions: int
    past_sessions: int
    attendances: int
    credited_minutes: int
    indexes: dict[str, dict[str, float | None]]
    seconds: float


@functools.cache
def _coproduction_words() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(CONTENT_FILE.read_text(encoding="utf-8"))["coproduction"]
    return data


class _Coproduction:
    """Seven proposals, one at each stage, and three services with a season of weekly sessions.

    Every write is a service call; the services take `now`, so sessions are scheduled in the
    past and signed up to and recorded as of their own time. The ledger's services stamp the
    attendance credits with the time they run, so, as for the ledger's history, one UPDATE
    moves those transfers to the end of their session (`backdate`).
    """

    def __init__(
        self,
        *,
        gen: _Generator,
        personas: dict[str, User],
        people: list[_Person],
        seed: int,
        now: datetime,
    ) -> None:
        self.community = gen.community
        self.rng = random.Random(seed * 7919 + 4)
        self.now = now
        self.today = timezone.localdate(now)
        self.coordinator = personas["coordinator"]
        self.admin = personas["admin"]
        self.nurse = personas["nurse"]
        self.member = personas["member"]
        self.neighbour = personas["neighbour"]
        staff = people[len(PERSONAS) - 1 : len(PERSONAS) - 1 + len(STAFF)]
        self.staff = {
            s.display_name: p.user for s, p in zip(STAFF, staff, strict=True) if p.user is not None
        }
        first = len(PERSONAS) - 1 + len(STAFF)
        self.residents = [p.user for p in people[first : first + RESIDENT_POOL] if p.user]
        self.organisations = {
            o.name: o for o in Organisation.objects.filter(community=self.community)
        }
        self.words = _coproduction_words()
        self.paid: list[tuple[int, datetime]] = []

    def pick(self, count: int, exclude: Sequence[User] = ()) -> list[User]:
        pool = [u for u in self.residents if u not in exclude]
        return self.rng.sample(pool, min(count, len(pool)))

    def run(self) -> None:
        self.proposals()
        self.services()
        self.backdate()

    def propose(
        self,
        key: str,
        proposer: User,
        *,
        threshold: int,
        weeks_ago: int = 0,
        days_left: int = 28,
        organisation: Organisation | None = None,
        safeguarding: bool = False,
        open_it: bool = True,
    ) -> tuple[Proposal, NeededRole]:
        w = self.words["proposals"][key]
        at = self.now - timedelta(weeks=weeks_ago)
        proposal = proposal_draft(
            community=self.community,
            proposer=proposer,
            title=w["title"],
            need=w["need"],
            idea=w["idea"],
            area=w["area"],
            threshold=threshold,
            deadline=at + timedelta(days=days_left),
            roles=[RoleSpec(w["role"], 120, safeguarding_required=safeguarding)],
            organisation=organisation,
            now=at,
        )
        if open_it:
            proposal = proposal_open(proposal=proposal, opened_by=proposer, now=at)
        return proposal, NeededRole.objects.get(proposal=proposal)

    def pledge(self, role: NeededRole, people: Sequence[User], at: datetime) -> None:
        for i, person in enumerate(people):
            pledge_create(
                role=role,
                pledger=person,
                minutes_per_week=60 + 30 * (i % 3),
                weeks=12,
                now=at + timedelta(hours=i + 1),
            )

    def proposals(self) -> None:
        practice = self.organisations["Riverside Medical Practice"]
        self.propose("draft", self.staff["Joyce Campbell"], threshold=3, open_it=False)
        _p, role = self.propose("near", self.nurse, threshold=4, organisation=practice)
        self.pledge(role, [self.member, *self.pick(2)], self.now - timedelta(days=3))
        _p, role = self.propose("early", self.staff["Daniel Osei"], threshold=5)
        self.pledge(role, self.pick(1), self.now - timedelta(days=1))
        fridge, role = self.propose(
            "deciding",
            self.staff["Ruth Fletcher"],
            threshold=3,
            weeks_ago=2,
            organisation=self.organisations["Riverside Food Bank"],
        )
        self.pledge(role, [self.neighbour, *self.pick(2)], self.now - timedelta(days=10))
        decision = Decision.objects.get(proposal=fridge)
        voters = [
            p.pledger
            for p in Pledge.objects.filter(proposal=fridge).select_related("pledger").order_by("pk")
        ]
        decision_respond(decision=decision, person=voters[0], kind="agree", reason="We need this.")
        decision_respond(
            decision=decision,
            person=voters[1],
            kind="object",
            reason="Fine by me, but who checks the dates on the food each evening?",
        )
        lapsed, role = self.propose("lapsed", self.coordinator, threshold=4, weeks_ago=8)
        self.pledge(role, self.pick(1), self.now - timedelta(weeks=7))
        proposal_evaluate(proposal=lapsed, now=self.now)
        withdrawn, role = self.propose("withdrawn", self.staff["Gareth Evans"], threshold=5)
        self.pledge(role, self.pick(1), self.now - timedelta(days=2))
        proposal_withdraw(proposal=withdrawn, withdrawn_by=self.staff["Gareth Evans"], now=self.now)

    def check(self, person: User, reference: str) -> None:
        issued = self.today - timedelta(days=200)
        safeguarding_check_record(
            community=self.community,
            user=person,
            kind=SafeguardingCheck.Kind.DBS_ENHANCED,
            reference=reference,
            issued_on=issued,
            expires_on=issued + timedelta(days=3 * 365),
            verified_by=self.coordinator,
        )

    def services(self) -> None:
        start = self.now - timedelta(weeks=SEASON_WEEKS, days=7)
        # The peer-support group came out of a proposal: pledged, decided, accepted.
        practice = self.organisations["Riverside Medical Practice"]
        proposal, role = self.propose(
            "accepted",
            self.nurse,
            threshold=3,
            weeks_ago=SEASON_WEEKS + 4,
            organisation=practice,
            safeguarding=True,
        )
        supporters = self.pick(3)
        for i, person in enumerate(supporters):
            self.check(person, f"00190{i:07d}")
        self.pledge(role, supporters, self.now - timedelta(weeks=SEASON_WEEKS + 3))
        decision = Decision.objects.get(proposal=proposal)
        for person, kind, reason in (
            (supporters[0], "agree", "I wish this had existed when my son was born."),
            (supporters[1], "agree", "Happy to give Tuesday mornings."),
            (supporters[2], "object", self.words["objection"]["reason"]),
        ):
            decision_respond(decision=decision, person=person, kind=kind, reason=reason)
        decided = self.now - timedelta(weeks=SEASON_WEEKS + 2)
        decision_close(
            decision=decision,
            closed_by=self.nurse,
            outcome="accepted",
            statement="Accepted: a weekly drop-in at the library, capped at twelve families.",
            review_on=self.today - timedelta(days=5),
            now=decided,
        )
        peer = service_create_from_proposal(
            proposal=proposal,
            created_by=self.nurse,
            credit_rule=Service.CreditRule.ORGANISATION_AWARD,
            credit_organisation=practice,
            now=decided,
        )
        helper = service_role_add(
            service=peer, added_by=self.nurse, title="Welcome and refreshments", minutes_per_week=90
        )
        role_offer(role=helper, person=self.member, offered_by=self.nurse, now=decided)
        cafe = service_create(
            community=self.community,
            title="Canal Side Repair Café",
            created_by=self.staff["Maria Stoica"],
            credit_rule=Service.CreditRule.ORGANISATION_AWARD,
            description="Bring a broken lamp, a torn coat or a wobbly chair; volunteers fix it with you.",
            organisation=self.organisations["Canal Side Café"],
            review_on=self.today - timedelta(days=2),
        )
        repairs = Skill.objects.get(community=self.community, slug="diy-and-small-repairs")
        fixer = service_role_add(
            service=cafe,
            added_by=self.staff["Maria Stoica"],
            title="Fixer",
            minutes_per_week=150,
            skill=repairs,
        )
        greeter = service_role_add(
            service=cafe, added_by=self.staff["Maria Stoica"], title="Greeter", minutes_per_week=120
        )
        walk = service_create(
            community=self.community,
            title="Riverside Walking Group",
            created_by=self.coordinator,
            credit_rule=Service.CreditRule.MEMBER_TO_MEMBER,
            attendee_minutes=30,
            description="A gentle hour along the towpath every Thursday, at the pace of the slowest walker.",
            review_on=self.today - timedelta(days=1),
        )
        leader = service_role_add(
            service=walk,
            added_by=self.coordinator,
            title="Walk leader",
            minutes_per_week=90,
            safeguarding_required=True,
        )
        handy = set(
            Asset.objects.filter(
                community=self.community, kind=Asset.Kind.SKILL, skill=repairs
            ).values_list("user_id", flat=True)
        )
        # Fixers are residents who said they can repair things, as far as there are any.
        crew = sorted(self.pick(len(self.residents)), key=lambda u: u.pk not in handy)[:3]
        fixers, greeters = crew[:2], crew[2:]
        walk_lead = self.pick(1, exclude=[*fixers, *greeters])[0]
        self.check(walk_lead, "001987654321")
        for person in fixers:
            role_offer(role=fixer, person=person, offered_by=self.staff["Maria Stoica"], now=start)
        role_offer(
            role=greeter, person=greeters[0], offered_by=self.staff["Maria Stoica"], now=start
        )
        role_offer(role=leader, person=walk_lead, offered_by=self.coordinator, now=start)
        for assignment in (
            RoleAssignment.objects.filter(community=self.community)
            .select_related("person")
            .order_by("pk")
        ):
            assignment_accept(assignment=assignment, person=assignment.person, now=start)
        maria = self.staff["Maria Stoica"]
        crews = [supporters, [*fixers, *greeters], [walk_lead]]
        regulars = [self.pick(10, exclude=crew) for crew in crews]
        # Halfway through the season residents take over the leading and the staff co-lead,
        # which is what the index's capacity and catalysts components look for.
        plans = (
            (
                peer,
                (self.nurse, None),
                (supporters[0], self.nurse),
                "TU",
                10,
                "Riverside Library, children's room",
                12,
            ),
            (cafe, (maria, None), (fixers[0], maria), "SA", 10, "Canal Side Café", 20),
            (
                walk,
                (walk_lead, None),
                (walk_lead, regulars[2][0]),
                "TH",
                14,
                "Meet at the canal bridge, Canal Side",
                None,
            ),
        )
        for (service, before, after, day, hour, location, capacity), crew, walkers in zip(
            plans, crews, regulars, strict=True
        ):
            first = timezone.localtime(start).replace(hour=hour, minute=0, second=0, microsecond=0)
            sessions = [
                *self.schedule(
                    service,
                    before,
                    f"FREQ=WEEKLY;BYDAY={day}",
                    first,
                    HANDOVER_AFTER,
                    location,
                    capacity,
                ),
            ]
            sessions += self.schedule(
                service,
                after,
                f"FREQ=WEEKLY;BYDAY={day}",
                sessions[-1].starts_at + timedelta(days=1),
                SEASON_WEEKS + UPCOMING + 1 - HANDOVER_AFTER,
                location,
                capacity,
            )
            self.season(sessions, crew, walkers)
        for service, title in (
            (peer, "Twelve sessions held"),
            (cafe, "A hundred repairs"),
            (walk, "Walk the whole canal"),
        ):
            milestone_add(service=service, added_by=service.created_by, title=title)
        self.follow_through(peer, [self.nurse, *supporters])
        self.follow_through(cafe, [*fixers, *greeters])
        self.follow_through(walk, [walk_lead])

    def schedule(
        self,
        service: Service,
        leads: tuple[User, User | None],
        rrule: str,
        first: datetime,
        count: int,
        location: str,
        capacity: int | None,
    ) -> list[Session]:
        return service_schedule_sessions(
            service=service,
            rrule=rrule,
            start=first,
            duration_minutes=120,
            count_or_until=count,
            scheduled_by=service.created_by,
            location=location,
            capacity=capacity,
            lead=leads[0],
            co_lead=leads[1],
        )

    def season(self, sessions: list[Session], crew: list[User], regulars: list[User]) -> None:
        """Sign-ups for every session; for each past one, its register, which pays the credits."""
        for session in sessions:
            coming = self.rng.sample(regulars, min(SIGNUPS_PER_SESSION, len(regulars)))
            past = session.starts_at <= self.now
            signed = session.starts_at - timedelta(days=2) if past else self.now
            for person in coming:
                signup_create(session=session, person=person, now=signed)
            if not past:
                continue
            came = dict.fromkeys([*crew, *coming[: len(coming) - self.rng.randint(0, 2)]])
            lead = session.lead
            assert lead is not None  # every demo session has one
            for person in came:
                try:
                    attendance = attendance_record(
                        session=session, person=person, recorded_by=lead, now=session.ends_at
                    )
                except LimitExceeded:
                    continue  # a walker without the half-hour to pay: the ledger says no, as it should
                if attendance.transfer_id is not None:
                    self.paid.append((attendance.transfer_id, session.ends_at))

    def follow_through(self, service: Service, people: list[User]) -> None:
        for i, person in enumerate(list(dict.fromkeys(people))[:3]):
            check_in_answer(
                service=service,
                person=person,
                happened="yes",
                working="yes" if i else "partly",
                now=self.now,
            )
            self_assessment_save(
                service=service, person=person, scores={h: self.rng.randint(2, 5) for h in HEADINGS}
            )

    def backdate(self) -> None:
        """Date each attendance credit at the end of its session: the demo's one write to the
        coproduction credits outside the services, one UPDATE per batch, entries untouched."""

        def case(values: list[tuple[int, datetime]], column: str) -> Case:
            whens = [When(pk=pk, then=Value(v, output_field=DateTimeField())) for pk, v in values]
            return Case(*whens, default=F(column), output_field=DateTimeField())

        for start in range(0, len(self.paid), BACKDATE_BATCH):
            batch = self.paid[start : start + BACKDATE_BATCH]
            Transfer.objects.filter(pk__in=[pk for pk, _at in batch]).update(
                created_at=case(batch, "created_at"), completed_at=case(batch, "completed_at")
            )


def _build_coproduction(
    *, gen: _Generator, personas: dict[str, User], people: list[_Person], seed: int
) -> CoproductionSummary:
    """Proposals at every stage and three running services with a season of sessions, the
    same size whatever the number of members."""
    started = time.perf_counter()
    _Coproduction(gen=gen, personas=personas, people=people, seed=seed, now=timezone.now()).run()
    return coproduction_summary(community=gen.community, seconds=time.perf_counter() - started)


def coproduction_summary(*, community: Community, seconds: float = 0.0) -> CoproductionSummary:
    """Proposals by state, services, sessions, attendances, credits, and each service's index."""
    now = timezone.now()
    proposals = dict(
        Proposal.objects.filter(community=community)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by("state")
    )
    sessions = Session.objects.filter(community=community)
    attendances = Attendance.objects.filter(community=community)
    credited = Transfer.objects.filter(community=community, pays_for_id__isnull=False).aggregate(
        t=Sum("minutes")
    )["t"]
    indexes = {}
    for service in Service.objects.filter(community=community).order_by("pk"):
        result = service_index_to_date(service=service, now=now)
        indexes[service.title] = {name: c.value for name, c in result.components.items()}
    return CoproductionSummary(
        proposals=proposals,
        services=len(indexes),
        sessions=sessions.count(),
        past_sessions=sessions.filter(starts_at__lte=now).count(),
        attendances=attendances.count(),
        credited_minutes=credited or 0,
        indexes=indexes,
        seconds=seconds,
    )


def demo_reset() -> int:
    """Delete Riverside and the people who belong to no other community; returns how many people.

    The audit trail is append-only too; `audit_forget_demo` is its one exception, for this.
    The ledger guards its history, so its rows go first and in order: on PostgreSQL a trigger
    refuses to delete entries, which is ignored here and only here (a no-op on SQLite); a
    transfer is protected by its reversal and by the session attendance it paid, so attendances
    and reversals go before the transfers they name (each transfer takes its entries with it);
    and entries protect their accounts, which in turn
    protect their members and organisations, so the accounts go last, before everything else.
    """
    with transaction.atomic(), pgtrigger.ignore("ledger.Entry:entries_append_only"):
        community = demo_community()
        persona_emails = [p.email for p in PERSONAS]
        user_ids = set(User.objects.filter(email__in=persona_emails).values_list("pk", flat=True))
        if community is not None:
            elsewhere = Membership.objects.exclude(community=community).values("user_id")
            user_ids |= set(
                Membership.objects.filter(community=community)
                .exclude(user_id__in=elsewhere)
                .values_list("user_id", flat=True)
            )
            audit_forget_demo(community=community, user_ids=sorted(user_ids))
            Attendance.objects.filter(community=community).delete()
            HelpOffer.objects.filter(community=community).delete()  # it protects the award paid
            transfers = Transfer.objects.filter(community=community)
            transfers.filter(reverses__isnull=False).delete()
            transfers.delete()
            Account.objects.filter(community=community).delete()
            _delete_rows_of(community)
            community.delete()
        ids = sorted(user_ids)
        for start in range(0, len(ids), 500):
            User.objects.filter(pk__in=ids[start : start + 500]).delete()
    return len(ids)


def _delete_rows_of(community: Community) -> None:
    """Delete every row that carries the community's id, whichever app it belongs to.

    Some rows protect others (a skill while listings use it), so a model whose rows are still
    protected waits for the next pass.
    """
    pending: list[tuple[type[models.Model], Q]] = []
    for model in apps.get_models():
        links = [
            f.name
            for f in model._meta.concrete_fields
            if f.many_to_one and f.related_model is Community
        ]
        # The audit trail refuses deletes; audit_forget_demo has already emptied it.
        if links and model not in (Community, AuditEvent):
            pending.append(
                (model, functools.reduce(operator.or_, (Q(**{n: community}) for n in links)))
            )
    while pending:
        blocked: list[tuple[type[models.Model], Q]] = []
        last_error: ProtectedError | RestrictedError | None = None
        for model, belongs in pending:
            try:
                with transaction.atomic():
                    model._default_manager.filter(belongs).delete()
            except (ProtectedError, RestrictedError) as error:
                blocked.append((model, belongs))
                last_error = error
        if len(blocked) == len(pending) and last_error is not None:
            raise last_error
        pending = blocked
