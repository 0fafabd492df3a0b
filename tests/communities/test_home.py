"""The community home page as everyone who is not an active member sees it: the public about
page, and applying to join from it. Members' dashboard: tests/web/test_dashboard.py."""

from collections.abc import Callable

from django.test import Client

from coproduce.communities.models import Community, Membership
from coproduce.communities.services import organisation_create, organisation_member_add
from coproduce.people.models import User
from tests.people.crowd import add_people

HOME = "/c/riverside/"
ClientFor = Callable[[User], Client]


def test_anonymous_visitors_see_the_public_about_page_with_sign_in_links(
    client: Client, community: Community
) -> None:
    response = client.get(HOME)
    assert response.status_code == 200
    assert b"A test community by the river." in response.content
    assert b"/accounts/login/?next=/c/riverside/" in response.content
    assert b"Apply to join" not in response.content


def test_the_about_page_counts_only_active_members(
    client: Client, community: Community, member: User, applicant: User
) -> None:
    response = client.get(HOME)
    assert response.context["member_count"] == 2  # the admin and the member, not the applicant


def test_the_about_page_lists_the_organisations(
    client: Client, community: Community, admin: User
) -> None:
    organisation_create(
        community=community, name="Riverside Library", kind="public_body", created_by=admin
    )
    assert b"Riverside Library" in client.get(HOME).content


def test_a_signed_in_outsider_sees_the_apply_form(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    response = client_for(outsider).get(HOME)
    assert response.status_code == 200
    assert b"Apply to join" in response.content


def test_an_applicant_sees_that_their_application_is_waiting(
    client_for: ClientFor, applicant: User
) -> None:
    response = client_for(applicant).get(HOME)
    assert b"Your application is waiting" in response.content
    assert b"Apply to join" not in response.content


def test_an_outsider_who_applies_becomes_an_applicant(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    response = client_for(outsider).post(HOME + "join/", {"note": "I grow vegetables."})
    assert response.status_code == 302
    assert response["Location"] == HOME
    membership = Membership.objects.get(community=community, user=outsider)
    assert membership.state == Membership.State.APPLIED
    assert membership.application_note == "I grow vegetables."


def test_applying_while_signed_out_sends_people_to_sign_in(
    client: Client, community: Community
) -> None:
    response = client.post(HOME + "join/", {"note": "hello"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Membership.objects.filter(
        community=community, state=Membership.State.APPLIED
    ).exists()


def test_an_overlong_application_note_is_refused_with_a_field_error(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    response = client_for(outsider).post(HOME + "join/", {"note": "x" * 2001})
    assert response.status_code == 400
    assert response.context["form"].errors["note"]
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def test_an_invitation_only_community_refuses_applications_clearly(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    Community.objects.filter(pk=community.pk).update(joining=Community.Joining.INVITATION)
    response = client_for(outsider).post(HOME + "join/", {"note": ""})
    assert response.status_code in (400, 403)
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def _fill(community: Community, admin: User, count: int, prefix: str) -> None:
    people = add_people(community, admin, count, prefix=prefix)
    organisation = organisation_create(
        community=community, name=f"Org {prefix}", kind="charity", created_by=admin
    )
    for person in people[:count]:
        organisation_member_add(
            organisation=organisation, user=person, role="staff", added_by=admin
        )


def test_the_about_page_makes_the_same_number_of_queries_for_3_or_30_organisations(
    client: Client,
    community: Community,
    admin: User,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    _fill(community, admin, 3, "a")
    with django_assert_max_num_queries(50) as small:  # type: ignore[attr-defined]
        client.get(HOME)
    for i in range(27):
        organisation_create(
            community=community, name=f"Group {i}", kind="community_group", created_by=admin
        )
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[attr-defined]
        client.get(HOME)
