"""Services added for the community and people pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.communities.models import Community, Membership
from coproduce.communities.services import membership_decline
from coproduce.lib.errors import Conflict
from coproduce.people.models import Consent, User
from coproduce.people.services import member_register


def test_member_register_adds_an_active_member_with_paper_consents(
    coordinator: User, community: Community
) -> None:
    membership = member_register(
        community=community,
        recorded_by=coordinator,
        display_name="Winnie",
        consents=["directory", "directory"],
    )
    assert membership.state == Membership.State.ACTIVE
    assert membership.user.profile.display_name == "Winnie"
    assert Consent.objects.filter(user=membership.user, purpose="directory").count() == 1


def test_member_register_needs_a_coordinator(member: User, community: Community) -> None:
    with pytest.raises(PermissionDenied):
        member_register(community=community, recorded_by=member, display_name="Winnie")


def test_member_register_refuses_a_bad_e_mail(coordinator: User, community: Community) -> None:
    with pytest.raises(ValidationError) as error:
        member_register(
            community=community, recorded_by=coordinator, display_name="Winnie", email="winnie"
        )
    assert "email" in error.value.message_dict


def test_member_register_refuses_an_unknown_consent(
    coordinator: User, community: Community
) -> None:
    with pytest.raises(ValidationError):
        member_register(
            community=community, recorded_by=coordinator, display_name="Winnie", consents=["all"]
        )
    assert not User.objects.filter(profile__display_name="Winnie").exists()


def test_declining_an_application_leaves_it_and_a_repeat_is_a_no_op(
    coordinator: User, applicant: User, community: Community
) -> None:
    application = Membership.objects.get(community=community, user=applicant)
    application.community = community
    assert (
        membership_decline(membership=application, declined_by=coordinator).state
        == Membership.State.LEFT
    )
    assert (
        membership_decline(membership=application, declined_by=coordinator).state
        == Membership.State.LEFT
    )


def test_declining_an_active_membership_is_a_conflict(
    coordinator: User, member: User, community: Community
) -> None:
    membership = Membership.objects.get(community=community, user=member)
    with pytest.raises(Conflict):
        membership_decline(membership=membership, declined_by=coordinator)


def test_only_coordinators_decline(
    second_member: User, applicant: User, community: Community
) -> None:
    application = Membership.objects.get(community=community, user=applicant)
    with pytest.raises(PermissionDenied):
        membership_decline(membership=application, declined_by=second_member)
