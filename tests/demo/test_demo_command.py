"""`coproduce demo`: a realistic Riverside that every persona can sign in to."""

from collections.abc import Iterator
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings

from coproduce.communities.models import (
    Community,
    Membership,
    Organisation,
    OrganisationMember,
    Role,
)
from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.people.models import Consent, Profile, SafeguardingCheck, User
from coproduce.web import demo

pytestmark = pytest.mark.django_db

MEMBERS = 40


def build(*args: str) -> str:
    """Build with the smallest ledger history; test_demo_ledger.py builds the whole of it."""
    out = StringIO()
    call_command("demo", "--members", str(MEMBERS), "--transfers", "0", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def _built(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """One build for the whole module, rolled back at its end; each test runs in a savepoint."""
    with (
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        build()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def riverside(_built: None, db: None) -> Community:
    return Community.objects.get(slug="riverside")


def persona(key: str) -> User:
    return User.objects.get(email=next(p.email for p in demo.PERSONAS if p.key == key))


def test_it_builds_riverside_with_the_members_asked_for(riverside: Community) -> None:
    assert riverside.name == "Riverside"
    assert riverside.contains(*demo.CENTRE)
    assert (
        Membership.objects.filter(community=riverside, state=Membership.State.ACTIVE).count()
        == MEMBERS
    )
    assert 8 <= riverside.neighbourhoods.count() <= 10


def test_every_persona_can_sign_in_with_the_demo_password(riverside: Community) -> None:
    for p in demo.PERSONAS:
        user = authenticate(email=p.email, password=demo.PASSWORD)
        assert user is not None, p.email
        assert EmailAddress.objects.filter(
            user=user, email=p.email, verified=True, primary=True
        ).exists()


def test_a_persona_signs_in_through_the_login_page(riverside: Community) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "member@riverside.example", "password": demo.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/c/riverside/").status_code == 200


def test_each_persona_has_their_role(riverside: Community) -> None:
    roles = {
        p.key: Membership.objects.get(community=riverside, user=persona(p.key)).role
        for p in demo.PERSONAS
    }
    assert roles == {
        "admin": Role.ADMIN,
        "coordinator": Role.COORDINATOR,
        "nurse": Role.PROFESSIONAL,
        "member": Role.MEMBER,
        "neighbour": Role.MEMBER,
    }
    admin = persona("admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.filter(is_superuser=True).exclude(pk=admin.pk).exists()


def test_it_has_eight_organisations_with_the_nurse_at_the_gp_practice(
    riverside: Community,
) -> None:
    names = set(Organisation.objects.filter(community=riverside).values_list("name", flat=True))
    assert names == {
        "Riverside Medical Practice",
        "Riverside Library",
        "Riverside Neighbourhood Policing Team",
        "Riverside Council Street Services",
        "Riverside Homes",
        "Elm House Tenants' Association",
        "Riverside Food Bank",
        "Canal Side Café",
    }
    nurse = OrganisationMember.objects.get(community=riverside, user=persona("nurse"))
    assert nurse.organisation.name == "Riverside Medical Practice"
    assert nurse.title == "Community nurse"
    assert all(
        o.email and o.phone and o.description
        for o in Organisation.objects.filter(community=riverside)
    )


def test_the_nurse_and_the_coordinator_have_an_enhanced_dbs_check(riverside: Community) -> None:
    checked = SafeguardingCheck.objects.filter(
        community=riverside, kind=SafeguardingCheck.Kind.DBS_ENHANCED
    )
    assert {"nurse@riverside.example", "coordinator@riverside.example"} <= set(
        checked.values_list("user__email", flat=True)
    )


def test_there_are_open_offers_and_requests(riverside: Community) -> None:
    listings = Listing.objects.filter(community=riverside)
    assert listings.count() == MEMBERS // 2
    assert listings.open().filter(kind=Listing.Kind.OFFER).exists()
    assert listings.open().filter(kind=Listing.Kind.REQUEST).exists()
    assert all(listing.skill_id for listing in listings)


def test_the_member_has_two_listings_and_the_neighbour_a_request_the_member_can_answer(
    riverside: Community,
) -> None:
    member, neighbour = persona("member"), persona("neighbour")
    assert Listing.objects.filter(community=riverside, owner=member).count() == 2
    request = Listing.objects.open().get(
        community=riverside, owner=neighbour, kind=Listing.Kind.REQUEST
    )
    assert not Conversation.objects.filter(listing=request, responder=member).exists()


def test_the_member_and_the_neighbour_talk_with_contact_shared_by_one_side(
    riverside: Community,
) -> None:
    chat = Conversation.objects.get(
        community=riverside, owner=persona("member"), responder=persona("neighbour")
    )
    assert chat.responder_shares_contact and not chat.owner_shares_contact
    assert Message.objects.filter(conversation=chat).count() == 3


def test_members_talk_about_listings_in_one_to_four_messages(riverside: Community) -> None:
    conversations = Conversation.objects.filter(community=riverside)
    assert conversations.count() >= 12
    for conversation in conversations:
        assert 1 <= conversation.messages.count() <= 4


def test_offline_members_have_no_email_and_let_coordinators_act_for_them(
    riverside: Community,
) -> None:
    offline = Membership.objects.filter(community=riverside, user__email__isnull=True)
    assert offline.exists()
    for membership in offline:
        assert Consent.objects.filter(
            community=riverside, user=membership.user, purpose=Consent.Purpose.BROKER_ENTRY
        ).exists()
        assert not membership.user.has_usable_password()


def test_everyone_is_somewhere_inside_the_community(riverside: Community) -> None:
    for membership in Membership.objects.filter(community=riverside).exclude(lat=None):
        assert riverside.contains(membership.lat, membership.lng)
    assert not Membership.objects.filter(community=riverside, lat=None, neighbourhood=None).exists()


def test_members_speak_several_languages(riverside: Community) -> None:
    spoken = {
        code
        for languages in Profile.objects.values_list("languages", flat=True)
        for code in languages
    }
    assert "en" in spoken
    assert spoken & {"pl", "ur", "ar", "bn", "so", "ro"}


def test_a_second_run_changes_nothing(riverside: Community) -> None:
    before = (User.objects.count(), Listing.objects.count(), Message.objects.count())
    output = build()
    assert "already exists" in output
    assert (User.objects.count(), Listing.objects.count(), Message.objects.count()) == before


def test_reset_builds_it_again_without_leaving_anyone_behind(riverside: Community) -> None:
    users = User.objects.count()
    output = build("--reset")
    assert "Built Riverside" in output
    assert User.objects.count() == users
    assert Community.objects.filter(slug="riverside").count() == 1


def test_reset_keeps_people_who_belong_to_another_community(
    riverside: Community, other_member: User
) -> None:
    Membership.objects.create(community=riverside, user=other_member, state=Membership.State.ACTIVE)
    build("--reset")
    assert User.objects.filter(pk=other_member.pk).exists()


def test_it_prints_the_personas_and_their_password(riverside: Community) -> None:
    output = build("--reset")
    for p in demo.PERSONAS:
        assert p.email in output
    assert demo.PASSWORD in output


def test_too_few_members_is_refused_with_a_clear_error() -> None:
    users = User.objects.count()
    with pytest.raises(CommandError, match="--members"):
        call_command("demo", "--members", "5", "--reset", stdout=StringIO())
    assert User.objects.count() == users
