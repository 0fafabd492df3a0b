"""`coproduce audit export`: the whole trail, or one community's, as CSV for operators."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from coproduce.audit.models import Action, AuditEvent
from coproduce.audit.services import audit_record
from coproduce.communities.models import Community
from coproduce.people.models import User


def export(*args: str) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("audit", "export", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.fixture
def events(community: Community, other_community: Community, member: User) -> None:
    audit_record(action=Action.SAFEGUARDING_VIEW, actor=member, community=community)
    audit_record(action=Action.SAFEGUARDING_VIEW, actor=None, community=other_community)
    audit_record(action=Action.API_TOKEN_CREATE, actor=member, subject=member)


def test_it_exports_every_event_including_the_sites_own(events: None) -> None:
    rows = export()
    # Newest first: the export's own event, then the three events.
    assert [r["action"] for r in rows] == [
        "audit.export",
        "api.token_create",
        "safeguarding.view",
        "safeguarding.view",
    ]
    assert AuditEvent.objects.get(action=Action.AUDIT_EXPORT).details["via"] == "command"


def test_it_exports_one_community(events: None, community: Community) -> None:
    rows = export("--community", "riverside")
    assert [r["action"] for r in rows] == ["audit.export", "safeguarding.view"]


def test_it_exports_a_date_range(events: None) -> None:
    assert export("--since", "2000-01-01", "--until", "2000-12-31") == []


@pytest.mark.parametrize(
    "args",
    [
        ["--community", "nowhere"],
        ["--since", "yesterday"],
        ["--since", "2026-05-02", "--until", "2026-05-01"],
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(events: None, args: list[str]) -> None:
    with pytest.raises(CommandError):
        export(*args)
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORT).exists()
