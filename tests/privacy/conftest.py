"""One member ("Mo") with something in every app that holds personal data, and a neighbour
("Nell") who deals with them, made through the real services."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import Comment, Proposal
from coproduce.coproduction.services import comment_add, proposal_create
from coproduce.evidence.models import Response
from coproduce.evidence.services import questionnaire_enable, response_submit
from coproduce.exchanges.models import Conversation, Listing, Message
from coproduce.exchanges.services import conversation_start, listing_create, message_send
from coproduce.insight.models import Category, KnowledgeNote, Report, ReportPhoto, ReportUpdate
from coproduce.insight.services import note_create, report_create, report_update_add
from coproduce.ledger.models import Transfer
from coproduce.ledger.services import transfer_confirm, transfer_record
from coproduce.people.models import Consent, User
from coproduce.people.services import (
    asset_add,
    consent_give,
    profile_update,
    safeguarding_check_record,
)
from tests.insight.conftest import HERE, category, council, upload  # noqa: F401 - fixtures

MO_PHONE = "07700 900123"
MO_BIO = "Retired joiner; I fix shelves and doors."


@dataclass
class Life:
    """What Mo did, and what Nell did with them."""

    listing: Listing
    conversation: Conversation
    mo_message: Message
    nell_message: Message
    transfer: Transfer
    report: Report
    update: ReportUpdate
    photos: list[ReportPhoto]
    note: KnowledgeNote
    proposal: Proposal
    comment: Comment
    nell_comment: Comment
    response: Response


@pytest.fixture
def life(
    settings: object,
    tmp_path: object,
    community: Community,
    coordinator: User,
    member: User,
    second_member: User,
    category: Category,  # noqa: F811 - the fixture imported above
    council: Organisation,  # noqa: F811
) -> Life:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    profile_update(user=member, display_name="Mo Member", bio=MO_BIO, phone=MO_PHONE)
    for purpose in (Consent.Purpose.DIRECTORY, Consent.Purpose.HEALTH_DATA):
        consent_give(community=community, user=member, purpose=purpose)
    asset_add(community=community, user=member, kind="thing", title="A ladder")
    safeguarding_check_record(
        community=community,
        user=member,
        kind="dbs_basic",
        reference="DBS-MO-0001",
        issued_on=date(2025, 1, 10),
        expires_on=None,
        verified_by=coordinator,
    )
    listing = listing_create(
        community=community,
        owner=member,
        created_by=member,
        kind="offer",
        title="Shelves put up",
        description="I bring my own drill; Tuesdays are best.",
    )
    conversation = conversation_start(
        listing=listing, responder=second_member, body="Could you do two shelves? — Nell"
    )
    nell_message = conversation.messages.get()
    mo_message = message_send(
        conversation=conversation, author=member, body="Yes, Tuesday at ten. — Mo"
    )
    transfer = transfer_record(
        community=community,
        payer=second_member,
        payee=member,
        minutes=90,
        recorded_by=member,
        description="Two shelves for Nell",
    )
    transfer = transfer_confirm(transfer=transfer, confirmed_by=second_member)
    report = report_create(
        category=category,
        reporter=member,
        description="Deep pothole outside number 12, Mo's house",
        lat=HERE[0],
        lng=HERE[1],
        address_string="12 River Road",
        attributes={"surface": "road"},
        photos=[upload()],
        contact={"phone": MO_PHONE},
    )
    update = report_update_add(
        report=report, author=member, text="Still there, and deeper", photos=[upload()]
    )
    note = note_create(
        community=community,
        author=member,
        text="The lift at the library is out",
        place_name="Library",
    )
    proposal = proposal_create(
        community=community,
        proposer=second_member,
        title="Repair café",
        need="Things get thrown away",
        idea="Fix them together",
        threshold=2,
        deadline=timezone.now() + timedelta(days=30),
    )
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.GATHERING)
    proposal.refresh_from_db()
    comment = comment_add(proposal=proposal, author=member, body="I can bring tools — Mo")
    nell_comment = comment_add(
        proposal=proposal, author=second_member, body="Lovely!", parent=comment
    )
    questionnaire = questionnaire_enable(
        community=community, instrument="ons4", enabled_by=coordinator
    )
    response = response_submit(
        questionnaire=questionnaire,
        person=member,
        answers=[7, 8, 6, 3],
        occasion="joining",
        recorded_by=member,
    )
    return Life(
        listing=listing,
        conversation=conversation,
        mo_message=mo_message,
        nell_message=nell_message,
        transfer=transfer,
        report=report,
        update=update,
        photos=list(ReportPhoto.objects.filter(report=report).order_by("pk")),
        note=note,
        proposal=proposal,
        comment=comment,
        nell_comment=nell_comment,
        response=response,
    )
