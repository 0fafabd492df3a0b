import io
import json
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from coproduce.communities.models import Community, OrganisationMember
from coproduce.communities.services import organisation_create
from coproduce.evidence.models import Questionnaire, Response
from coproduce.evidence.services import evidence_settings_update, questionnaire_enable
from coproduce.people.models import Consent, User
from coproduce.people.services import consent_current
from tests.evidence.conftest import World, at, exchange

Make = Callable[[User], Client]
REPORT = "/c/riverside/evidence/"
PERIOD = "?start=2026-01-01&end=2026-06-30"


def test_a_coordinator_sees_the_report_with_its_figures(world: World, client_for: Make) -> None:
    page = client_for(world.coordinator).get(REPORT + PERIOD)
    assert page.status_code == 200
    text = page.content.decode()
    assert "6 h 30 min" in text  # time given
    assert "<svg" in text
    assert "fewer than 5" in text  # categories with fewer than 5 givers


@pytest.mark.parametrize("who", ["member", "outsider", "other_member"])
def test_others_cannot_see_the_report(
    world: World, client_for: Make, who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    assert client_for(user).get(REPORT).status_code == 403
    assert client_for(user).get(REPORT + "report.csv").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(world: World) -> None:
    assert Client().get(REPORT).status_code == 302


def test_an_organisation_manager_sees_the_report(
    community: Community, coordinator: User, professional: User, client_for: Make
) -> None:
    organisation = organisation_create(
        community=community, name="Riverside Library", kind="public_body", created_by=coordinator
    )
    OrganisationMember.objects.create(
        community=community,
        organisation=organisation,
        user=professional,
        role=OrganisationMember.Role.MANAGER,
    )
    assert client_for(professional).get(REPORT).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "?start=yesterday",
        "?start=2026-05-01&end=2026-01-01",
        "?service=abc",
        "?neighbourhood=999999",
        "?start=1800-01-01",
        "?service=99999999999999999999999",
    ],
)
def test_a_bad_filter_is_a_form_error_not_a_500(world: World, client_for: Make, query: str) -> None:
    page = client_for(world.coordinator).get(REPORT + query)
    assert page.status_code == 400
    assert "There is a problem" in page.content.decode()


def test_a_period_with_no_data_says_so(world: World, client_for: Make) -> None:
    page = client_for(world.coordinator).get(REPORT + "?start=2020-01-01&end=2020-02-01")
    assert "Not enough data" in page.content.decode()


def test_the_csv_download_opens_and_has_methods(world: World, client_for: Make) -> None:
    body = client_for(world.coordinator).get(REPORT + "report.csv" + PERIOD).content.decode()
    assert "section,figure,value,as_text,method" in body
    assert "Time given,390," in body


def test_the_xlsx_download_opens(world: World, client_for: Make) -> None:
    body = client_for(world.coordinator).get(REPORT + "report.xlsx" + PERIOD).content
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    assert sheet["A2"].value == "section"


def test_the_pdf_report_is_a_pdf(world: World, client_for: Make) -> None:
    response = client_for(world.coordinator).get(REPORT + "report.pdf" + PERIOD)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_open_data_is_private_until_published(world: World, client_for: Make) -> None:
    url = REPORT + "open-data.json" + PERIOD
    assert Client().get(url).status_code == 403
    evidence_settings_update(
        community=world.community, changed_by=world.coordinator, replacement_rate_pence=None,
        replacement_rate_source="", wellby_value_pence=None, wellby_source="", publish_open_data=True,
    )  # fmt: skip
    response = Client().get(url)
    assert response.status_code == 200
    data = json.loads(response.content)
    assert response["Access-Control-Allow-Origin"] == "*"
    categories = [f for f in data["figures"] if f["figure"].startswith("Given: ")]
    assert all(f["value"] is None for f in categories if f["text"] == "fewer than 5")


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_report_takes_the_same_queries_for_3_or_30_exchanges(
    world: World, client_for: Make
) -> None:
    client = client_for(world.coordinator)
    few = _queries(client, REPORT + PERIOD)
    for n in range(27):
        exchange(world, "ABCDEFGH"[n % 8], "ABCDEFGH"[(n + 3) % 8], 15, at(2026, 3, 1 + n), "care")
    assert _queries(client, REPORT + PERIOD) == few


