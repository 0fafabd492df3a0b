"""The OpenAPI document and the interactive docs page."""

import re

from django.test import Client
from openapi_spec_validator import validate

from coproduce.people.models import User


def test_the_openapi_document_is_valid_openapi_3(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    validate(document)


def test_the_document_states_input_limits_and_the_token_scheme(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    title = document["components"]["schemas"]["ListingIn"]["properties"]["title"]
    assert title["maxLength"] == 120
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    listing_list = document["paths"]["/api/v1/communities/{slug}/listings"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(listing_list["responses"])


def test_every_operation_but_the_public_ones_needs_authentication(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    public = {("/api/v1/communities", "get"), ("/api/v1/communities/{slug}", "get")}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert bool(operation.get("security")) != ((path, method) in public), (path, method)


def test_the_docs_page_loads_its_scripts_from_this_site_and_runs_none_inline(member: User) -> None:
    client = Client()
    client.force_login(member)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert all('type="application/json"' in attributes for attributes in inline), inline
