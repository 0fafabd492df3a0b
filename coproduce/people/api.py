"""REST endpoints for people: the skill taxonomy, profiles, and the caller's own profile."""

from typing import Annotated, Literal, get_args

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Path, Router, Schema
from pydantic import StringConstraints

from coproduce.api.auth import caller
from coproduce.api.schemas import MAX_ID, READ_ERRORS, WRITE_ERRORS, ErrorOut, NoNul
from coproduce.api.tenancy import membership_for
from coproduce.communities.models import Membership
from coproduce.people.models import Asset, Profile, Skill, SkillCategory, User
from coproduce.people.selectors import display_name
from coproduce.people.services import profile_update

router = Router(tags=["people"])

Confidence = Literal["learning", "capable", "experienced"]
ContactPreference = Literal["message", "email", "phone", "coordinator"]
# The values of people.models.AccessSupport and Gender (a test keeps them in step).
AccessKind = Literal["step_free", "bsl", "easy_read", "large_print", "home_visit"]
GenderValue = Literal["", "woman", "man", "non_binary"]
ACCESS_DESCRIPTION = (
    "Kinds of access support: step_free, bsl (British Sign Language), easy_read, "
    "large_print, home_visit."
)
LanguageCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=12, pattern=r"^[a-zA-Z]+(-[a-zA-Z]+)*$"
    ),
]


class SkillOut(Schema):
    slug: str
    name: str


class SkillCategoryOut(Schema):
    slug: str
    name: str
    skills: list[SkillOut]


class OfferedSkillOut(Schema):
    slug: str
    name: str
    category: str = Field(description="The slug of the skill's category.")
    confidence: Confidence


class ContactOut(Schema):
    email: str | None
    phone: str
    contact_preference: ContactPreference
    accessibility_needs: str
    access_needs: list[AccessKind] = Field(
        description="What helps them take part (matching looks for helpers who give it). "
        + ACCESS_DESCRIPTION
    )
    access_offers: list[AccessKind] = Field(
        description="Access support they can give. " + ACCESS_DESCRIPTION
    )


class ProfileOut(Schema):
    user_id: int
    display_name: str
    bio: str
    languages: list[str]
    neighbourhood: str | None = Field(
        description="The name of the person's neighbourhood, if they chose one."
    )
    skills: list[OfferedSkillOut] = Field(description="The skills they offer in this community.")
    contact: ContactOut | None = Field(
        description="Shown only to the person themselves and to coordinators."
    )


class MyProfileOut(Schema):
    user_id: int
    email: str | None
    display_name: str
    bio: str
    languages: list[str]
    accessibility_needs: str
    contact_preference: ContactPreference
    phone: str
    access_needs: list[AccessKind] = Field(
        description="What helps you take part. " + ACCESS_DESCRIPTION
    )
    access_offers: list[AccessKind] = Field(
        description="Access support you can give. " + ACCESS_DESCRIPTION
    )
    gender: GenderValue = Field(
        description="Only if you choose to say (empty: not said); used only to respect a "
        "preference stated on a request, and nobody else sees it."
    )


class ProfileIn(Schema):
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), NoNul
    ]
    bio: Annotated[str, StringConstraints(max_length=1000), NoNul] = ""
    languages: list[LanguageCode] = Field(
        default_factory=list, max_length=10, description="Codes like en or pl."
    )
    accessibility_needs: Annotated[str, StringConstraints(max_length=500), NoNul] = ""
    contact_preference: ContactPreference = "message"
    phone: Annotated[str, StringConstraints(max_length=30, pattern=r"^[0-9+() .-]*$")] = ""
    access_needs: list[AccessKind] | None = Field(
        default=None,
        max_length=len(get_args(AccessKind)),
        description="What helps you take part; left out (or null): stays as it was. "
        + ACCESS_DESCRIPTION,
    )
    access_offers: list[AccessKind] | None = Field(
        default=None,
        max_length=len(get_args(AccessKind)),
        description="Access support you can give; left out (or null): stays as it was. "
        + ACCESS_DESCRIPTION,
    )
    gender: GenderValue | None = Field(
        default=None,
        description="woman, man, non_binary, or empty to not say; left out (or null): stays "
        "as it was. Nobody else sees it.",
    )


