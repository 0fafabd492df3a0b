"""The pages: my data and rights, erasing myself, and the coordinators' request log."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from coproduce.people.models import User
from coproduce.privacy.models import RightsRequest
from coproduce.privacy.services import rights_request_create
from tests.conftest import join, make_user


def url(community, rest=""):
    return f"/c/{community.slug}/{rest}"


def test_my_data_page_lists_my_rights_with_their_buttons(
    community, member, client_for, django_assert_max_num_queries
):
    client = client_for(member)
    with django_assert_max_num_queries(10):
        response = client.get(url(community, "me/data/"))
    assert response.status_code == 200
    page = response.content.decode()
    for target in ("me/data/download/", "me/data/erase/", "/me/"):
        assert target in page


def test_the_download_is_a_zip_of_my_data(life, community, member, client_for):
    response = client_for(member).post(url(community, "me/data/download/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "data.json" in names and "people.profile.csv" in names


def test_a_get_does_not_download(community, member, client_for):
    assert client_for(member).get(url(community, "me/data/download/")).status_code == 405


@pytest.mark.parametrize("path", ["me/data/", "privacy/requests/", "privacy/retention/"])
def test_outsiders_and_other_communities_members_are_refused(
    community, outsider, other_member, client_for, path
):
    for person in (outsider, other_member):
        assert client_for(person).get(url(community, path)).status_code == 403


@pytest.mark.parametrize("path", ["privacy/requests/", "privacy/retention/"])
def test_members_cannot_see_the_coordinators_pages(community, member, client_for, path):
    assert client_for(member).get(url(community, path)).status_code == 403


def test_a_wrong_password_erases_nothing(community, member, client_for):
    response = client_for(member).post(url(community, "me/data/erase/"), {"confirmation": "nope"})
    assert response.status_code == 400
    assert User.objects.get(pk=member.pk).erased_at is None


def test_my_password_erases_me_and_signs_me_out(community, member, client_for):
    client = client_for(member)
    response = client.post(
        url(community, "me/data/erase/"), {"confirmation": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).erased_at is not None
    assert client.get(url(community, "me/data/")).status_code == 302


def test_without_a_password_the_phrase_confirms(community, member, client_for):
    member.set_unusable_password()
    member.save()
    client = client_for(member)
    assert (
        client.post(url(community, "me/data/erase/"), {"confirmation": "erase me"}).status_code
        == 400
    )
    response = client.post(url(community, "me/data/erase/"), {"confirmation": "erase my data"})
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).erased_at is not None


def test_the_request_log_puts_overdue_requests_first(
    community, coordinator, member, second_member, client_for, django_assert_max_num_queries
):
    now = timezone.now()
    recent = rights_request_create(
        community=community, subject=member, kind="access", recorded_by=coordinator
    )
    overdue = rights_request_create(
        community=community,
        subject=second_member,
        kind="rectification",
        recorded_by=coordinator,
        received_at=now - timedelta(days=40),
    )
    for n in range(5):
        extra = make_user(f"x{n}@example.org", f"Extra {n}")
        join(community, extra)
        rights_request_create(
            community=community, subject=extra, kind="erasure", recorded_by=coordinator
        )
    client = client_for(coordinator)
    with django_assert_max_num_queries(10):
        response = client.get(url(community, "privacy/requests/"))
    page = response.content.decode()
    assert page.index(f"privacy/requests/{overdue.pk}/") < page.index(
        f"privacy/requests/{recent.pk}/"
    )
    assert "Overdue" in page


def test_a_coordinator_records_a_request_and_answers_it_with_the_download(
    life, community, coordinator, member, client_for, django_assert_max_num_queries
):
    client = client_for(coordinator)
    membership = member.memberships.get(community=community)
    response = client.post(
        url(community, "privacy/requests/"),
        {
            "member": membership.pk,
            "kind": "access",
            "received_on": "2026-01-05",
            "notes": "By phone",
        },
    )
    assert response.status_code == 302
    item = RightsRequest.objects.get(subject=member)
    assert item.due_at.date().isoformat() == "2026-02-05"
    with django_assert_max_num_queries(8):
        assert client.get(url(community, f"privacy/requests/{item.pk}/")).status_code == 200
    download = client.post(url(community, f"privacy/requests/{item.pk}/export/"))
    assert download["Content-Type"] == "application/zip"
    item.refresh_from_db()
    assert (item.status, item.handled_by) == ("done", coordinator)


def test_a_request_in_the_future_is_refused_and_nothing_recorded(
    community, coordinator, member, client_for
):
    membership = member.memberships.get(community=community)
    response = client_for(coordinator).post(
        url(community, "privacy/requests/"),
        {"member": membership.pk, "kind": "access", "received_on": "2999-01-01"},
    )
    assert response.status_code == 400
    assert not RightsRequest.objects.exists()


def test_a_coordinator_answers_an_erasure_request_for_someone_offline(
    community, coordinator, member, client_for
):
    item = rights_request_create(
        community=community, subject=member, kind="erasure", recorded_by=coordinator
    )
    client = client_for(coordinator)
    path = url(community, f"privacy/requests/{item.pk}/erase/")
    assert client.post(path, {}).status_code == 400
    assert User.objects.get(pk=member.pk).erased_at is None
    assert client.post(path, {"confirm": "on"}).status_code == 302
    assert User.objects.get(pk=member.pk).erased_at is not None


def test_a_consent_withdrawal_request_is_answered_by_withdrawing(
    community, coordinator, member, client_for
):
    from coproduce.people.services import consent_current, consent_give

    consent_give(community=community, user=member, purpose="directory")
    item = rights_request_create(
        community=community, subject=member, kind="consent_withdrawal", recorded_by=coordinator
    )
    response = client_for(coordinator).post(
        url(community, f"privacy/requests/{item.pk}/complete/"),
        {"notes": "Asked at the drop-in", "purpose": "directory"},
    )
    assert response.status_code == 302
    assert not consent_current(community=community, user=member, purpose="directory")


def test_another_communitys_coordinator_cannot_open_our_requests(
    community, other_community, coordinator, member, client_for
):
    item = rights_request_create(
        community=community, subject=member, kind="access", recorded_by=coordinator
    )
    boss = make_user("hill-coord@example.org", "Hill Coordinator")
    join(other_community, boss, "coordinator")
    client = client_for(boss)
    assert client.get(url(other_community, f"privacy/requests/{item.pk}/")).status_code == 404
    assert (
        client.post(url(other_community, f"privacy/requests/{item.pk}/export/")).status_code == 404
    )
    assert client.get(url(community, f"privacy/requests/{item.pk}/")).status_code == 403
