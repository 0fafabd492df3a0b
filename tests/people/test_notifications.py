"""In-app notifications: each notice lands in the inbox of the right person, in one community,
alongside the e-mail; members read them on their notifications page and see the unread count."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coproduce.communities.models import Community
from coproduce.coproduction.services import (
    needed_role_add,
    notification_preference_set,
    proposal_create,
    proposal_evaluate,
    proposal_open,
)
from coproduce.ledger.services import transfer_record
from coproduce.people.models import Notification, User
from coproduce.people.services import notifications_mark_read, notify_people

ClientFor = Callable[[User], Client]


def inbox_url(community: Community) -> str:
    return reverse("people:notifications", kwargs={"slug": community.slug})


def test_a_confirmation_request_reaches_only_the_other_side_in_the_app(
    community: Community, member: User, second_member: User
) -> None:
    transfer = transfer_record(
        community=community,
        payer=member,
        payee=second_member,
        minutes=60,
        recorded_by=second_member,
        description="Helped with the garden",
    )
    notice = Notification.objects.get()
    assert notice.user == member
    assert notice.community == community
    assert notice.url == transfer.get_absolute_url()
    assert "confirm" in notice.subject.lower()
    assert notice.read_at is None


def test_a_lapsed_proposal_tells_its_proposer_in_the_app(
    community: Community, member: User, second_member: User
) -> None:
    now = timezone.now()
    proposal = proposal_create(
        community=community,
        proposer=member,
        title="Repair café",
        need="Things get thrown away.",
        idea="Fix them together on Saturdays.",
        threshold=3,
        deadline=now + timedelta(days=7),
        now=now,
    )
    needed_role_add(proposal=proposal, added_by=member, title="Fixer", minutes_per_week=60)
    proposal_open(proposal=proposal, opened_by=member, now=now)
    proposal_evaluate(proposal=proposal, now=now + timedelta(days=8))
    notice = Notification.objects.get()
    assert (notice.user, notice.community) == (member, community)
    assert notice.url == reverse(
        "coproduction:proposal", kwargs={"slug": community.slug, "pk": proposal.pk}
    )


def test_a_digest_member_sees_the_notice_at_once_while_the_e_mail_waits(
    community: Community, member: User, django_capture_on_commit_callbacks: Any
) -> None:
    from coproduce.coproduction.notifications import notify

    notification_preference_set(community=community, user=member, frequency="daily")
    with django_capture_on_commit_callbacks(execute=True):
        notify(community=community, people=[member], subject="News", body="Body", url="/c/x/")
    assert mail.outbox == []
    assert Notification.objects.filter(user=member, community=community).count() == 1


def test_notify_people_e_mails_as_before_and_records_each_person_once(
    community: Community, member: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notify_people(community=community, people=[member, member], subject="Hi", body="There")
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert Notification.objects.filter(user=member).count() == 1


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_a_notice_never_links_off_the_site(community: Community, member: User, url: str) -> None:
    (notice,) = notify_people(community=community, people=[member], subject="Hi", body="", url=url)
    assert notice.url == ""


def test_my_page_lists_only_my_notifications_in_this_community_newest_first(
    community: Community,
    other_community: Community,
    member: User,
    second_member: User,
    client_for: ClientFor,
) -> None:
    notify_people(community=community, people=[member], subject="Older", body="")
    notify_people(community=community, people=[member], subject="Newer", body="")
    notify_people(community=community, people=[second_member], subject="Not mine", body="")
    notify_people(community=other_community, people=[member], subject="Elsewhere", body="")
    response = client_for(member).get(inbox_url(community))
    assert response.status_code == 200
    assert [n.subject for n in response.context["rows"]] == ["Newer", "Older"]
    assert b"Not mine" not in response.content
    assert b"Elsewhere" not in response.content


def test_an_outsider_gets_403_on_the_notifications_page(
    community: Community, outsider: User, client_for: ClientFor
) -> None:
    assert client_for(outsider).get(inbox_url(community)).status_code == 403


def test_another_communitys_member_gets_403_on_the_notifications_page(
    community: Community, other_member: User, client_for: ClientFor
) -> None:
    assert client_for(other_member).get(inbox_url(community)).status_code == 403


def test_opening_someone_elses_notification_gives_404_and_leaves_it_unread(
    community: Community, member: User, second_member: User, client_for: ClientFor
) -> None:
    (notice,) = notify_people(community=community, people=[second_member], subject="Hi", body="")
    url = reverse("people:notification_open", kwargs={"slug": community.slug, "pk": notice.pk})
    assert client_for(member).post(url).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_opening_my_notification_from_another_community_gives_404(
    community: Community, other_community: Community, member: User, client_for: ClientFor
) -> None:
    (notice,) = notify_people(community=other_community, people=[member], subject="Hi", body="")
    url = reverse("people:notification_open", kwargs={"slug": community.slug, "pk": notice.pk})
    assert client_for(member).post(url).status_code == 404


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(
    community: Community, member: User, client_for: ClientFor
) -> None:
    page = reverse("ledger:balance", kwargs={"slug": community.slug})
    (notice,) = notify_people(community=community, people=[member], subject="Hi", body="", url=page)
    url = reverse("people:notification_open", kwargs={"slug": community.slug, "pk": notice.pk})
    response = client_for(member).post(url)
    assert response.status_code == 302
    assert response["Location"] == page
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_opening_a_notification_needs_a_post(
    community: Community, member: User, client_for: ClientFor
) -> None:
    (notice,) = notify_people(community=community, people=[member], subject="Hi", body="")
    url = reverse("people:notification_open", kwargs={"slug": community.slug, "pk": notice.pk})
    assert client_for(member).get(url).status_code == 405


def test_mark_all_as_read_marks_only_mine_in_this_community(
    community: Community,
    other_community: Community,
    member: User,
    second_member: User,
    client_for: ClientFor,
) -> None:
    notify_people(community=community, people=[member, second_member], subject="Hi", body="")
    notify_people(community=other_community, people=[member], subject="There", body="")
    url = reverse("people:notifications_read", kwargs={"slug": community.slug})
    response = client_for(member).post(url)
    assert response.status_code == 302
    unread = Notification.objects.filter(read_at__isnull=True)
    assert sorted((n.user_id, n.community_id) for n in unread) == sorted(
        [(second_member.pk, community.pk), (member.pk, other_community.pk)]
    )


def test_marking_chosen_ids_read_ignores_other_peoples_ids(
    community: Community, member: User, second_member: User
) -> None:
    mine, theirs = notify_people(
        community=community, people=[member, second_member], subject="Hi", body=""
    )
    if mine.user_id != member.pk:
        mine, theirs = theirs, mine
    count = notifications_mark_read(community=community, user=member, ids=[mine.pk, theirs.pk])
    assert count == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_nav_shows_my_unread_count_for_this_community(
    community: Community,
    other_community: Community,
    member: User,
    second_member: User,
    client_for: ClientFor,
) -> None:
    notify_people(community=community, people=[member], subject="One", body="")
    notify_people(community=community, people=[member], subject="Two", body="")
    notify_people(community=community, people=[second_member], subject="Theirs", body="")
    notify_people(community=other_community, people=[member], subject="Elsewhere", body="")
    home = reverse("web:community", kwargs={"slug": community.slug})
    assert "Notifications (2)" in client_for(member).get(home).content.decode()


def test_the_nav_shows_no_count_once_everything_is_read(
    community: Community, member: User, client_for: ClientFor
) -> None:
    notify_people(community=community, people=[member], subject="One", body="")
    notifications_mark_read(community=community, user=member)
    content = client_for(member).get(inbox_url(community)).content.decode()
    assert "Notifications (" not in content
    assert reverse("people:notifications", kwargs={"slug": community.slug}) in content


def test_the_notifications_page_makes_the_same_number_of_queries_for_3_or_30(
    community: Community, member: User, client_for: ClientFor
) -> None:
    page = reverse("ledger:balance", kwargs={"slug": community.slug})
    client = client_for(member)
    queries = []
    for target in (3, 30):
        while Notification.objects.filter(user=member).count() < target:
            notify_people(community=community, people=[member], subject="N", body="", url=page)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(inbox_url(community)).status_code == 200
        queries.append(len(captured))
    assert queries[0] == queries[1]
