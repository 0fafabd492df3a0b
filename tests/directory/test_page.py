"""The publishing page: a community's coordinators turn its open-directory listing on and off."""

from collections.abc import Callable

import pytest
from django.test import Client

from coproduce.communities.models import Community
from coproduce.directory.models import DirectorySettings
from coproduce.directory.selectors import published_communities
from coproduce.people.models import User

pytestmark = pytest.mark.django_db

PAGE = "/c/riverside/directory/"


def test_a_coordinator_sees_that_the_community_is_not_published(
    client_for: Callable[[User], Client], coordinator: User, django_assert_max_num_queries: Callable
) -> None:
    with django_assert_max_num_queries(25):
        page = client_for(coordinator).get(PAGE)
    assert page.status_code == 200
    assert "Your services are not in the open directory." in page.content.decode()


def test_a_coordinator_publishes_and_the_services_list_opens(
    client_for: Callable[[User], Client], coordinator: User, community: Community
) -> None:
    answer = client_for(coordinator).post(PAGE, {"publish": "on"}, follow=True)
    assert answer.redirect_chain[-1][0] == PAGE
    assert "Your services are now in the open directory." in answer.content.decode()
    assert list(published_communities()) == [community]
    settings = DirectorySettings.objects.get(community=community)
    assert settings.changed_by == coordinator


def test_a_coordinator_stops_publishing(
    client_for: Callable[[User], Client], coordinator: User, community: Community
) -> None:
    client = client_for(coordinator)
    client.post(PAGE, {"publish": "on"})
    answer = client.post(PAGE, {}, follow=True)
    assert "Your services are no longer in the open directory." in answer.content.decode()
    assert list(published_communities()) == []
    page = client.get(PAGE).content.decode()
    assert "Your services are not in the open directory." in page
    assert "Last changed by" in page


@pytest.mark.parametrize("who", ["member", "professional"])
def test_a_member_who_is_not_a_coordinator_is_refused_and_nothing_changes(
    client_for: Callable[[User], Client], request: pytest.FixtureRequest, who: str
) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"publish": "on"}).status_code == 403
    assert list(published_communities()) == []


def test_an_outsider_and_another_communitys_member_are_refused(
    client_for: Callable[[User], Client], outsider: User, other_member: User, community: Community
) -> None:
    for person in (outsider, other_member):
        client = client_for(person)
        assert client.post(PAGE, {"publish": "on"}).status_code in (403, 404)
    assert list(published_communities()) == []


def test_someone_signed_out_is_sent_to_sign_in(client: Client, community: Community) -> None:
    answer = client.get(PAGE)
    assert answer.status_code == 302
    assert "/accounts/login/" in answer["Location"]


def test_an_unknown_community_is_404(
    client_for: Callable[[User], Client], coordinator: User
) -> None:
    assert client_for(coordinator).get("/c/nowhere/directory/").status_code == 404