# A member's own answers -------------------------------------------------------------------


@pytest.fixture
def ons(community: Community, coordinator: User) -> Questionnaire:
    return questionnaire_enable(community=community, instrument="ons4", enabled_by=coordinator)


def test_a_member_gives_consent_answers_and_sees_their_answers(
    ons: Questionnaire, member: User, client_for: Make
) -> None:
    client = client_for(member)
    client.post("/c/riverside/evidence/mine/consent/", {"give": "1"})
    page = client.get("/c/riverside/evidence/mine/").content.decode()
    assert ons.title in page  # due on joining
    answer = f"/c/riverside/evidence/questionnaires/{ons.pk}/answer/"
    response = client.post(
        answer, {"item_1": 7, "item_2": 8, "item_3": 6, "item_4": 2, "occasion": "joining"}
    )
    assert response.status_code == 302
    assert Response.objects.get(person=member).scores["life_satisfaction"] == 7.0
    export = json.loads(client.get("/c/riverside/evidence/mine/answers.json").content)
    assert export["answers"][0]["answers"] == [7, 8, 6, 2]
    assert client.get("/c/riverside/evidence/mine/answers.csv").status_code == 200


def test_an_answer_out_of_range_is_a_field_error(
    ons: Questionnaire, community: Community, member: User, client_for: Make
) -> None:
    client = client_for(member)
    client.post("/c/riverside/evidence/mine/consent/", {"give": "1"})
    answer = f"/c/riverside/evidence/questionnaires/{ons.pk}/answer/"
    response = client.post(
        answer, {"item_1": 11, "item_2": 8, "item_3": 6, "item_4": 2, "occasion": "joining"}
    )
    assert response.status_code == 400
    assert not Response.objects.exists()


def test_submitting_the_form_twice_keeps_one_answer(
    ons: Questionnaire, member: User, client_for: Make
) -> None:
    client = client_for(member)
    client.post("/c/riverside/evidence/mine/consent/", {"give": "1"})
    answer = f"/c/riverside/evidence/questionnaires/{ons.pk}/answer/"
    data = {"item_1": 7, "item_2": 8, "item_3": 6, "item_4": 2, "occasion": "joining"}
    assert client.post(answer, data).status_code == 302
    assert client.post(answer, data).status_code == 302
    assert Response.objects.count() == 1


def test_without_consent_the_form_says_why_and_keeps_nothing(
    ons: Questionnaire, member: User, client_for: Make
) -> None:
    answer = f"/c/riverside/evidence/questionnaires/{ons.pk}/answer/"
    response = client_for(member).post(
        answer, {"item_1": 7, "item_2": 8, "item_3": 6, "item_4": 2, "occasion": "joining"}
    )
    assert response.status_code == 400
    assert "consent" in response.content.decode()
    assert not Response.objects.exists()


def test_withdrawing_consent_from_the_page(
    community: Community, member: User, client_for: Make
) -> None:
    client = client_for(member)
    client.post("/c/riverside/evidence/mine/consent/", {"give": "1"})
    client.post("/c/riverside/evidence/mine/consent/", {"give": "0"})
    assert not consent_current(
        community=community, user=member, purpose=Consent.Purpose.HEALTH_DATA
    )


