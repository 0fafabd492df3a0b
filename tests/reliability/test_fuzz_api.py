"""The REST API fuzzed from its own OpenAPI document (schemathesis), in process.

Every operation gets generated requests, valid and invalid (schemathesis's positive and
negative modes), sent by a member of Riverside with a token, into a world with two full
communities. Each answer must not be a server error and must match the response schema
the document declares for its status. The path's community is Riverside's most of the
time, so that requests reach the endpoint's own checks rather than stopping at a 404.

`make fuzz` (tests/reliability/fuzz.py) runs the same with many more examples.
"""

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from coproduce.api.services import access_token_create
from coproduce.api.urls import api
from tests.reliability.world import A_SLUG, World

# How many requests each operation got (the runner in fuzz.py reports them).
CASES: Counter[str] = Counter()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# The coverage phase (boundary values of every parameter, hundreds per operation) is for the
# long run; the suite keeps to the randomised examples.
COVERAGE = os.environ.get("FUZZ_COVERAGE") == "1"

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
schema.app = WSGIHandler()
schema.config.generation.update(max_examples=EXAMPLES)
schema.config.phases.coverage.enabled = COVERAGE


@pytest.fixture(scope="module", autouse=True)
def _report_cases() -> Iterator[None]:
    """With FUZZ_REPORT set (by fuzz.py), write how many requests each operation got."""
    yield
    if path := os.environ.get("FUZZ_REPORT"):
        Path(path).write_text(json.dumps(dict(CASES), indent=1))


def aim_at_riverside(case: schemathesis.Case) -> None:
    """Three in four requests name Riverside; the rest keep the generated community."""
    slug = (case.path_parameters or {}).get("slug")
    if slug is not None and hash(slug) % 4:
        case.path_parameters["slug"] = A_SLUG


@pytest.fixture
def in_process() -> Iterator[None]:
    """Keep the test's database connection open across requests, as Django's test client does.

    The WSGI handler closes connections when a request starts and finishes; in a test that
    would close the connection that holds the test's transaction.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(in_process: None, world: World, settings: Any) -> str:
    # The rate limits have tests of their own; here they would only turn the fuzz into 429s.
    settings.RATELIMIT_ENABLE = False
    return access_token_create(user=world.persona("member"), name="fuzz")[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_operation_answers_with_a_server_error_or_off_its_schema(
    case: schemathesis.Case, token: str
) -> None:
    aim_at_riverside(case)
    CASES[f"{case.operation.method.upper()} {case.operation.path}"] += 1
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
        checks=[not_a_server_error, response_schema_conformance],
    )
