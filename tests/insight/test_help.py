"""Working on a report together: offer, accept, done, confirm, and credits paid once."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.insight.models import HelpOffer, Report
from coproduce.insight.services import (
    help_offer_confirm,
    help_offer_create,
    help_offer_decide,
    help_offer_done,
    help_offer_withdraw,
)
from coproduce.ledger.models import Transfer
from coproduce.ledger.services import account_for_member
from coproduce.lib.errors import Conflict
from coproduce.people.models import Notification, User


@pytest.fixture
def offer(report: Report, second_member: User, officer: User) -> HelpOffer:
    return help_offer_create(
        report=report, helper=second_member, text="I can put cones around it.", minutes_offered=30
    )


def _balance(report: Report, user: User) -> int:
    return account_for_member(community=report.community, user=user).balance_minutes


def test_an_offer_reaches_the_organisation(offer: HelpOffer, officer: User) -> None:
    assert offer.state == HelpOffer.State.OFFERED
    assert Notification.objects.filter(user=officer, subject__contains="work together").exists()


def test_accepting_makes_it_community_action(
    offer: HelpOffer, officer: User, second_member: User
) -> None:
    help_offer_decide(offer=offer, decided_by=officer, accept=True, response="Thank you!")
    offer.report.refresh_from_db()
    assert offer.report.state == Report.State.COMMUNITY_ACTION
    assert Notification.objects.filter(user=second_member, subject__contains="accepted").exists()


def test_declining_leaves_the_report_as_it_was(offer: HelpOffer, officer: User) -> None:
    help_offer_decide(offer=offer, decided_by=officer, accept=False, response="A crew is on it.")
    offer.refresh_from_db()
    offer.report.refresh_from_db()
    assert offer.state == HelpOffer.State.DECLINED
    assert offer.report.state == Report.State.OPEN


def test_only_the_organisation_or_a_coordinator_decides(
    offer: HelpOffer, member: User, second_member: User
) -> None:
    for person in (member, second_member):
        with pytest.raises(PermissionDenied):
            help_offer_decide(offer=offer, decided_by=person, accept=True)
    offer.refresh_from_db()
    assert offer.state == HelpOffer.State.OFFERED


def test_done_and_confirmed_work_pays_credits_once_and_is_co_delivered(
    offer: HelpOffer, officer: User, second_member: User
) -> None:
    report = offer.report
    before = _balance(report, second_member)
    help_offer_decide(offer=offer, decided_by=officer, accept=True)
    help_offer_done(offer=offer, helper=second_member, note="Cones out, council told.", minutes=45)
    confirmed = help_offer_confirm(offer=offer, confirmed_by=officer)
    again = help_offer_confirm(offer=offer, confirmed_by=officer)
    assert confirmed.transfer_id == again.transfer_id
    assert _balance(report, second_member) == before + 45
    transfer = Transfer.objects.get(pk=confirmed.transfer_id)
    assert transfer.kind == Transfer.Kind.AWARD
    assert transfer.pays_for_type == ContentType.objects.get_for_model(HelpOffer)
    assert transfer.pays_for_id == offer.pk
    assert Transfer.objects.filter(pays_for_id=offer.pk).count() == 1
    report.refresh_from_db()
    assert report.state == Report.State.CO_DELIVERED


def test_the_organisation_may_credit_a_different_time_than_claimed(
    offer: HelpOffer, officer: User, second_member: User
) -> None:
    help_offer_decide(offer=offer, decided_by=officer, accept=True)
    help_offer_done(offer=offer, helper=second_member, note="Done.", minutes=45)
    confirmed = help_offer_confirm(offer=offer, confirmed_by=officer, minutes=60)
    assert confirmed.minutes_credited == 60
    assert _balance(offer.report, second_member) == 60


def test_work_cannot_be_confirmed_before_it_is_done(offer: HelpOffer, officer: User) -> None:
    help_offer_decide(offer=offer, decided_by=officer, accept=True)
    with pytest.raises(Conflict):
        help_offer_confirm(offer=offer, confirmed_by=officer)
    assert not Transfer.objects.exists()


def test_the_helper_cannot_confirm_their_own_work(
    offer: HelpOffer, officer: User, second_member: User
) -> None:
    help_offer_decide(offer=offer, decided_by=officer, accept=True)
    help_offer_done(offer=offer, helper=second_member, note="Done.", minutes=45)
    with pytest.raises(PermissionDenied):
        help_offer_confirm(offer=offer, confirmed_by=second_member)
    assert not Transfer.objects.exists()


def test_only_the_helper_marks_it_done_and_only_once_accepted(
    offer: HelpOffer, member: User, second_member: User
) -> None:
    with pytest.raises(Conflict):
        help_offer_done(offer=offer, helper=second_member, note="Done.", minutes=30)
    with pytest.raises(PermissionDenied):
        help_offer_done(offer=offer, helper=member, note="Done.", minutes=30)


@pytest.mark.parametrize(
    ("text", "minutes", "key"),
    [
        ("", 30, "text"),
        ("x" * 2001, 30, "text"),
        ("ok", 0, "minutes_offered"),
        ("ok", 100000, "minutes_offered"),
    ],
)
def test_bad_offers_store_nothing(
    report: Report, second_member: User, text: str, minutes: int, key: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        help_offer_create(report=report, helper=second_member, text=text, minutes_offered=minutes)
    assert key in caught.value.message_dict
    assert not HelpOffer.objects.exists()


def test_one_live_offer_per_person(offer: HelpOffer, second_member: User) -> None:
    with pytest.raises(Conflict):
        help_offer_create(
            report=offer.report, helper=second_member, text="Again", minutes_offered=30
        )
    help_offer_withdraw(offer=offer, helper=second_member)
    help_offer_create(report=offer.report, helper=second_member, text="Again", minutes_offered=30)
    assert HelpOffer.objects.count() == 2


def test_no_offers_on_a_resolved_report(report: Report, officer: User, second_member: User) -> None:
    from coproduce.insight.services import report_update_add

    report_update_add(
        report=report, author=officer, text="", state="fixed", fixed_by="organisation"
    )
    report.refresh_from_db()
    with pytest.raises(Conflict):
        help_offer_create(report=report, helper=second_member, text="Me!", minutes_offered=30)


def test_outsiders_cannot_offer(report: Report, outsider: User, other_member: User) -> None:
    for person in (outsider, other_member):
        with pytest.raises(PermissionDenied):
            help_offer_create(report=report, helper=person, text="Me!", minutes_offered=30)
