"""Helpers for the API tests: clients that send a personal access token, and query counting."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coproduce.api.services import access_token_create
from coproduce.people.models import User


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    """A client that authenticates every request with a fresh token of the given person."""

    def make(user: User) -> Client:
        _token, plain = access_token_create(user=user, name="tests")
        return Client(headers={"authorization": f"Bearer {plain}"})

    return make


def count_queries(client: Client, url: str) -> int:
    """How many queries one GET makes (asserting it succeeded).

    A first request warms up: it records the token's first use, which later requests in
    the same minute do not repeat.
    """
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)
