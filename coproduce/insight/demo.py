"""Local insight for the demo community: what residents report, and what happens next.

The council's street services, the neighbourhood policing team and a housing association
each take some categories. About forty reports are spread over the last three months in
every state: some waiting, some being dealt with, some fixed (by the council or by
residents), some closed with an honest reason, and some done together with residents who
offered to help and were thanked in time credits. Local knowledge notes, confirmed by the
area's professionals, and one Open311 key complete it. Everything goes through the services.
"""

import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from coproduce.communities.models import (
    Community,
    Membership,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.insight.models import Category, HelpOffer, Report, ReportUpdate
from coproduce.insight.services import (
    AttributeSpec,
    category_attribute_save,
    category_save,
    help_offer_confirm,
    help_offer_create,
    help_offer_decide,
    help_offer_done,
    note_confirm,
    note_create,
    open311_key_create,
    report_assign,
    report_create,
    report_follow,
    report_update_add,
)
from coproduce.people.models import User


@dataclass
class InsightSummary:
    categories: int = 0
    reports: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    credits_paid_minutes: int = 0
    notes: int = 0
    open311_key_prefix: str = ""


@dataclass(frozen=True)
class _CategorySpec:
    org: str
    code: str
    name: str
    group: str
    description: str
    attributes: tuple[AttributeSpec, ...] = ()


CATEGORIES = [
    _CategorySpec(
        "council",
        "pothole",
        "Pothole or broken pavement",
        "Highways",
        "Holes and trip hazards in roads, pavements and cycle lanes.",
        (
            AttributeSpec(
                "surface",
                "singlevaluelist",
                "Where is it?",
                required=True,
                values=(("road", "Road"), ("pavement", "Pavement"), ("cycle_lane", "Cycle lane")),
            ),
            AttributeSpec("depth", "number", "About how deep, in centimetres?"),
        ),
    ),
    _CategorySpec(
        "council",
        "street-light",
        "Street light not working",
        "Highways",
        "A light that is out, flickering or on all day.",
        (AttributeSpec("column", "string", "Number on the lamp post, if you can see it"),),
    ),
    _CategorySpec(
        "council",
        "fly-tipping",
        "Fly-tipping",
        "Waste",
        "Rubbish dumped on the street, in alleys or by the canal.",
        (
            AttributeSpec(
                "size",
                "singlevaluelist",
                "How much is there?",
                required=True,
                values=(("bag", "A bag or two"), ("car", "A car boot"), ("van", "A van load")),
            ),
            AttributeSpec(
                "contents",
                "multivaluelist",
                "What is in it?",
                values=(
                    ("household", "Household rubbish"),
                    ("furniture", "Furniture"),
                    ("building", "Building waste"),
                    ("sharps", "Needles or sharp objects"),
                ),
            ),
        ),
    ),
    _CategorySpec(
        "council",
        "litter-bins",
        "Litter and overflowing bins",
        "Waste",
        "Full bins, litter in parks and along the river path.",
    ),
    _CategorySpec(
        "police",
        "antisocial-behaviour",
        "Antisocial behaviour",
        "Community safety",
        "Something that makes a place feel unsafe. In an emergency call 999.",
        (
            AttributeSpec("when", "datetime", "When did it happen?"),
            AttributeSpec(
                "safety_note",
                "string",
                "If anyone is in danger now, call 999.",
                variable=False,
            ),
        ),
    ),
    _CategorySpec(
        "police",
        "speeding",
        "Speeding vehicles",
        "Community safety",
        "Roads where cars go too fast, and when.",
        (AttributeSpec("times", "text", "At what times of day is it worst?"),),
    ),
    _CategorySpec(
        "housing",
        "communal-repair",
        "Repair in a shared area",
        "Housing",
        "Stairwells, lifts, entry doors and shared gardens of Riverside Homes blocks.",
        (
            AttributeSpec(
                "block",
                "singlevaluelist",
                "Which block?",
                required=True,
                values=(("elm", "Elm House"), ("ash", "Ash Court"), ("willow", "Willow Walk")),
            ),
        ),
    ),
]

# (category code, what was seen, where, attributes, the story that follows)
REPORTS: list[tuple[str, str, str, dict[str, str | list[str]], str]] = [
    (
        "pothole",
        "Deep pothole in the cycle lane outside the school gates. Bikes swerve into traffic to avoid it.",
        "Old Town",
        {"surface": "cycle_lane", "depth": "8"},
        "co_delivered",
    ),
    (
        "pothole",
        "Broken paving slab by the bus stop, lifted about 3 cm. Someone with a walker nearly fell.",
        "Market Square",
        {"surface": "pavement", "depth": "3"},
        "fixed_org",
    ),
    (
        "pothole",
        "Potholes all along the access road to the allotments.",
        "Northfield",
        {"surface": "road"},
        "action_scheduled",
    ),
    (
        "pothole",
        "Hole opening up at the zebra crossing, filling with water.",
        "Station Quarter",
        {"surface": "road", "depth": "5"},
        "in_progress",
    ),
    (
        "pothole",
        "Tree roots have pushed up the pavement on the corner.",
        "Elm Park",
        {"surface": "pavement"},
        "investigating",
    ),
    (
        "pothole",
        "Pothole by the petrol station, same as the one already reported I think.",
        "Station Quarter",
        {"surface": "road"},
        "duplicate",
    ),
    (
        "pothole",
        "Crumbling kerb at the dropped crossing; wheelchairs get stuck.",
        "Hillcrest",
        {"surface": "pavement"},
        "open",
    ),
    (
        "street-light",
        "Three lights out in a row on the river path. Very dark walking home.",
        "Riverbank",
        {"column": "RB14"},
        "fixed_org",
    ),
    (
        "street-light",
        "Light flickering on and off all night outside number 22.",
        "Old Town",
        {},
        "open",
    ),
    (
        "street-light",
        "Light in the underpass has been out for weeks.",
        "Canal Side",
        {"column": "CS03"},
        "not_fixed",
    ),
    (
        "street-light",
        "Street light stays on all day in the cul-de-sac.",
        "Elm Park",
        {},
        "no_further_action",
    ),
    (
        "fly-tipping",
        "Mattress and bin bags dumped behind the shops.",
        "Market Square",
        {"size": "car", "contents": ["household", "furniture"]},
        "fixed_org",
    ),
    (
        "fly-tipping",
        "Rubble and plasterboard left by the canal bridge.",
        "Canal Side",
        {"size": "van", "contents": ["building"]},
        "in_progress",
    ),
    (
        "fly-tipping",
        "Sofa on the green again.",
        "Hillcrest",
        {"size": "car", "contents": ["furniture"]},
        "open",
    ),
    (
        "fly-tipping",
        "Bags of garden waste in the lane; I think it is on railway land.",
        "Station Quarter",
        {"size": "bag"},
        "not_responsible",
    ),
    (
        "fly-tipping",
        "Needles in the alley behind the chapel. Children walk here.",
        "Old Town",
        {"size": "bag", "contents": ["sharps"]},
        "fixed_org",
    ),
    (
        "litter-bins",
        "Litter all along the river path after the weekend.",
        "Riverbank",
        {},
        "co_delivered",
    ),
    ("litter-bins", "Bins in the park overflowing every Monday.", "Elm Park", {}, "co_delivered"),
    (
        "litter-bins",
        "Crisp packets and cans all over the playground.",
        "Northfield",
        {},
        "community_action",
    ),
    (
        "litter-bins",
        "The bin by the bus shelter is broken and the lid is missing.",
        "Market Square",
        {},
        "action_scheduled",
    ),
    (
        "litter-bins",
        "Lots of litter along the canal towpath by the lock.",
        "Canal Side",
        {},
        "fixed_residents",
    ),
    ("litter-bins", "Dog waste bin not emptied for two weeks.", "Hillcrest", {}, "investigating"),
    (
        "litter-bins",
        "Litter in the hedges by the station car park.",
        "Station Quarter",
        {},
        "offered",
    ),
    (
        "antisocial-behaviour",
        "Young people on mopeds racing through the park in the evenings.",
        "Elm Park",
        {"when": "2026-10-02T20:30:00+01:00"},
        "investigating",
    ),
    (
        "antisocial-behaviour",
        "Groups drinking in the underpass; people avoid walking through.",
        "Canal Side",
        {},
        "in_progress",
    ),
    (
        "antisocial-behaviour",
        "Someone keeps setting fire to the bins by the garages.",
        "Hillcrest",
        {},
        "action_scheduled",
    ),
    (
        "antisocial-behaviour",
        "Loud music from a car park late at night.",
        "Station Quarter",
        {},
        "internal_referral",
    ),
    (
        "antisocial-behaviour",
        "Graffiti on the community centre wall, some of it offensive.",
        "Old Town",
        {},
        "co_delivered",
    ),
    (
        "antisocial-behaviour",
        "Shouting and a fight outside the takeaway on Friday.",
        "Market Square",
        {},
        "open",
    ),
    (
        "speeding",
        "Cars speed down Mill Lane past the primary school at pick-up time.",
        "Old Town",
        {"times": "8.30–9.00 and 15.00–15.30"},
        "community_action",
    ),
    (
        "speeding",
        "Motorbikes at night on the ring road.",
        "Northfield",
        {"times": "After 22.00"},
        "no_further_action",
    ),
    (
        "speeding",
        "Vans cutting through the estate to avoid the lights.",
        "Hillcrest",
        {"times": "Rush hour"},
        "open",
    ),
    (
        "communal-repair",
        "The lift at Elm House is broken again; the fourth floor cannot get down.",
        "Riverbank",
        {"block": "elm"},
        "fixed_org",
    ),
    (
        "communal-repair",
        "Entry door at Ash Court does not lock, anyone can walk in.",
        "Elm Park",
        {"block": "ash"},
        "in_progress",
    ),
    (
        "communal-repair",
        "Stairwell lights out on floors 2 and 3 at Elm House.",
        "Riverbank",
        {"block": "elm"},
        "open",
    ),
    (
        "communal-repair",
        "Shared garden at Willow Walk overgrown; the path is blocked.",
        "Canal Side",
        {"block": "willow"},
        "co_delivered",
    ),
    (
        "communal-repair",
        "Damp and mould in the bin store.",
        "Riverbank",
        {"block": "elm"},
        "investigating",
    ),
    (
        "communal-repair",
        "Handrail loose on the ramp at Ash Court.",
        "Elm Park",
        {"block": "ash"},
        "action_scheduled",
    ),
    (
        "communal-repair",
        "Rubbish chute blocked at Elm House.",
        "Riverbank",
        {"block": "elm"},
        "fixed_residents",
    ),
    ("communal-repair", "Noticeboard in the lobby smashed.", "Elm Park", {"block": "ash"}, "open"),
]

HELP = {
    "pothole": (
        "I can put cones out and stand with the lollipop team at drop-off while it is fixed.",
        90,
    ),
    "litter-bins": (
        "I will run a litter pick with the Saturday walkers; we need bags and grabbers.",
        120,
    ),
    "antisocial-behaviour": (
        "The youth club would paint a mural over it with the young people.",
        180,
    ),
    "speeding": ("Our street could run a Community Speedwatch with the police.", 120),
    "communal-repair": ("Some of us tenants can clear the path and cut back the bushes.", 150),
}

NOTES = [
    (
        "The Canal Side underpass floods ankle-deep after heavy rain; people walk the long way round by the lock.",
        "Canal Side underpass",
        "Canal Side",
        None,
    ),
    (
        "The lift at Elm House is often broken on Sundays, when no repair contractor is on call. Check on the fourth floor.",
        "Elm House",
        "Riverbank",
        "housing",
    ),
    (
        "The footbridge by the station is icy first thing in winter; it is not on the gritting route.",
        "Station footbridge",
        "Station Quarter",
        "council",
    ),
    (
        "Older residents in Hillcrest rarely go online: the noticeboard at the post office is how news travels.",
        "Hillcrest post office",
        "Hillcrest",
        None,
    ),
    (
        "Parents gather at the Mill Lane gate at 15.10; it is the best moment to talk to them about road safety.",
        "Mill Lane school gate",
        "Old Town",
        "police",
    ),
    (
        "The police team's non-emergency line is quickest before 10 in the morning.",
        "",
        "",
        "police",
    ),
    (
        "The Market Square bins are emptied on Tuesdays, so Monday evenings are the worst for litter.",
        "Market Square",
        "Market Square",
        "council",
    ),
    (
        "Several Willow Walk tenants speak Polish first; the repair letters only come in English.",
        "Willow Walk",
        "Canal Side",
        "housing",
    ),
]


def _photo(rng: random.Random, label: str) -> SimpleUploadedFile:
    """A small made-up photo: the demo ships no real pictures of anyone's street."""
    image = Image.new(
        "RGB", (640, 480), (rng.randint(90, 150), rng.randint(90, 150), rng.randint(90, 150))
    )
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 160, 440, 320), fill=(40, 40, 40))
    draw.text((20, 20), label[:40], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def _point(rng: random.Random, community: Community, place: str) -> tuple[float, float]:
    from coproduce.communities.models import Neighbourhood

    spot = Neighbourhood.objects.filter(community=community, name=place).first()
    lat, lng = (spot.lat, spot.lng) if spot else (community.centre_lat, community.centre_lng)
    lat = min(max(lat + rng.uniform(-0.004, 0.004), community.min_lat), community.max_lat)
    lng = min(max(lng + rng.uniform(-0.006, 0.006), community.min_lng), community.max_lng)
    return round(lat, 6), round(lng, 6)


def _organisations(
    *, community: Community, admin: User, rng: random.Random
) -> dict[str, tuple[Organisation, User]]:
    """The bodies that take reports, each with one member of staff who answers them."""
    police = Organisation.objects.get(
        community=community, name="Riverside Neighbourhood Policing Team"
    )
    police_officer = (
        OrganisationMember.objects.filter(organisation=police, role__in=["manager", "staff"])
        .select_related("user")
        .first()
    )
    council = organisation_create(
        community=community,
        name="Riverside Council Street Services",
        kind=Organisation.Kind.PUBLIC_BODY,
        created_by=admin,
        description="Roads, pavements, street lights, bins and fly-tipping.",
        email="streets@council.example",
        phone="0118 496 0700",
    )
    housing = organisation_create(
        community=community,
        name="Riverside Homes",
        kind=Organisation.Kind.CHARITY,
        created_by=admin,
        description="The housing association for Elm House, Ash Court and Willow Walk.",
        email="repairs@riversidehomes.example",
        phone="0118 496 0750",
    )
    taken = {m.user_id for m in OrganisationMember.objects.filter(community=community)}
    candidates = list(
        Membership.objects.active()
        .filter(community=community, role=Role.MEMBER, user__email__isnull=False)
        .exclude(user_id__in=taken)
        .select_related("user")
        .order_by("id")[:200]
    )
    chosen = rng.sample(candidates, 2)
    for org, person, title in (
        (council, chosen[0].user, "Street services officer"),
        (housing, chosen[1].user, "Neighbourhood housing officer"),
    ):
        organisation_member_add(
            organisation=org, user=person, role="staff", added_by=admin, title=title
        )
    officer = police_officer.user if police_officer else admin
    return {
        "council": (council, chosen[0].user),
        "police": (police, officer),
        "housing": (housing, chosen[1].user),
    }


def build(
    *, community: Community, personas: dict[str, User], rng: random.Random, today: date
) -> InsightSummary:
    """Categories, about forty reports in every state, help paid in credits, notes and a key."""
    admin = personas["admin"]
    summary = InsightSummary()
    orgs = _organisations(community=community, admin=admin, rng=rng)
    categories: dict[str, Category] = {}
    for order, spec in enumerate(CATEGORIES):
        category = category_save(
            community=community,
            saved_by=admin,
            organisation=orgs[spec.org][0],
            code=spec.code,
            name=spec.name,
            description=spec.description,
            group=spec.group,
            order=order,
        )
        for position, attribute in enumerate(spec.attributes):
            category_attribute_save(
                category=category,
                saved_by=admin,
                spec=AttributeSpec(**{**attribute.__dict__, "order": position}),
            )
        categories[spec.code] = category
    summary.categories = len(categories)
    residents = [
        m.user
        for m in Membership.objects.active()
        .filter(community=community, role=Role.MEMBER)
        .exclude(user__organisation_roles__isnull=False)
        .select_related("user")
        .order_by("id")[:300]
    ]
    helpers = [personas["neighbour"], personas["member"], *rng.sample(residents, 6)]
    now = timezone.make_aware(datetime.combine(today, time(12)))
    made: list[tuple[Report, datetime]] = []
    duplicate_target: Report | None = None
    for index, (code, text, place, answers, story) in enumerate(REPORTS):
        category = categories[code]
        staff = orgs[next(s.org for s in CATEGORIES if s.code == code)][1]
        reporter = personas["member"] if index in (0, 16) else rng.choice(residents)
        lat, lng = _point(rng, community, place)
        report = report_create(
            category=category,
            reporter=reporter,
            description=text,
            lat=lat,
            lng=lng,
            address_string=place if index % 5 == 0 else "",
            # Some people tell the police privately what they would not say in public.
            public=not (code == "antisocial-behaviour" and story in ("open", "in_progress")),
            anonymous=code == "antisocial-behaviour",
            attributes=answers,
            photos=[_photo(rng, category.name)] if index % 4 == 0 else [],
        )
        if report.public:
            for follower in rng.sample(residents, rng.randint(0, 3)):
                report_follow(report=report, user=follower)
        if code == "pothole" and story == "in_progress":
            duplicate_target = report
        _story(
            report=report,
            story=story,
            staff=staff,
            helper=helpers[index % len(helpers)],
            duplicate_of=duplicate_target,
            summary=summary,
            rng=rng,
        )
        if story not in ("open", "offered") and index % 3 == 0:
            report_assign(report=report, assigned_to=staff, assigned_by=staff)
        made.append((report, now - timedelta(days=rng.uniform(2, 90))))
    _backdate(made, rng)
    summary.reports = len(made)
    for report, _at in made:
        report.refresh_from_db(fields=["state"])
        summary.by_state[report.state] = summary.by_state.get(report.state, 0) + 1
    summary.notes = _notes(
        community=community, personas=personas, orgs=orgs, residents=residents, rng=rng
    )
    _key, raw = open311_key_create(
        organisation=orgs["council"][0], name="Council FixMyStreet", created_by=admin
    )
    summary.open311_key_prefix = raw[:12]
    return summary


def _story(
    *,
    report: Report,
    story: str,
    staff: User,
    helper: User,
    duplicate_of: Report | None,
    summary: InsightSummary,
    rng: random.Random,
) -> None:
    """Walk one report to where its story ends, through the same services as the pages."""

    def say(text: str, state: str | None = None, **extra: str) -> None:
        report_update_add(report=report, author=staff, text=text, state=state, **extra)  # type: ignore[arg-type]

    if story == "open":
        return
    if story == "investigating":
        say("Thank you. Someone will look at this in the next few days.", "investigating")
    elif story == "in_progress":
        say("We have been out to look.", "investigating")
        say("A crew is working on it this week.", "in_progress")
    elif story == "action_scheduled":
        say("Booked in with the contractor for the end of the month.", "action_scheduled")
    elif story == "fixed_org":
        say("We have been out to look.", "investigating")
        say("Repaired today. Thank you for letting us know.", "fixed", fixed_by="organisation")
    elif story == "fixed_residents":
        report_update_add(
            report=report, author=helper, text="A few of us sorted this out on Saturday morning."
        )
        say("Neighbours have cleared this. Thank you all.", "fixed", fixed_by="residents")
    elif story == "not_fixed":
        say("Replaced the lamp.", "fixed", fixed_by="organisation")
        assert report.reporter is not None
        report_update_add(
            report=report,
            author=report.reporter,
            text="Still dark every night this week.",
            state="open",
        )
        say("Sorry. It looks like a cable fault; we have asked the power company.", "investigating")
    elif story == "duplicate":
        say(
            "This is the same hole as another report; please follow that one.",
            "closed",
            closed_reason="duplicate",
        )
        if duplicate_of is not None:
            Report.objects.filter(pk=report.pk).update(duplicate_of=duplicate_of)
    elif story in ("no_further_action", "not_responsible", "internal_referral"):
        texts = {
            "no_further_action": "We checked and it is working as designed; nothing more we can do.",
            "not_responsible": "This is Network Rail land; we have passed it on to them.",
            "internal_referral": "Passed to the council's noise team, who deal with this.",
        }
        say(texts[story], "closed", closed_reason=story)
    elif story in ("offered", "community_action", "co_delivered"):
        text, minutes = HELP[report.category.code]
        offer = help_offer_create(report=report, helper=helper, text=text, minutes_offered=minutes)
        if story == "offered":
            return
        help_offer_decide(
            offer=offer,
            decided_by=staff,
            accept=True,
            response="Thank you, let's plan it together.",
        )
        if story == "community_action":
            return
        taken = minutes + rng.choice([-30, 0, 0, 30])
        help_offer_done(
            offer=offer,
            helper=helper,
            note="Done, with a few neighbours. Photos in the group chat.",
            minutes=taken,
        )
        confirmed = help_offer_confirm(offer=offer, confirmed_by=staff)
        summary.credits_paid_minutes += confirmed.minutes_credited or 0


def _backdate(made: list[tuple[Report, datetime]], rng: random.Random) -> None:
    """Spread the reports over three months; updates follow their report by hours or days."""
    for report, at in made:
        updates = list(
            ReportUpdate.objects.filter(report=report).order_by("id").values_list("id", "role")
        )
        moment = at
        first_answer = None
        for update_id, role in updates:
            moment = moment + timedelta(hours=rng.uniform(3, 72))
            if first_answer is None and role in ("organisation", "moderator"):
                first_answer = moment
            ReportUpdate.objects.filter(pk=update_id).update(created_at=moment)
        Report.objects.filter(pk=report.pk).update(
            created_at=at, updated_at=moment, responded_at=first_answer
        )
        HelpOffer.objects.filter(report=report).update(created_at=at + timedelta(hours=2))


def _notes(
    *,
    community: Community,
    personas: dict[str, User],
    orgs: dict[str, tuple[Organisation, User]],
    residents: list[User],
    rng: random.Random,
) -> int:
    confirmers = [personas["nurse"], personas["coordinator"], orgs["police"][1]]
    count = 0
    for text, place, area, org_key in NOTES:
        lat = lng = None
        if area:
            lat, lng = _point(rng, community, area)
        note = note_create(
            community=community,
            author=personas["neighbour"] if count % 3 == 0 else rng.choice(residents),
            text=text,
            place_name=place,
            lat=lat,
            lng=lng,
            organisation=orgs[org_key][0] if org_key else None,
        )
        for person in rng.sample(confirmers, rng.randint(0, 2)):
            if person.pk != note.author_id:
                note_confirm(note=note, user=person, comment="Still the case.")
        count += 1
    return count
