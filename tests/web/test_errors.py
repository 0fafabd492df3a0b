"""What a person or a program sees when the server fails: a database that is not answering
is a 503 to try again (with Retry-After); anything else is the plain 500. Neither shows a
traceback, and neither page needs the database."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from coproduce.communities.models import Community
from coproduce.lib.errors import RETRY_AFTER_SECONDS


@pytest.fixture
def failing_client() -> Client:
    """A client that gets the error page, as a browser would, instead of the exception."""
    return Client(raise_request_exception=False)


def test_a_page_whose_database_is_not_answering_is_a_503_page_to_try_again(
    community: Community, failing_client: Client
) -> None:
    with mock.patch(
        "coproduce.web.views.about_page",
        side_effect=OperationalError("server closed the connection"),
    ):
        response = failing_client.get(f"/c/{community.slug}/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "Back in a moment" in page and "server closed" not in page


def test_any_other_failure_is_the_plain_500_page(
    community: Community, failing_client: Client
) -> None:
    with mock.patch("coproduce.web.views.about_page", side_effect=RuntimeError("secret internals")):
        response = failing_client.get(f"/c/{community.slug}/")
    assert response.status_code == 500
    assert not response.has_header("Retry-After")
    page = response.content.decode()
    assert "Something went wrong" in page and "secret internals" not in page


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_a_database_that_is_not_answering_in_its_own_format(
    community: Community, fmt: str
) -> None:
    with mock.patch(
        "coproduce.insight.open311.views._community",
        side_effect=OperationalError("could not connect to server"),
    ):
        response = Client().get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "try again" in response.content.decode()
    assert "could not connect" not in response.content.decode()


def test_a_program_whose_request_no_api_handler_answers_gets_json(
    community: Community, failing_client: Client
) -> None:
    # The HSDS directory's views leave failures to Django's last resort (handler500).
    with mock.patch(
        "coproduce.directory.views.selectors.services",
        side_effect=OperationalError("could not connect to server"),
    ):
        response = failing_client.get("/hsds/services")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "try again" in response.json()["detail"]
