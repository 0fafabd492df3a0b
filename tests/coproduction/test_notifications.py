"""Notifications: at once, or gathered into one daily digest, as each member chooses."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from coproduce.communities.models import Community
from coproduce.coproduction.models import DigestItem
from coproduce.coproduction.notifications import digests_send, notify
from coproduce.coproduction.services import notification_preference_set
from coproduce.people.models import User

Capture = Callable[..., object]


def test_by_default_a_notice_is_e_mailed_at_once_to_each_person_alone(
    community: Community,
    member: User,
    second_member: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        notify(
            community=community,
            people=[member, second_member, member],
            subject="Hello",
            body="News",
        )
    assert sorted(m.to for m in mail.outbox) == [[member.email], [second_member.email]]


def test_a_member_who_chose_a_digest_gets_one_e_mail_a_day(
    community: Community, member: User, now: datetime, django_capture_on_commit_callbacks: Capture
) -> None:
    notification_preference_set(community=community, user=member, frequency="daily")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        notify(community=community, people=[member], subject="First", body="One")
        notify(community=community, people=[member], subject="Second", body="Two")
        assert mail.outbox == []
        assert digests_send(now=now) == 1
        notify(community=community, people=[member], subject="Third", body="Three")
        assert digests_send(now=now + timedelta(hours=2)) == 0  # not a day yet
        assert digests_send(now=now + timedelta(days=1)) == 1
    assert len(mail.outbox) == 2
    assert "First" in mail.outbox[0].body and "Second" in mail.outbox[0].body
    assert "Third" in mail.outbox[1].body
    assert not DigestItem.objects.filter(sent_at__isnull=True).exists()


def test_an_unknown_frequency_is_refused(community: Community, member: User) -> None:
    with pytest.raises(ValidationError) as error:
        notification_preference_set(community=community, user=member, frequency="hourly")
    assert "frequency" in error.value.message_dict
