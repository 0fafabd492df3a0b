"""Open311 GeoReport v2 and HSDS 3.0 with malformed input (hypothesis).

Query strings and form bodies are generated from each API's own parameter names plus
strangers, with values of every shape: empty, huge numbers, negative, unicode, control
characters, very long text, repeated keys. Whatever comes in, neither API answers with a
server error; Open311's error answers are its own error document (a list of
`{code, description}`), HSDS's a JSON object with a message; and an HSDS answer that
succeeds still matches the official schema.
"""

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.directory.hsds import errors_against, page_errors_against
from tests.reliability.world import A_SLUG, World

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5")) * 10
CASES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_cases() -> Iterator[None]:
    """With FUZZ_REPORT set (by fuzz.py), add how many requests each kind got."""
    yield
    if path := os.environ.get("FUZZ_REPORT"):
        report = Path(path)
        known = json.loads(report.read_text()) if report.exists() else {}
        report.write_text(json.dumps({**known, **CASES}, indent=1))


OPEN311_PARAMS = [
    "jurisdiction_id", "api_key", "service_code", "service_request_id", "lat", "long",
    "address_string", "address_id", "email", "device_id", "account_id", "first_name",
    "last_name", "phone", "description", "media_url", "start_date", "end_date", "status",
    "updated_after", "updated_before", "page", "page_size", "attribute[size]",
]  # fmt: skip
HSDS_PARAMS = ["page", "per_page", "search", "modified_after", "taxonomy_term_id", "full_service"]
VALUES = st.one_of(
    st.text(max_size=30),
    st.integers().map(str),
    st.sampled_from(["", "0", "-1", "1e309", "NaN", "9" * 400, "2025-13-45T25:61", A_SLUG]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
)


def params(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    name = st.one_of(st.sampled_from(names), st.text(min_size=1, max_size=12))
    return st.lists(st.tuples(name, VALUES), max_size=8)


def _utf8(pairs: list[tuple[str, str]]) -> str:
    # Lone surrogates cannot travel in a URL; everything else can.
    return urlencode(
        [(k.encode("utf-8", "replace"), v.encode("utf-8", "replace")) for k, v in pairs]
    )


FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@pytest.fixture
def client(world: World, settings: Any) -> Client:
    settings.RATELIMIT_ENABLE = False
    return Client(REMOTE_ADDR="203.0.113.9")


def _open311_error_document(response: Any, fmt: str) -> None:
    if fmt != "json" or response.status_code < 400:
        return
    errors = json.loads(response.content)
    assert isinstance(errors, list) and errors, errors
    assert all(set(error) == {"code", "description"} for error in errors), errors


@FUZZ
@given(
    path=st.sampled_from(
        ["discovery", "services", "services/pothole", "requests", "requests/1", "tokens/x"]
    ),
    fmt=st.sampled_from(["json", "xml"]),
    query=params(OPEN311_PARAMS),
)
def test_open311_reads_never_fail_on_malformed_queries(
    client: Client, path: str, fmt: str, query: list[tuple[str, str]]
) -> None:
    CASES["open311 GET"] += 1
    response = client.get(f"/open311/v2/{path}.{fmt}?{_utf8(query)}")
    assert response.status_code < 500, response.content[:500]
    _open311_error_document(response, fmt)


@FUZZ
@given(
    path=st.sampled_from(["requests", "servicerequestupdates"]),
    fmt=st.sampled_from(["json", "xml"]),
    body=params(OPEN311_PARAMS),
)
def test_open311_writes_never_fail_on_malformed_bodies(
    client: Client, path: str, fmt: str, body: list[tuple[str, str]]
) -> None:
    CASES["open311 POST"] += 1
    response = client.post(
        f"/open311/v2/{path}.{fmt}",
        data=_utf8(body),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500, response.content[:500]
    _open311_error_document(response, fmt)


# Each list and its item's official schema (the taxonomy ones have no compiled schema; their
# answers are checked for the paging keys and for no server error).
HSDS_LISTS: dict[str, str | None] = {
    "services": "compiled/service.json",
    "organizations": "compiled/organization.json",
    "taxonomies": None,
    "taxonomy_terms": None,
    "service_at_locations": "compiled/service_at_location.json",
}


@FUZZ
@given(path=st.sampled_from(sorted(HSDS_LISTS)), query=params(HSDS_PARAMS))
def test_hsds_lists_never_fail_and_stay_valid_on_malformed_queries(
    client: Client, path: str, query: list[tuple[str, str]]
) -> None:
    CASES["hsds GET list"] += 1
    response = client.get(f"/hsds/{path}?{_utf8(query)}")
    assert response.status_code < 500, response.content[:500]
    body = json.loads(response.content)
    schema = HSDS_LISTS[path]
    if response.status_code == 200 and schema:
        assert page_errors_against(body, schema) == []
    elif response.status_code == 200:
        assert "contents" in body
    else:
        assert isinstance(body, dict) and body, body


@FUZZ
@given(path=st.sampled_from(sorted(HSDS_LISTS)), ident=VALUES)
def test_hsds_items_never_fail_on_malformed_ids(client: Client, path: str, ident: str) -> None:
    CASES["hsds GET item"] += 1
    response = client.get(f"/hsds/{path}/" + _utf8([("", ident)])[1:].replace("%2F", "x"))
    assert response.status_code < 500, response.content[:500]
    schema = HSDS_LISTS[path]
    if response.status_code == 200 and schema:
        assert errors_against(json.loads(response.content), schema) == []