def _my_profile_out(user: User, profile: Profile) -> MyProfileOut:
    return MyProfileOut(
        user_id=user.pk,
        email=user.email,
        display_name=profile.display_name,
        bio=profile.bio,
        languages=list(profile.languages),
        accessibility_needs=profile.accessibility_needs,
        contact_preference=profile.contact_preference,  # type: ignore[arg-type]
        phone=profile.phone,
        access_needs=list(profile.access_needs),
        access_offers=list(profile.access_offers),
        gender=profile.gender,  # type: ignore[arg-type]
    )


@router.get("/communities/{slug}/skills", response={200: list[SkillCategoryOut], **READ_ERRORS})
def skill_list(request: HttpRequest, slug: str) -> list[SkillCategoryOut]:
    """The community's skill taxonomy, by category (its slugs are what listings refer to)."""
    community = membership_for(request, slug).community
    categories = SkillCategory.objects.filter(community=community).prefetch_related(
        Prefetch("skills", queryset=Skill.objects.filter(community=community).order_by("name"))
    )
    return [
        SkillCategoryOut(
            slug=category.slug,
            name=category.name,
            skills=[SkillOut(slug=s.slug, name=s.name) for s in category.skills.all()],
        )
        for category in categories
    ]


@router.get("/communities/{slug}/profiles/{user_id}", response={200: ProfileOut, **READ_ERRORS})
def profile_detail(
    request: HttpRequest, slug: str, user_id: int = Path(..., ge=1, le=MAX_ID)
) -> ProfileOut:
    """A member's profile; contact details only for the person themselves and coordinators."""
    viewer = membership_for(request, slug)
    community = viewer.community
    memberships = Membership.objects.filter(community=community, user_id=user_id)
    if not viewer.is_staff:
        memberships = memberships.active()
    membership = memberships.select_related("user__profile", "neighbourhood").first()
    if membership is None:
        raise Http404
    person = membership.user
    profile: Profile | None = getattr(person, "profile", None)
    skills = (
        Asset.objects.filter(community=community, user=person, kind=Asset.Kind.SKILL, offered=True)
        .select_related("skill__category")
        .order_by("skill__name")
    )
    contact = None
    if viewer.is_staff or person.pk == viewer.user_id:
        contact = ContactOut(
            email=person.email,
            phone=profile.phone if profile else "",
            contact_preference=profile.contact_preference if profile else "message",  # type: ignore[arg-type]
            accessibility_needs=profile.accessibility_needs if profile else "",
            access_needs=list(profile.access_needs) if profile else [],
            access_offers=list(profile.access_offers) if profile else [],
        )
    return ProfileOut(
        user_id=person.pk,
        display_name=display_name(person),
        bio=profile.bio if profile else "",
        languages=list(profile.languages) if profile else [],
        neighbourhood=membership.neighbourhood.name if membership.neighbourhood else None,
        skills=[
            OfferedSkillOut(
                slug=a.skill.slug,
                name=a.skill.name,
                category=a.skill.category.slug,
                confidence=a.confidence,  # type: ignore[arg-type]
            )
            for a in skills
            if a.skill is not None
        ],
        contact=contact,
    )


@router.get("/me/profile", response={200: MyProfileOut, 401: ErrorOut, 404: ErrorOut})
def my_profile(request: HttpRequest) -> MyProfileOut:
    """The caller's own profile, with their contact details."""
    user = caller(request)
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        raise Http404
    return _my_profile_out(user, profile)


@router.put("/me/profile", response={200: MyProfileOut, **WRITE_ERRORS})
def my_profile_update(request: HttpRequest, payload: ProfileIn) -> MyProfileOut:
    """Replace the caller's own profile (fields left out take their defaults, except the
    access and gender fields, which stay as they were)."""
    user = caller(request)
    profile = profile_update(user=user, **payload.dict())
    return _my_profile_out(user, profile)
