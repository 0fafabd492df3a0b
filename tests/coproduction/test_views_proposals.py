"""The proposal pages: the list, proposing, the proposal itself, pledges, discussion and edits."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import (
    Comment,
    Endorsement,
    NeededResource,
    NeededRole,
    NotificationPreference,
    Pledge,
    Proposal,
    ProposalRevision,
)
from coproduce.coproduction.services import (
    comment_add,
    needed_resource_add,
    pledge_create,
)
from coproduce.people.models import User
from tests.coproduction.views_world import open_proposal


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"coproduction:{name}", kwargs={"slug": "riverside", **kwargs})


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


# The list ----------------------------------------------------------------------------


def test_the_list_shows_proposals_by_state_with_progress_bars(
    gathering: Proposal, member: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    pledge_create(role=gathering.roles.get(), pledger=second_member, minutes_per_week=60, weeks=4)
    html = client_for(second_member).get(_url("proposals")).content.decode()
    assert "Gathering pledges" in html
    assert "Peer support group for carers" in html
    assert f'<progress id="progress-{gathering.pk}" max="3" value="1">' in html
    assert "style=" not in html


def test_a_draft_is_listed_only_for_its_proposer(
    proposal: Proposal, member: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    assert proposal.title in client_for(member).get(_url("proposals")).content.decode()
    assert proposal.title not in client_for(second_member).get(_url("proposals")).content.decode()


def test_the_list_filters_by_state(
    gathering: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    html = client_for(member).get(_url("proposals"), {"state": "accepted"}).content.decode()
    assert gathering.title not in html


def test_an_unknown_state_filter_is_ignored_not_a_500(
    gathering: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).get(_url("proposals"), {"state": "<script>"})
    assert response.status_code == 200
    assert gathering.title in response.content.decode()


def _proposals(community: Community, proposer: User, now: datetime, n: int, prefix: str) -> None:
    people = []
    for i in range(n):
        proposal = open_proposal(community, proposer, now, f"{prefix} {i}", threshold=50)
        people.append(proposal)
        pledge_create(role=proposal.roles.get(), pledger=proposer, minutes_per_week=30, weeks=2)


def test_the_list_makes_as_many_queries_for_30_proposals_as_for_3(
    community: Community, member: User, now: datetime, client_for: Callable[[User], Client]
) -> None:
    client = client_for(member)
    _proposals(community, member, now, 3, "few")
    few = _queries(client, _url("proposals"))
    _proposals(community, member, now, 27, "many")
    assert _queries(client, _url("proposals")) == few


# Notification preference -------------------------------------------------------------


def test_a_member_chooses_a_daily_digest(
    community: Community, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(_url("preferences"), {"frequency": "daily"}, follow=True)
    assert "Your choice is saved." in response.content.decode()
    preference = NotificationPreference.objects.get(community=community, user=member)
    assert preference.frequency == "daily"


def test_a_nonsense_frequency_is_refused(
    community: Community, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(_url("preferences"), {"frequency": "hourly"}, follow=True)
    assert "Choose at once or a daily digest." in response.content.decode()
    assert not NotificationPreference.objects.filter(community=community).exists()


# Proposing ---------------------------------------------------------------------------


def _propose_data(deadline: str, **changes: str) -> dict[str, str]:
    data = {
        "title": "Repair café",
        "need": "Things get thrown away.",
        "idea": "Fix them together on Saturdays.",
        "area": "High Street",
        "neighbourhood": "",
        "threshold": "4",
        "deadline": deadline,
        "organisation": "",
        "roles-TOTAL_FORMS": "3",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "1",
        "roles-MAX_NUM_FORMS": "10",
        "roles-0-title": "Fixer",
        "roles-0-skill": "",
        "roles-0-minutes_per_week": "120",
        "roles-1-title": "Welcomer",
        "roles-1-minutes_per_week": "60",
        "roles-1-safeguarding_required": "on",
        "roles-2-title": "",
        "roles-2-minutes_per_week": "",
        "resources-TOTAL_FORMS": "2",
        "resources-INITIAL_FORMS": "0",
        "resources-MIN_NUM_FORMS": "0",
        "resources-MAX_NUM_FORMS": "10",
        "resources-0-kind": "room",
        "resources-0-description": "The church hall",
        "resources-1-kind": "",
        "resources-1-description": "",
    }
    return data | changes


def test_the_propose_form_shows(member: User, client_for: Callable[[User], Client]) -> None:
    html = client_for(member).get(_url("proposal_create")).content.decode()
    assert 'name="roles-0-title"' in html
    assert 'name="resources-0-kind"' in html


def test_a_member_proposes_a_service_with_its_roles_and_resources(
    community: Community, member: User, now: datetime, client_for: Callable[[User], Client]
) -> None:
    deadline = (now + timedelta(days=20)).date().isoformat()
    response = client_for(member).post(_url("proposal_create"), _propose_data(deadline))
    proposal = Proposal.objects.get(community=community, title="Repair café")
    assert response.status_code == 302
    assert response["Location"] == _url("proposal", pk=proposal.pk)
    assert (proposal.state, proposal.proposer, proposal.threshold) == ("draft", member, 4)
    assert list(
        proposal.roles.values_list("title", "minutes_per_week", "safeguarding_required")
    ) == [
        ("Fixer", 120, False),
        ("Welcomer", 60, True),
    ]
    assert list(proposal.resources.values_list("kind", "description")) == [
        ("room", "The church hall")
    ]


def test_a_proposal_with_no_role_is_refused(
    community: Community, member: User, now: datetime, client_for: Callable[[User], Client]
) -> None:
    deadline = (now + timedelta(days=20)).date().isoformat()
    data = _propose_data(
        deadline,
        **{
            "roles-0-title": "",
            "roles-0-minutes_per_week": "",
            "roles-1-title": "",
            "roles-1-minutes_per_week": "",
            "roles-1-safeguarding_required": "",
        },
    )
    data.pop("roles-1-safeguarding_required")
    response = client_for(member).post(_url("proposal_create"), data)
    assert response.status_code == 200
    assert "Please submit at least 1 form." in response.content.decode()
    assert not Proposal.objects.filter(community=community).exists()


def test_a_deadline_in_the_past_is_refused_with_the_reason(
    community: Community, member: User, now: datetime, client_for: Callable[[User], Client]
) -> None:
    deadline = (now - timedelta(days=2)).date().isoformat()
    response = client_for(member).post(_url("proposal_create"), _propose_data(deadline))
    assert "Choose a deadline in the future." in response.content.decode()
    assert not Proposal.objects.filter(community=community).exists()
    assert not NeededRole.objects.filter(community=community).exists()


def test_another_communitys_organisation_is_not_a_choice(
    community: Community,
    other_community: Community,
    member: User,
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    theirs = Organisation.objects.create(
        community=other_community, name="Hill Trust", slug="hill-trust", kind="charity"
    )
    deadline = (now + timedelta(days=20)).date().isoformat()
    data = _propose_data(deadline, organisation=str(theirs.pk))
    response = client_for(member).post(_url("proposal_create"), data)
    assert "Select a valid choice" in response.content.decode()
    assert not Proposal.objects.filter(community=community).exists()


def test_huge_text_is_refused_not_a_500(
    community: Community, member: User, now: datetime, client_for: Callable[[User], Client]
) -> None:
    deadline = (now + timedelta(days=20)).date().isoformat()
    data = _propose_data(deadline, need="x" * 10_000, threshold="lots")
    response = client_for(member).post(_url("proposal_create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value has at most 4000 characters" in html
    assert "Enter a whole number." in html
    assert not Proposal.objects.exists()


# The proposal page -------------------------------------------------------------------


def test_the_page_shows_the_text_progress_pledgers_by_name_and_the_discussion(
    gathering: Proposal,
    member: User,
    second_member: User,
    client_for: Callable[[User], Client],
) -> None:
    pledge_create(role=gathering.roles.get(), pledger=second_member, minutes_per_week=90, weeks=4)
    first = comment_add(proposal=gathering, author=second_member, body="Which day?")
    comment_add(proposal=gathering, author=member, body="Tuesdays.", parent=first)
    html = client_for(second_member).get(_url("proposal", pk=gathering.pk)).content.decode()
    assert gathering.need in html
    assert '<progress id="proposal-progress" max="3" value="1">' in html
    assert "Nell Neighbour: 1 h 30 min a week for 4 weeks as Group facilitator" in html
    assert "neighbour@example.org" not in html
    assert html.index("Which day?") < html.index("Tuesdays.")
    assert f'name="parent" value="{first.pk}"' in html


def test_the_page_makes_as_many_queries_for_30_pledges_and_comments_as_for_3(
    gathering: Proposal,
    member: User,
    residents: Callable[..., list[User]],
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(member)
    url = _url("proposal", pk=gathering.pk)
    Proposal.objects.filter(pk=gathering.pk).update(threshold=100)  # stays gathering at 30

    def add(people: list[User]) -> None:
        for person in people:
            pledge_create(role=gathering.roles.get(), pledger=person, minutes_per_week=60, weeks=2)
            parent = comment_add(proposal=gathering, author=person, body="Count me in")
            comment_add(proposal=gathering, author=member, body="Thank you", parent=parent)

    add(residents(3, "few"))
    few = _queries(client, url)
    add(residents(27, "many"))
    assert _queries(client, url) == few


def test_a_member_comments_and_replies(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(second_member)
    response = client.post(_url("proposal_comment", pk=gathering.pk), {"body": "Which day?"})
    first = Comment.objects.get(proposal=gathering)
    assert response["Location"].endswith(f"#comment-{first.pk}")
    client.post(_url("proposal_comment", pk=gathering.pk), {"body": "Any", "parent": first.pk})
    assert Comment.objects.get(parent=first).body == "Any"


def test_an_empty_comment_is_refused(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(second_member).post(
        _url("proposal_comment", pk=gathering.pk), {"body": ""}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_reply_to_another_proposals_comment_is_refused(
    gathering: Proposal,
    community: Community,
    member: User,
    second_member: User,
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    elsewhere = open_proposal(community, member, now, "Another idea")
    theirs = comment_add(proposal=elsewhere, author=member, body="Elsewhere")
    response = client_for(second_member).post(
        _url("proposal_comment", pk=gathering.pk), {"body": "Hi", "parent": theirs.pk}
    )
    assert "Reply to a comment in this discussion." in response.content.decode()
    assert not Comment.objects.filter(proposal=gathering).exists()


def test_a_member_endorses_once(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(second_member)
    client.post(_url("proposal_endorse", pk=gathering.pk))
    response = client.post(_url("proposal_endorse", pk=gathering.pk), follow=True)
    assert "You support this." in response.content.decode()
    assert Endorsement.objects.filter(proposal=gathering).count() == 1


# Pledges -----------------------------------------------------------------------------


def _pledge(role: NeededRole, **changes: str) -> dict[str, object]:
    return {"role": role.pk, "minutes_per_week": "120", "weeks": "12", "min_others": "0"} | changes


def test_a_member_pledges_time_on_a_condition(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    role = gathering.roles.get()
    response = client_for(second_member).post(
        _url("proposal_pledge", pk=gathering.pk), _pledge(role, min_others="1"), follow=True
    )
    assert "Thank you: your pledge is recorded." in response.content.decode()
    pledge = Pledge.objects.get(proposal=gathering)
    assert (pledge.pledger, pledge.minutes_per_week, pledge.weeks, pledge.min_others) == (
        second_member,
        120,
        12,
        1,
    )


def test_pledging_twice_to_the_same_role_is_refused(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(second_member)
    role = gathering.roles.get()
    client.post(_url("proposal_pledge", pk=gathering.pk), _pledge(role))
    response = client.post(_url("proposal_pledge", pk=gathering.pk), _pledge(role, weeks="3"))
    assert "You have already pledged to this role" in response.content.decode()
    assert Pledge.objects.get(proposal=gathering).weeks == 12


def test_a_condition_that_could_never_be_met_is_refused(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    role = gathering.roles.get()
    response = client_for(second_member).post(
        _url("proposal_pledge", pk=gathering.pk), _pledge(role, min_others="900")
    )
    assert "so this condition could never be met" in response.content.decode()
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("condition", ["-1", "ten", "1001", ""])
def test_a_nonsense_condition_is_refused(
    condition: str, gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    role = gathering.roles.get()
    response = client_for(second_member).post(
        _url("proposal_pledge", pk=gathering.pk), _pledge(role, min_others=condition)
    )
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    assert not Pledge.objects.exists()


def test_counting_only_neighbours_without_a_neighbourhood_is_refused(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    role = gathering.roles.get()
    response = client_for(second_member).post(
        _url("proposal_pledge", pk=gathering.pk), _pledge(role, neighbourhood_only="on")
    )
    assert "Choose your neighbourhood in your profile first" in response.content.decode()
    assert not Pledge.objects.exists()


def test_a_pledge_after_the_deadline_is_refused(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    Proposal.objects.filter(pk=gathering.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    role = gathering.roles.get()
    response = client_for(second_member).post(
        _url("proposal_pledge", pk=gathering.pk), _pledge(role)
    )
    assert "The deadline for pledges to “Peer support group for carers” has passed." in (
        response.content.decode()
    )
    assert not Pledge.objects.exists()


def test_a_role_of_another_proposal_is_not_a_choice(
    gathering: Proposal,
    community: Community,
    member: User,
    second_member: User,
    now: datetime,
    client_for: Callable[[User], Client],
) -> None:
    elsewhere = open_proposal(community, member, now, "Another idea")
    response = client_for(second_member).post(
        _url("proposal_pledge", pk=gathering.pk), _pledge(elsewhere.roles.get())
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Pledge.objects.exists()


def test_a_member_withdraws_their_pledge(
    gathering: Proposal, second_member: User, client_for: Callable[[User], Client]
) -> None:
    pledge = pledge_create(
        role=gathering.roles.get(), pledger=second_member, minutes_per_week=60, weeks=4
    )
    response = client_for(second_member).post(
        _url("pledge_withdraw", pk=gathering.pk, pledge=pledge.pk), follow=True
    )
    assert "Your pledge is withdrawn" in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.WITHDRAWN


def test_no_one_withdraws_someone_elses_pledge(
    gathering: Proposal, member: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    pledge = pledge_create(
        role=gathering.roles.get(), pledger=second_member, minutes_per_week=60, weeks=4
    )
    response = client_for(member).post(
        _url("pledge_withdraw", pk=gathering.pk, pledge=pledge.pk), follow=True
    )
    assert "Only the person who pledged can withdraw it." in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ACTIVE


def test_organisation_staff_pledge_a_resource(
    gathering: Proposal,
    member: User,
    professional: User,
    organisation: Organisation,
    client_for: Callable[[User], Client],
) -> None:
    room = needed_resource_add(
        proposal=gathering, added_by=member, kind="room", description="A room"
    )
    client = client_for(professional)
    assert (
        "Pledge a resource for your organisation"
        in client.get(_url("proposal", pk=gathering.pk)).content.decode()
    )
    client.post(
        _url("proposal_resource_pledge", pk=gathering.pk),
        {"resource": room.pk, "organisation": organisation.pk, "note": "Tuesdays 10–12"},
    )
    pledge = Pledge.objects.get(resource=room)
    assert (pledge.organisation, pledge.note) == (organisation, "Tuesdays 10–12")


# Editing and state -------------------------------------------------------------------


def test_the_proposer_edits_and_the_old_text_is_kept(
    gathering: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(member)
    data = {
        "title": gathering.title,
        "need": "Carers need a break.",
        "idea": gathering.idea,
        "area": "",
    }
    response = client.post(_url("proposal_edit", pk=gathering.pk), data, follow=True)
    revision = ProposalRevision.objects.get(proposal=gathering)
    assert (revision.field, revision.new_text) == ("need", "Carers need a break.")
    assert "Carers on the estate have nowhere to talk." in response.content.decode()


def test_an_edit_emptying_the_title_is_refused(
    gathering: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    data = {"title": "", "need": "x", "idea": "y", "area": ""}
    response = client_for(member).post(_url("proposal_edit", pk=gathering.pk), data)
    assert "This field is required." in response.content.decode()
    assert not ProposalRevision.objects.exists()


def test_the_proposer_adds_a_role_and_a_resource(
    proposal: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(member)
    client.post(
        _url("proposal_role_add", pk=proposal.pk),
        {"title": "Driver", "minutes_per_week": "60", "safeguarding_required": "on"},
    )
    client.post(
        _url("proposal_resource_add", pk=proposal.pk), {"kind": "money", "description": "£200"}
    )
    assert NeededRole.objects.get(proposal=proposal).safeguarding_required is True
    assert NeededResource.objects.get(proposal=proposal).description == "£200"


def test_a_role_with_too_many_minutes_is_refused(
    proposal: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        _url("proposal_role_add", pk=proposal.pk), {"title": "Driver", "minutes_per_week": "99999"}
    )
    assert "Ensure this value is less than or equal to 2400." in response.content.decode()
    assert not NeededRole.objects.exists()


def test_the_proposer_opens_a_draft_for_pledges(
    role: NeededRole, proposal: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        _url("proposal_state", pk=proposal.pk), {"action": "open"}, follow=True
    )
    assert "The proposal is open for pledges." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.GATHERING


def test_opening_a_draft_without_roles_says_why(
    proposal: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(member).post(
        _url("proposal_state", pk=proposal.pk), {"action": "open"}, follow=True
    )
    assert "Add at least one role that people can pledge time to." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.DRAFT


def test_the_proposer_withdraws_the_proposal(
    gathering: Proposal, member: User, client_for: Callable[[User], Client]
) -> None:
    client_for(member).post(_url("proposal_state", pk=gathering.pk), {"action": "withdraw"})
    gathering.refresh_from_db()
    assert gathering.state == Proposal.State.WITHDRAWN