def test_a_coordinator_enters_a_paper_form(
    ons: Questionnaire, coordinator: User, member: User, client_for: Make
) -> None:
    url = f"/c/riverside/evidence/questionnaires/{ons.pk}/paper/{member.pk}/"
    data = {
        "item_1": 5,
        "item_2": 5,
        "item_3": 5,
        "item_4": 5,
        "occasion": "joining",
        "answered_at": "2026-11-01",
        "consent": "on",
    }
    assert client_for(coordinator).post(url, data).status_code == 302
    response = Response.objects.get(person=member)
    assert response.method == Response.Method.PAPER
    assert response.answered_at.date().isoformat() == "2026-11-01"


def test_a_member_cannot_open_the_paper_form(
    ons: Questionnaire, member: User, second_member: User, client_for: Make
) -> None:
    url = f"/c/riverside/evidence/questionnaires/{ons.pk}/paper/{second_member.pk}/"
    assert client_for(member).get(url).status_code == 403


def test_another_communitys_questionnaire_is_not_found(
    ons: Questionnaire, other_member: User, client_for: Make
) -> None:
    assert (
        client_for(other_member)
        .get(f"/c/hillside/evidence/questionnaires/{ons.pk}/answer/")
        .status_code
        == 404
    )


def test_the_settings_page_enables_an_instrument_and_saves_rates(
    community: Community, coordinator: User, client_for: Make
) -> None:
    client = client_for(coordinator)
    assert client.get("/c/riverside/evidence/manage/").status_code == 200
    client.post("/c/riverside/evidence/manage/", {"action": "enable", "instrument": "ucla3"})
    assert Questionnaire.objects.filter(community=community, instrument="ucla3").exists()
    bad = client.post(
        "/c/riverside/evidence/manage/", {"action": "settings", "replacement_rate": "12.00"}
    )
    assert bad.status_code == 400
    client.post(
        "/c/riverside/evidence/manage/",
        {
            "action": "settings",
            "replacement_rate": "12.00",
            "replacement_rate_source": "Care worker rate",
        },
    )
    assert community.evidence_settings.replacement_rate_pence == 1200


def test_the_settings_page_creates_a_custom_questionnaire(
    community: Community, coordinator: User, client_for: Make
) -> None:
    client_for(coordinator).post(
        "/c/riverside/evidence/manage/",
        {
            "action": "custom",
            "title": "Connected",
            "questions": "How connected do you feel? | 1 | 5 | Not at all | Very",
        },
    )
    q = Questionnaire.objects.get(community=community, instrument="custom")
    assert q.questions.get().max_label == "Very"


def test_a_member_cannot_open_the_settings(member: User, client_for: Make) -> None:
    assert client_for(member).get("/c/riverside/evidence/manage/").status_code == 403


def test_the_swemwbs_form_shows_the_copyright_notice(
    community: Community, coordinator: User, member: User, client_for: Make
) -> None:
    swemwbs = questionnaire_enable(
        community=community, instrument="swemwbs", enabled_by=coordinator
    )
    client_for(coordinator).post(
        f"/c/riverside/evidence/questionnaires/{swemwbs.pk}/wording/",
        {
            "statements": "\n".join(f"Statement {n}" for n in range(7)),
            "answer_labels": "a\nb\nc\nd\ne",
            "copyright_notice": "© NHS Health Scotland, University of Warwick and University of Edinburgh, 2008, all rights reserved.",
        },
    )
    page = (
        client_for(member)
        .get(f"/c/riverside/evidence/questionnaires/{swemwbs.pk}/answer/")
        .content.decode()
    )
    assert "Statement 6" in page
    assert "© NHS Health Scotland" in page


