"""Validate directory answers against the official HSDS 3.0 schemas, offline.

The schemas live beside the checkout in ../shared/standards/hsds-3.0 (CI puts ../shared
there too). Each file is registered under the address the official OpenAPI document uses
for it, so its relative `$ref`s ("metadata.json") resolve to the neighbouring local file
and nothing is fetched from the network.
"""

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import coproduce
from tests.conftest import skip_or_fail

HSDS_DIR = Path(coproduce.__file__).resolve().parents[2] / "shared" / "standards" / "hsds-3.0"
OFFICIAL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
PAGE_KEYS = [
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
]


@functools.cache
def _registry() -> tuple[Registry, dict[str, Any]]:
    if not (HSDS_DIR / "compiled" / "service.json").is_file():
        skip_or_fail(
            f"The HSDS 3.0 schemas are not at {HSDS_DIR}; put ../shared beside the checkout."
        )
    resources = []
    for path in [*HSDS_DIR.glob("*.json"), *HSDS_DIR.glob("compiled/*.json")]:
        name = path.relative_to(HSDS_DIR).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((OFFICIAL + name, DRAFT202012.create_resource(contents)))
    openapi = json.loads((HSDS_DIR / "openapi.json").read_text(encoding="utf-8"))
    return Registry().with_resources(resources), openapi


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    registry, _openapi = _registry()
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def errors_against(instance: Any, schema_file: str) -> list[str]:
    """Every way `instance` breaks the official schema `schema_file` (e.g. "compiled/service.json")."""
    validator = _validator({"$ref": OFFICIAL + schema_file})
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def page_errors_against(instance: Any, item_schema_file: str) -> list[str]:
    """Errors of a list answer: the official Page object, all its keys, and valid contents."""
    openapi = _registry()[1]
    schema = {
        "allOf": [openapi["components"]["schemas"]["Page"]],
        "type": "object",
        "required": PAGE_KEYS,
        "properties": {
            "contents": {"type": "array", "items": {"$ref": OFFICIAL + item_schema_file}}
        },
    }
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in _validator(schema).iter_errors(instance)
    ]


def root_errors(instance: Any) -> list[str]:
    """Errors of the `/` answer against the official document's schema, with its keys required."""
    openapi = _registry()[1]
    schema = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    schema = {**schema, "required": ["version", "profile", "openapi_url"]}
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in _validator(schema).iter_errors(instance)
    ]


def local_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the official schema addresses pointed at the local files."""
    text = json.dumps(document).replace(OFFICIAL, HSDS_DIR.as_uri() + "/")
    result: dict[str, Any] = json.loads(text)
    return result
