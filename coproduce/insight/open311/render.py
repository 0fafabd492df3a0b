"""Open311 GeoReport v2 output in both of its formats, XML and JSON.

Responses are built once as plain data with one wrapper key naming the root element,
e.g. ``{"services": [{...}, {...}]}``, and turned into either format here:

- XML: a list becomes a container element holding one element per item, named by the
  singular in ``ITEM_NAMES`` (``services`` holds ``service``). A list with one item is
  still a container with one child, so clients that read these tags as arrays (such as
  FixMyStreet's, which forces ``service``, ``attribute``, ``value``, ``request``,
  ``error`` and ``request_update`` to arrays) always get an array.
- JSON: the Spark convention the specification asks for: the root wrapper is dropped,
  so a list of requests is a top-level array, and a container is an array at any depth.

Scalars: ``None`` is an empty element / ``null``; booleans are ``true``/``false``;
datetimes are W3C datetimes with their offset. Identifiers and codes are passed in as
strings by the callers, so they stay strings in JSON as well.
"""

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("xml", "json")
CONTENT_TYPES = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}

# The singular element for each container, as the specification and the mySociety
# extension name them.
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}

# Characters that XML 1.0 cannot carry at all; text is user input, so they are dropped
# rather than letting one stray control character make the whole document unparsable.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3c_datetime(value: datetime) -> str:
    """A W3C datetime (ISO 8601 subset) in the site's time zone, always with its offset."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if local.tzinfo is None:
        raise ValueError("Open311 datetimes must carry a time zone")
    return local.replace(microsecond=0).isoformat()


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c_datetime(value)
    return _XML_INVALID.sub("", str(value))


def _xml_fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _xml_child(element, key, child)
    else:
        element.text = _scalar_text(value)


def _xml_child(parent: ET.Element, key: str, value: Any) -> None:
    element = ET.SubElement(parent, key)
    if isinstance(value, Sequence) and not isinstance(value, str):
        item_name = ITEM_NAMES[key]
        for item in value:
            _xml_fill(ET.SubElement(element, item_name), item)
    else:
        _xml_fill(element, value)


def to_xml(data: Mapping[str, Any]) -> bytes:
    """The document for ``{root: value}``, with the XML declaration the spec requires."""
    ((root_name, value),) = data.items()
    root = ET.Element(root_name)
    if isinstance(value, Sequence) and not isinstance(value, str):
        item_name = ITEM_NAMES[root_name]
        for item in value:
            _xml_fill(ET.SubElement(root, item_name), item)
    else:
        _xml_fill(root, value)
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def _json_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _json_value(child) for key, child in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_json_value(item) for item in value]
    if isinstance(value, datetime):
        return w3c_datetime(value)
    return value


def to_json(data: Mapping[str, Any]) -> bytes:
    """Spark convention: the root wrapper is dropped; containers are arrays."""
    ((_root, value),) = data.items()
    return json.dumps(_json_value(value), ensure_ascii=False).encode("utf-8")


def respond(fmt: str, data: Mapping[str, Any], *, status: int = 200) -> HttpResponse:
    """An HTTP response in the asked format with the specification's exact content type."""
    if fmt == "json":
        body = to_json(data)
    else:
        body = to_xml(data)
        fmt = "xml"
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    # Everything a GET returns is public, and browser-based clients (map mash-ups) read it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error_response(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The specification's error document: one ``error`` per problem, code = HTTP status."""
    errors = [{"code": status, "description": str(text)} for text in descriptions]
    return respond(fmt, {"errors": errors}, status=status)
