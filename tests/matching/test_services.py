"""Batch runs against the database: settings, runs, reasons, adjusting and sending."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.communities.models import Community
from coproduce.lib.errors import Conflict
from coproduce.matching import services
from coproduce.matching.models import Match, MatchRun
from coproduce.people.models import AccessSupport, Gender, Notification, User
from coproduce.people.services import profile_update
from tests.matching.conftest import FAR_AWAY, Helper, Need, Skills

pytestmark = pytest.mark.django_db


def _run(community: Community, coordinator: User) -> MatchRun:
    return services.run_create(community=community, created_by=coordinator)


def test_it_refuses_weights_out_of_range(community: Community, coordinator: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.settings_update(
            community=community,
            updated_by=coordinator,
            weights={"weight_skill": 11, "weight_load": -1},
            helper_capacity=2,
            min_score=30,
        )
    assert set(error.value.message_dict) == {"weight_skill", "weight_load"}


def test_it_refuses_all_weights_at_zero(community: Community, coordinator: User) -> None:
    with pytest.raises(ValidationError):
        services.settings_update(
            community=community,
            updated_by=coordinator,
            weights={name: 0 for name in services.WEIGHT_FIELDS},
            helper_capacity=2,
            min_score=30,
        )


def test_only_coordinators_change_the_weights(community: Community, member: User) -> None:
    with pytest.raises(PermissionDenied):
        services.settings_update(
            community=community, updated_by=member, weights={}, helper_capacity=2, min_score=30
        )


def test_it_proposes_the_helper_who_fits_with_reasons(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    fits = helper(skills=[skills.gardening], languages=["en", "pl"])
    helper(skills=[skills.cooking])
    member_need = need(skill=skills.gardening, title="Fence and beds")
    profile_update(user=member_need.owner, display_name="Mary", languages=["pl"])
    run = _run(community, coordinator)
    assert run.state == MatchRun.State.DONE
    match = Match.objects.get(run=run)
    assert (match.listing_id, match.helper_id) == (member_need.pk, fits.pk)
    assert "offers Gardening" in match.reasons
    assert "speaks Polish" in match.reasons
    assert "free on Tuesday mornings" in match.reasons
    assert any(r.endswith("m away") for r in match.reasons)


def test_it_honours_a_stated_preference_whatever_the_weights(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    helper(skills=[skills.gardening], gender=Gender.MAN)
    woman = helper(skills=[skills.gardening], gender=Gender.WOMAN, point=FAR_AWAY, travel_km=20)
    need(skill=skills.gardening, gender=Gender.WOMAN)
    services.settings_update(
        community=community,
        updated_by=coordinator,
        weights={name: (10 if name == "weight_distance" else 0) for name in services.WEIGHT_FIELDS},
        helper_capacity=2,
        min_score=0,
    )
    run = _run(community, coordinator)
    assert list(Match.objects.filter(run=run).values_list("helper_id", flat=True)) == [woman.pk]


def test_it_counts_access_support(
    community: Community,
    coordinator: User,
    helper: Helper,
    need: Need,
    skills: Skills,
    member: User,
) -> None:
    helper(skills=[skills.gardening])
    signer = helper(skills=[skills.gardening], access_offers=[AccessSupport.BSL])
    profile_update(user=member, display_name="Mary", access_needs=[AccessSupport.BSL])
    need(skill=skills.gardening)
    run = _run(community, coordinator)
    match = Match.objects.get(run=run)
    assert match.helper_id == signer.pk
    assert "gives access support: British Sign Language" in match.reasons


def test_a_need_for_a_checked_helper_waits_when_nobody_is_checked(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    helper(skills=[skills.gardening])
    need(skill=skills.gardening, checked=True, title="Help in the garden")
    run = _run(community, coordinator)
    assert run.matched == 0
    assert run.message.startswith("No need can be met")
    assert run.unmatched == [
        {
            "id": run.unmatched[0]["id"],
            "title": "Help in the garden",
            "reason": "No helper within reach has a current safeguarding check.",
        }
    ]


def test_a_checked_helper_meets_a_need_for_one(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    helper(skills=[skills.gardening])
    checked = helper(skills=[skills.gardening], checked=True)
    need(skill=skills.gardening, checked=True)
    match = Match.objects.get(run=_run(community, coordinator))
    assert match.helper_id == checked.pk
    assert "has a current safeguarding check" in match.reasons


def test_an_empty_community_says_there_is_nothing_to_match(
    community: Community, coordinator: User
) -> None:
    run = _run(community, coordinator)
    assert run.state == MatchRun.State.DONE
    assert run.message == "There are no open requests to match."


def test_a_need_without_a_location_still_gets_an_explained_helper(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    helper(skills=[skills.gardening])
    need(skill=skills.gardening, point=None)
    match = Match.objects.get(run=_run(community, coordinator))
    assert "no location given, so distance was not counted" in match.reasons


def test_helper_capacity_holds(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    helper(skills=[skills.gardening])
    for i in range(4):
        need(skill=skills.gardening, title=f"Job {i}")
    services.settings_update(
        community=community, updated_by=coordinator, weights={}, helper_capacity=3, min_score=0
    )
    assert _run(community, coordinator).matched == 3


def test_removing_and_sending(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    first, second = helper(skills=[skills.gardening]), helper(skills=[skills.gardening])
    need(skill=skills.gardening, title="A")
    need(skill=skills.gardening, title="B")
    services.settings_update(
        community=community, updated_by=coordinator, weights={}, helper_capacity=1, min_score=0
    )
    run = _run(community, coordinator)
    pairs = list(Match.objects.filter(run=run).order_by("pk"))
    assert {p.helper_id for p in pairs} == {first.pk, second.pk}
    services.match_remove(match=pairs[0], removed_by=coordinator)
    mail.outbox.clear()
    sent = services.run_send(run=run, sent_by=coordinator)
    assert sent.sent == 1
    assert Notification.objects.filter(user_id=pairs[1].helper_id).count() == 1
    assert not Notification.objects.filter(user_id=pairs[0].helper_id).exists()
    with pytest.raises(Conflict):
        services.run_send(run=run, sent_by=coordinator)
    with pytest.raises(Conflict):
        services.match_remove(match=pairs[1], removed_by=coordinator)


def test_swapping_keeps_hard_constraints(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    checked = helper(skills=[skills.gardening], checked=True)
    plain = helper(skills=[skills.gardening])
    need(skill=skills.gardening, checked=True, title="Checked")
    need(skill=skills.gardening, title="Plain")
    services.settings_update(
        community=community, updated_by=coordinator, weights={}, helper_capacity=1, min_score=0
    )
    run = _run(community, coordinator)
    by_title = {m.listing.title: m for m in Match.objects.filter(run=run).select_related("listing")}
    assert by_title["Checked"].helper_id == checked.pk
    with pytest.raises(ValidationError):
        services.match_swap(
            first=by_title["Checked"], second=by_title["Plain"], changed_by=coordinator
        )
    assert Match.objects.get(pk=by_title["Plain"].pk).helper_id == plain.pk


def test_swapping_two_fitting_pairs_rewrites_their_reasons(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    a, b = helper(skills=[skills.gardening]), helper(skills=[skills.same_category])
    need(skill=skills.gardening, title="One")
    need(skill=skills.gardening, title="Two")
    services.settings_update(
        community=community, updated_by=coordinator, weights={}, helper_capacity=1, min_score=0
    )
    run = _run(community, coordinator)
    one, two = Match.objects.filter(run=run).order_by("pk")
    before = (one.helper_id, two.helper_id)
    swapped = services.match_swap(first=one, second=two, changed_by=coordinator)
    assert (swapped.first.helper_id, swapped.second.helper_id) == before[::-1]
    assert {a.pk, b.pk} == set(before)
    gardener_pair = swapped.first if swapped.first.helper_id == a.pk else swapped.second
    assert "offers Gardening" in gardener_pair.reasons


def test_an_invitation_counts_against_the_load_next_time(
    community: Community, coordinator: User, helper: Helper, need: Need, skills: Skills
) -> None:
    asked = helper(skills=[skills.gardening])
    need(skill=skills.gardening, title="A")
    first = _run(community, coordinator)
    assert "has not been asked this month" in Match.objects.get(run=first).reasons
    services.run_send(run=first, sent_by=coordinator)
    need(skill=skills.gardening, title="B")
    second = _run(community, coordinator)
    reasons = Match.objects.filter(run=second, helper=asked).first()
    assert reasons is not None and "has not been asked this month" not in reasons.reasons


def test_a_run_is_for_coordinators(community: Community, member: User) -> None:
    with pytest.raises(PermissionDenied):
        services.run_create(community=community, created_by=member)


def test_a_large_run_goes_to_a_background_task(
    community: Community,
    coordinator: User,
    helper: Helper,
    need: Need,
    skills: Skills,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: object,
) -> None:
    helper(skills=[skills.gardening])
    need(skill=skills.gardening)
    monkeypatch.setattr(services, "INLINE_NEEDS", 0)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        run = services.run_create(community=community, created_by=coordinator)
        assert run.state == MatchRun.State.QUEUED
    run.refresh_from_db()
    assert (run.state, run.progress, run.matched) == (MatchRun.State.DONE, 100, 1)


def test_the_weekly_email_lists_suggestions(
    community: Community,
    helper: Helper,
    need: Need,
    skills: Skills,
    django_capture_on_commit_callbacks: object,
) -> None:
    gardener = helper(skills=[skills.gardening])
    need(skill=skills.gardening, title="Fence and beds")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        queued = services.suggestions_email(community=community)
    assert queued >= 1
    mine = [m for m in mail.outbox if gardener.email in m.to]
    assert len(mine) == 1 and "Fence and beds" in mine[0].body


def test_the_weekly_command_names_each_community(community: Community) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("matching", "weekly", stdout=out)
    assert "riverside: 0 e-mails" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("matching", "weekly", "--community", "nowhere")
