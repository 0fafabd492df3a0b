import pytest

from coproduce.communities.models import Community, Organisation
from coproduce.communities.services import organisation_create
from coproduce.people.models import User
from coproduce.people.services import consent_give


@pytest.fixture
def library(community: Community, coordinator: User) -> Organisation:
    return organisation_create(
        community=community, name="Riverside Library", kind="public_body", created_by=coordinator
    )


@pytest.fixture
def brokered_member(community: Community, member: User, coordinator: User) -> User:
    """The member, with their consent on record for a coordinator to record for them."""
    consent_give(community=community, user=member, purpose="broker_entry", recorded_by=coordinator)
    return member
