"""Following a service through the API: its status and review date, its milestones, and how
often a member hears about co-production."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.coproduction.models import Milestone, NotificationPreference, Service
from coproduce.people.models import User
from tests.api.test_coproduction import BASE, make_service, patch, post, put

Api = Callable[[User], Client]


@pytest.fixture
def service(community: Community, coordinator: User) -> Service:
    return make_service(community, coordinator, review_on=timezone.localdate())


def test_the_people_who_run_a_service_change_its_status_and_review_date(
    service: Service, coordinator: User, api_for: Api
) -> None:
    review = timezone.localdate() + timedelta(days=90)
    response = patch(
        api_for(coordinator),
        f"{BASE}/services/{service.pk}",
        {"status": "running", "review_on": review.isoformat()},
    )
    assert response.status_code == 200, response.content
    service.refresh_from_db()
    assert (service.status, service.review_on) == ("running", review)


def test_a_member_who_does_not_run_it_cannot_change_a_service(
    service: Service, member: User, api_for: Api
) -> None:
    response = patch(api_for(member), f"{BASE}/services/{service.pk}", {"status": "ended"})
    assert response.status_code == 403
    service.refresh_from_db()
    assert service.status != "ended"


@pytest.mark.parametrize(
    ("body", "field"), [({"status": "finished"}, "status"), ({"review_on": "soon"}, "review_on")]
)
def test_a_bad_service_change_is_422_naming_the_field(
    service: Service, coordinator: User, api_for: Api, body: dict[str, str], field: str
) -> None:
    response = patch(api_for(coordinator), f"{BASE}/services/{service.pk}", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]


def test_milestones_are_added_and_marked_done(
    service: Service, coordinator: User, api_for: Api
) -> None:
    client = api_for(coordinator)
    response = post(
        client, f"{BASE}/services/{service.pk}/milestones", {"title": "Ten sessions held"}
    )
    assert response.status_code == 201, response.content
    milestone = Milestone.objects.get(service=service)
    response = post(client, f"{BASE}/milestones/{milestone.pk}/status", {"status": "done"})
    assert response.status_code == 200, response.content
    milestone.refresh_from_db()
    assert (milestone.status, milestone.done_on) == ("done", timezone.localdate())


def test_a_member_cannot_add_milestones_to_a_service_they_do_not_run(
    service: Service, member: User, api_for: Api
) -> None:
    response = post(api_for(member), f"{BASE}/services/{service.pk}/milestones", {"title": "x"})
    assert response.status_code == 403
    assert not Milestone.objects.exists()


def test_another_communitys_milestone_is_404(
    service: Service, coordinator: User, other_member: User, api_for: Api
) -> None:
    post(api_for(coordinator), f"{BASE}/services/{service.pk}/milestones", {"title": "Ours"})
    milestone = Milestone.objects.get()
    response = post(
        api_for(other_member),
        f"/api/v1/communities/hillside/milestones/{milestone.pk}/status",
        {"status": "done"},
    )
    assert response.status_code == 404


def test_a_member_chooses_a_daily_digest(member: User, api_for: Api) -> None:
    response = put(api_for(member), f"{BASE}/notification-preference", {"frequency": "daily"})
    assert response.status_code == 200, response.content
    assert response.json() == {"frequency": "daily"}
    assert NotificationPreference.objects.get(user=member).frequency == "daily"


def test_an_unknown_frequency_is_422(member: User, api_for: Api) -> None:
    response = put(api_for(member), f"{BASE}/notification-preference", {"frequency": "weekly"})
    assert response.status_code == 422
    assert not NotificationPreference.objects.exists()


def test_an_outsider_cannot_set_a_preference(
    community: Community, outsider: User, api_for: Api
) -> None:
    response = put(api_for(outsider), f"{BASE}/notification-preference", {"frequency": "daily"})
    assert response.status_code == 403
