"""The page where people make and revoke their personal access tokens (/api/tokens/)."""

from collections.abc import Callable

from django.test import Client

from coproduce.api.models import AccessToken
from coproduce.api.services import access_token_create
from coproduce.people.models import User

PAGE = "/api/tokens/"


def test_an_anonymous_visitor_is_sent_to_sign_in(db: None) -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_lists_my_tokens_but_not_other_peoples(
    member: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    access_token_create(user=member, name="My spreadsheet")
    access_token_create(user=second_member, name="Nell's phone")
    response = client_for(member).get(PAGE)
    assert response.status_code == 200
    assert "My spreadsheet" in response.content.decode()
    assert "Nell's phone" not in response.content.decode()


def test_making_a_token_shows_it_once(member: User, client_for: Callable[[User], Client]) -> None:
    client = client_for(member)
    response = client.post(PAGE, {"name": "Booking system"})
    assert response.status_code == 201
    token = AccessToken.objects.get(user=member)
    page = response.content.decode()
    plain = page.split('id="token-value" type="text" value="')[1].split('"')[0]
    assert plain.startswith("cpt_")
    assert token.hint == plain[:12]
    assert plain not in client.get(PAGE).content.decode()


def test_the_token_shown_works_with_the_api(
    member: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(member).post(PAGE, {"name": "Booking system"}).content.decode()
    plain = page.split('id="token-value" type="text" value="')[1].split('"')[0]
    api = Client(headers={"authorization": f"Bearer {plain}"})
    assert api.get("/api/v1/communities/riverside/memberships/me").status_code == 200


def test_a_token_needs_a_name(member: User, client_for: Callable[[User], Client]) -> None:
    response = client_for(member).post(PAGE, {"name": "   "})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not AccessToken.objects.exists()


def test_revoking_a_token_stops_it_working(
    member: User, client_for: Callable[[User], Client]
) -> None:
    token, plain = access_token_create(user=member, name="Old script")
    response = client_for(member).post(f"{PAGE}{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = Client(headers={"authorization": f"Bearer {plain}"})
    assert api.get("/api/v1/communities/riverside/memberships/me").status_code == 401


def test_revoking_someone_elses_token_is_404(
    member: User, second_member: User, client_for: Callable[[User], Client]
) -> None:
    token, _plain = access_token_create(user=second_member, name="Nell's phone")
    response = client_for(member).post(f"{PAGE}{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(member: User, client_for: Callable[[User], Client]) -> None:
    token, _plain = access_token_create(user=member, name="Old script")
    assert client_for(member).get(f"{PAGE}{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
