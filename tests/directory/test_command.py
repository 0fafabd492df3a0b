"""`coproduce directory publish|unpublish|status`: a coordinator turns the listing on or off."""

import pytest
from django.core.management import CommandError, call_command

from coproduce.communities.models import Community
from coproduce.directory.models import DirectorySettings
from coproduce.people.models import User

pytestmark = pytest.mark.django_db


def test_a_coordinator_publishes_and_unpublishes(
    community: Community, coordinator: User, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("directory", "publish", "riverside", by="coordinator@example.org")
    assert DirectorySettings.objects.get(community=community).publish is True
    call_command("directory", "status")
    assert "Publishing: riverside (Riverside)" in capsys.readouterr().out
    call_command("directory", "unpublish", "riverside", by="Coordinator@example.org")
    assert DirectorySettings.objects.get(community=community).publish is False
    call_command("directory", "status")
    assert "Publishing: no community" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("slug", "by", "message"),
    [
        ("riverside", "member@example.org", "Only a coordinator"),
        ("nowhere", "coordinator@example.org", "No community"),
        ("riverside", "nobody@example.org", "No one signs in"),
        ("riverside", None, "Name the community"),
    ],
)
def test_it_refuses_without_changing_anything(
    community: Community, coordinator: User, member: User, slug: str, by: str | None, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("directory", "publish", slug, by=by)
    assert not DirectorySettings.objects.exists()