def test_the_report_for_one_service_pairs_start_and_end_answers(
    world: World, client_for: Make
) -> None:
    from coproduce.coproduction.models import Service
    from coproduce.coproduction.services import service_create
    from coproduce.evidence.services import response_submit

    service = service_create(
        community=world.community,
        title="Walk and talk",
        created_by=world.coordinator,
        credit_rule=Service.CreditRule.MEMBER_TO_MEMBER,
    )
    ucla = questionnaire_enable(
        community=world.community, instrument="ucla3", enabled_by=world.coordinator
    )
    for name, before, after in zip(
        "ABCDE",
        ([3, 3, 3], [3, 2, 3], [2, 2, 2], [3, 3, 2], [2, 3, 3]),
        ([2, 2, 2],) * 5,
        strict=True,
    ):
        for occasion, when, answers in (
            ("service_start", at(2026, 1, 5), before),
            ("service_end", at(2026, 6, 1), after),
        ):
            response_submit(
                questionnaire=ucla, person=world.people[name], answers=answers, occasion=occasion,
                service=service, recorded_by=world.coordinator, answered_at=when,
            )  # fmt: skip
    page = client_for(world.coordinator).get(REPORT + PERIOD + f"&service={service.pk}")
    assert page.status_code == 200
    # before 9, 8, 6, 8, 8 → after 6 each: changes −3, −2, 0, −2, −2, mean −1.80
    assert "-1.80 (95% CI" in page.content.decode()


def test_a_member_cannot_open_the_licensed_wording_page(
    community: Community, coordinator: User, member: User, client_for: Make
) -> None:
    swemwbs = questionnaire_enable(
        community=community, instrument="swemwbs", enabled_by=coordinator
    )
    assert (
        client_for(member)
        .get(f"/c/riverside/evidence/questionnaires/{swemwbs.pk}/wording/")
        .status_code
        == 403
    )


def test_the_paper_form_chooser_goes_to_the_members_form(
    ons: Questionnaire, coordinator: User, member: User, client_for: Make
) -> None:
    client = client_for(coordinator)
    response = client.get(f"/c/riverside/evidence/paper/?questionnaire={ons.pk}&member={member.pk}")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/questionnaires/{ons.pk}/paper/{member.pk}/")
    assert client.get("/c/riverside/evidence/paper/?questionnaire=x&member=1").status_code == 404


def test_a_member_deletes_all_their_answers(
    ons: Questionnaire, member: User, client_for: Make
) -> None:
    client = client_for(member)
    client.post("/c/riverside/evidence/mine/consent/", {"give": "1"})
    answer = f"/c/riverside/evidence/questionnaires/{ons.pk}/answer/"
    client.post(answer, {"item_1": 7, "item_2": 8, "item_3": 6, "item_4": 2, "occasion": "joining"})
    client.post("/c/riverside/evidence/mine/erase/")
    assert not Response.objects.filter(person=member).exists()


def test_my_answers_page_takes_the_same_queries_for_3_or_30_answers(
    community: Community, coordinator: User, member: User, client_for: Make
) -> None:
    from coproduce.evidence.services import (
        QuestionSpec,
        questionnaire_create_custom,
        response_submit,
    )
    from coproduce.people.services import consent_give

    consent_give(community=community, user=member, purpose=Consent.Purpose.HEALTH_DATA)
    client = client_for(member)
    made = 0

    def answer(n: int) -> None:
        nonlocal made
        for _ in range(n):
            q = questionnaire_create_custom(
                community=community,
                title=f"Q{made}",
                intro="",
                questions=[QuestionSpec("How?", 1, 5)],
                created_by=coordinator,
            )
            response_submit(
                questionnaire=q, person=member, answers=[3], occasion="joining", recorded_by=member
            )
            made += 1

    answer(3)
    few = _queries(client, "/c/riverside/evidence/mine/")
    answer(27)
    assert _queries(client, "/c/riverside/evidence/mine/") == few


@pytest.mark.parametrize("path", ["mine/", "mine/answers.json", "manage/"])
@pytest.mark.parametrize("who", ["outsider", "other_member"])
def test_people_outside_the_community_cannot_open_member_pages(
    community: Community, client_for: Make, who: str, path: str, request: pytest.FixtureRequest
) -> None:
    assert client_for(request.getfixturevalue(who)).get(REPORT + path).status_code == 403
