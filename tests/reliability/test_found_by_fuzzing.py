"""Regressions for what the fuzzing found, each now a clear 4xx instead of a server error."""

import pytest
from django.test import Client

from coproduce.api.services import access_token_create
from tests.reliability.world import A_SLUG, World


@pytest.fixture
def api(world: World) -> Client:
    plain = access_token_create(user=world.persona("member"), name="regressions")[1]
    return Client(headers={"authorization": f"Bearer {plain}"}, REMOTE_ADDR="203.0.113.9")


@pytest.mark.parametrize(
    "query",
    ["to=0001-01-01", "from=9999-12-31&to=9999-12-31", "from=0001-01-01&to=2025-01-01"],
)
def test_the_coproduction_index_refuses_days_at_the_ends_of_the_calendar(
    api: Client, query: str
) -> None:
    """Found by `make fuzz`: a period a year before 1 January of year 1 overflowed (500)."""
    response = api.get(f"/api/v1/communities/{A_SLUG}/coproduction-index?{query}")
    assert response.status_code == 422, response.content
    assert "between 1900 and 2999" in response.json()["detail"] + str(response.json()["errors"])


def test_the_coproduction_index_still_answers_for_an_ordinary_period(api: Client) -> None:
    response = api.get(
        f"/api/v1/communities/{A_SLUG}/coproduction-index?from=2025-01-01&to=2025-12-31"
    )
    assert response.status_code == 200, response.content
    assert response.json()["start"] == "2025-01-01"
