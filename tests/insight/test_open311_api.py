"""Open311 GeoReport v2 at /open311/v2/: every endpoint in XML and JSON, and every refusal.

XML is read with xml.etree element by element; lists that hold one item must still be
lists (FixMyStreet forces service, attribute, value, request, error and request_update
to arrays). Every refusal must use the spec's error document and store nothing.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coproduce.communities.models import Community, Organisation
from coproduce.insight.models import Category, Report, ReportUpdate
from coproduce.insight.services import category_save
from coproduce.people.models import User
from tests.insight.open311_fixtures import *  # noqa: F403
from tests.insight.open311_fixtures import BASE, answer, client, make_report, parse

FORMATS = ["xml", "json"]
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


def text(element: Any, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return found.text or ""


def children(element: Any, path: str, tag: str) -> list[Any]:
    container = element.find(path) if path else element
    assert container is not None, path
    assert all(child.tag == tag for child in container), [c.tag for c in container]
    return list(container)


def errors_of(response: Any, fmt: str, status: int) -> list[str]:
    """The descriptions of a spec error document, after checking its shape and code."""
    parsed = parse(response, fmt)
    assert parsed.status == status, response.content
    assert parsed.content_type == CONTENT_TYPES[fmt]
    if fmt == "xml":
        assert parsed.xml is not None and parsed.xml.tag == "errors"
        errors = children(parsed.xml, "", "error")
        assert errors and all(text(e, "code") == str(status) for e in errors)
        return [text(e, "description") for e in errors]
    assert isinstance(parsed.data, list) and parsed.data
    assert all(set(e) == {"code", "description"} and e["code"] == status for e in parsed.data)
    return [e["description"] for e in parsed.data]


def get(path: str, fmt: str, **params: Any) -> Any:
    return client().get(f"{BASE}{path}.{fmt}", params)


def post(path: str, fmt: str, data: dict[str, Any]) -> Any:
    return client().post(f"{BASE}{path}.{fmt}", data)


def pothole_form(key: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    form: dict[str, Any] = {
        "api_key": key,
        "jurisdiction_id": "riverside",
        "service_code": "pothole",
        "lat": "51.5012",
        "long": "-0.1015",
        "description": "Deep pothole outside the library",
        "email": "pat@example.org",
        "first_name": "Pat",
        "last_name": "Private",
        "phone": "01234 567890",
        "device_id": "device-7",
        "account_id": "acct-99",
        # FixMyStreet repeats media_url once per photo; the first is the main one.
        "media_url": ["https://photos.example.org/hole.jpg", "https://photos.example.org/2.jpg"],
        "attribute[depth]": "12",
        "attribute[size]": "large",
        "attribute[where][]": ["road", "pavement"],
    }
    form.update(changes or {})
    return {key: value for key, value in form.items() if value is not None}


# Discovery ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_georeport_v2_endpoint_and_its_formats(db: None, fmt: str) -> None:
    parsed = parse(get("discovery", fmt), fmt)
    assert parsed.status == 200 and parsed.content_type == CONTENT_TYPES[fmt]
    if fmt == "xml":
        root = parsed.xml
        assert root is not None and root.tag == "discovery"
        for field in ("changeset", "contact", "key_service"):
            assert text(root, field)
        (endpoint,) = children(root, "endpoints", "endpoint")
        assert text(endpoint, "specification") == "http://wiki.open311.org/GeoReport_v2"
        assert text(endpoint, "url").endswith("/open311/v2")
        assert text(endpoint, "type") in {"production", "test"}
        assert [f.text for f in children(endpoint, "formats", "format")] == [
            "text/xml",
            "application/json",
        ]
    else:
        data = parsed.data
        assert {"changeset", "contact", "key_service", "endpoints"} <= set(data)
        (endpoint,) = data["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]


# Services -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_lists_the_open_categories_in_order(
    pothole: Category, graffiti: Category, admin: User, council: Organisation, fmt: str
) -> None:
    category_save(
        community=pothole.community,
        saved_by=admin,
        organisation=council,
        code="old",
        name="Retired",
        active=False,
    )
    parsed = parse(get("services", fmt), fmt)
    assert parsed.status == 200 and parsed.content_type == CONTENT_TYPES[fmt]
    if fmt == "xml":
        assert parsed.xml is not None and parsed.xml.tag == "services"
        first, second = children(parsed.xml, "", "service")
        assert [c.tag for c in first] == [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ]
        assert text(first, "service_code") == "pothole"
        assert text(first, "service_name") == "Pothole"
        assert text(first, "description") == "A hole in the road or pavement."
        assert text(first, "metadata") == "true"
        assert text(first, "type") == "realtime"
        assert text(first, "keywords") == "road, hole, tarmac"
        assert text(first, "group") == "Roads"
        assert text(second, "service_code") == "graffiti"
        assert text(second, "metadata") == "false"
    else:
        assert parsed.data == [
            {
                "service_code": "pothole",
                "service_name": "Pothole",
                "description": "A hole in the road or pavement.",
                "metadata": True,
                "type": "realtime",
                "keywords": "road, hole, tarmac",
                "group": "Roads",
            },
            {
                "service_code": "graffiti",
                "service_name": "Graffiti",
                "description": "",
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": "",
            },
        ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_service_is_still_a_list(graffiti: Category, fmt: str) -> None:
    parsed = parse(get("services", fmt), fmt)
    if fmt == "xml":
        assert parsed.xml is not None
        (service,) = children(parsed.xml, "", "service")
        assert text(service, "service_code") == "graffiti"
    else:
        assert [s["service_code"] for s in parsed.data] == ["graffiti"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_describes_attributes_of_every_datatype(
    pothole: Category, fmt: str
) -> None:
    parsed = parse(get("services/pothole", fmt), fmt)
    assert parsed.status == 200 and parsed.content_type == CONTENT_TYPES[fmt]
    expected = [
        ("depth", "number", True, True, []),
        (
            "size",
            "singlevaluelist",
            True,
            True,
            [("small", "Smaller than a plate"), ("large", "Larger than a plate")],
        ),
        (
            "where",
            "multivaluelist",
            True,
            False,
            [("road", "On the road"), ("pavement", "On the pavement")],
        ),
        ("street", "string", True, False, []),
        ("noticed", "datetime", True, False, []),
        ("details", "text", True, False, []),
        ("safety", "string", False, False, []),
    ]
    if fmt == "xml":
        root = parsed.xml
        assert root is not None and root.tag == "service_definition"
        assert text(root, "service_code") == "pothole"
        attributes = children(root, "attributes", "attribute")
        assert len(attributes) == len(expected)
        for position, (attribute, (code, datatype, variable, required, values)) in enumerate(
            zip(attributes, expected, strict=True), start=1
        ):
            assert text(attribute, "code") == code
            assert text(attribute, "datatype") == datatype
            assert text(attribute, "variable") == ("true" if variable else "false")
            assert text(attribute, "required") == ("true" if required else "false")
            assert text(attribute, "order") == str(position)
            assert text(attribute, "description")
            assert attribute.find("datatype_description") is not None
            if values:
                found = children(attribute, "values", "value")
                assert [(text(v, "key"), text(v, "name")) for v in found] == values
            else:
                assert attribute.find("values") is None
        assert text(attributes[1], "datatype_description") == "Pick the nearest."
    else:
        data = parsed.data
        assert data["service_code"] == "pothole"
        assert len(data["attributes"]) == len(expected)
        for position, (attribute, (code, datatype, variable, required, values)) in enumerate(
            zip(data["attributes"], expected, strict=True), start=1
        ):
            assert attribute["code"] == code
            assert attribute["datatype"] == datatype
            assert attribute["variable"] is variable
            assert attribute["required"] is required
            assert attribute["order"] == position
            if values:
                assert [(v["key"], v["name"]) for v in attribute["values"]] == values
            else:
                assert "values" not in attribute


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_attribute_and_one_value_are_still_lists(
    community: Community, admin: User, council: Organisation, fmt: str
) -> None:
    from coproduce.insight.services import AttributeSpec, category_attribute_save

    category = category_save(
        community=community, saved_by=admin, organisation=council, code="bin", name="Bin"
    )
    category_attribute_save(
        category=category,
        saved_by=admin,
        spec=AttributeSpec("colour", "singlevaluelist", "Colour?", values=(("green", "Green"),)),
    )
    parsed = parse(get("services/bin", fmt), fmt)
    if fmt == "xml":
        assert parsed.xml is not None
        (attribute,) = children(parsed.xml, "attributes", "attribute")
        (value,) = children(attribute, "values", "value")
        assert text(value, "key") == "green"
    else:
        (attribute,) = parsed.data["attributes"]
        assert attribute["values"] == [{"key": "green", "name": "Green"}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_or_closed_service_is_not_found(
    pothole: Category, admin: User, council: Organisation, fmt: str
) -> None:
    assert "nothing" in errors_of(get("services/nothing", fmt), fmt, 404)[0]
    category_save(
        community=pothole.community,
        saved_by=admin,
        organisation=council,
        code="pothole",
        name="Pothole",
        active=False,
        category=pothole,
    )
    errors_of(get("services/pothole", fmt), fmt, 404)


# Jurisdictions ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_is_needed_once_there_are_two_communities(
    graffiti: Category, other_community: Community, fmt: str
) -> None:
    assert "jurisdiction_id" in errors_of(get("services", fmt), fmt, 400)[0]
    assert "atlantis" in errors_of(get("services", fmt, jurisdiction_id="atlantis"), fmt, 404)[0]
    riverside = parse(get("services", fmt, jurisdiction_id="riverside"), fmt)
    hillside = parse(get("services", fmt, jurisdiction_id="hillside"), fmt)
    if fmt == "xml":
        assert riverside.xml is not None and hillside.xml is not None
        assert len(children(riverside.xml, "", "service")) == 1
        assert children(hillside.xml, "", "service") == []
    else:
        assert len(riverside.data) == 1 and hillside.data == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_jurisdiction_is_not_found_even_with_one_community(
    graffiti: Category, fmt: str
) -> None:
    errors_of(get("services", fmt, jurisdiction_id="atlantis"), fmt, 404)
    errors_of(get("requests", fmt, jurisdiction_id="atlantis"), fmt, 404)


# POST requests ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_a_request_stores_the_report_and_answers_with_its_id(
    pothole: Category, api_key: str, fmt: str
) -> None:
    response = post("requests", fmt, pothole_form(api_key))
    parsed = parse(response, fmt)
    assert parsed.status == 200, response.content
    assert parsed.content_type == CONTENT_TYPES[fmt]
    report = Report.objects.get()
    if fmt == "xml":
        assert parsed.xml is not None and parsed.xml.tag == "service_requests"
        (item,) = children(parsed.xml, "", "request")
        assert [c.tag for c in item] == ["service_request_id", "service_notice", "account_id"]
        assert text(item, "service_request_id") == str(report.pk)
        assert "Riverside Council" in text(item, "service_notice")
        assert text(item, "account_id") == "acct-99"
        assert item.find("token") is None
    else:
        (item,) = parsed.data
        assert item["service_request_id"] == str(report.pk)
        assert item["account_id"] == "acct-99"
        assert "token" not in item
    assert report.category == pothole
    assert report.source == "open311"
    assert report.via_key is not None and report.via_key.organisation == pothole.organisation
    assert report.reporter is None
    assert report.description == "Deep pothole outside the library"
    assert (float(report.lat), float(report.lng)) == (51.5012, -0.1015)  # type: ignore[arg-type]
    assert report.attributes == {"depth": "12", "size": "large", "where": ["road", "pavement"]}
    assert report.contact_email == "pat@example.org"
    assert (report.contact_first_name, report.contact_last_name) == ("Pat", "Private")
    assert report.contact_phone == "01234 567890"
    assert (report.device_id, report.account_id) == ("device-7", "acct-99")
    assert report.media_url == "https://photos.example.org/hole.jpg"


def test_a_request_may_be_placed_by_address_alone(graffiti: Category, police_key: str) -> None:
    form = {
        "api_key": police_key,
        "service_code": "graffiti",
        "address_string": "Underpass, Mill Lane, Riverside",
    }
    assert post("requests", "xml", form).status_code == 200
    report = Report.objects.get()
    assert report.lat is None and report.address_string == "Underpass, Mill Lane, Riverside"


def test_an_empty_description_is_described_by_the_service(
    graffiti: Category, police_key: str
) -> None:
    form = {"api_key": police_key, "service_code": "graffiti", "lat": "51.5", "long": "-0.1"}
    assert post("requests", "json", form).status_code == 200
    assert Report.objects.get().description == "Graffiti"


REFUSALS = [
    ("no api_key", {"api_key": None}, 403, "api_key"),
    ("a wrong api_key", {"api_key": "o311_nonsense"}, 403, "api_key"),
    ("no service_code", {"service_code": None}, 400, "service_code"),
    ("an unknown service_code", {"service_code": "volcano"}, 404, "volcano"),
    ("lat without long", {"long": None}, 400, "lat and long"),
    ("long without lat", {"lat": None}, 400, "lat and long"),
    ("no location", {"lat": None, "long": None}, 400, "location"),
    ("a latitude off the globe", {"lat": "95"}, 400, "lat"),
    ("a point outside the community", {"lat": "52.2", "long": "0.1"}, 400, "outside"),
    ("an unknown attribute value", {"attribute[size]": "enormous"}, 400, "enormous"),
    ("an unknown attribute", {"attribute[colour]": "red"}, 400, "colour"),
    ("a missing required attribute", {"attribute[depth]": None}, 400, "How deep"),
    ("a number attribute that is not one", {"attribute[depth]": "deep"}, 400, "number"),
    ("a bad datetime attribute", {"attribute[noticed]": "last week"}, 400, "date"),
    ("a description over 4,000 characters", {"description": "x" * 4001}, 400, "4,000"),
    ("a media_url that is not a URL", {"media_url": "not a url"}, 400, "media_url"),
    ("a bad e-mail address", {"email": "pat@"}, 400, "e-mail"),
    ("an unknown jurisdiction", {"jurisdiction_id": "atlantis"}, 404, "atlantis"),
    ("an ambiguous attribute", {"attribute[size][]": ["small"]}, 400, "size"),
    ("a NUL character", {"attribute[street]": "Mill\x00Lane"}, 400, "NUL"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("changes", "status", "says"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_a_bad_request_is_refused_in_the_spec_format_and_stores_nothing(
    pothole: Category, api_key: str, fmt: str, changes: dict[str, Any], status: int, says: str
) -> None:
    descriptions = errors_of(post("requests", fmt, pothole_form(api_key, changes)), fmt, status)
    assert any(says in d for d in descriptions), descriptions
    assert not Report.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revoked_key_or_another_communitys_key_is_refused(
    pothole: Category, revoked_key: str, other_key: str, fmt: str
) -> None:
    for key in (revoked_key, other_key):
        errors_of(post("requests", fmt, pothole_form(key)), fmt, 403)
    assert not Report.objects.exists()


def test_a_post_without_jurisdiction_is_refused_when_there_are_two_communities(
    pothole: Category, api_key: str, other_community: Community
) -> None:
    errors_of(post("requests", "xml", pothole_form(api_key, {"jurisdiction_id": None})), "xml", 400)
    assert not Report.objects.exists()


def test_an_unsupported_method_gets_the_spec_error(pothole: Category) -> None:
    response = client().put(f"{BASE}services.xml")
    errors_of(response, "xml", 400)
    assert response["Allow"] == "GET"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_with_too_many_fields_is_refused_in_the_spec_format(
    pothole: Category, api_key: str, fmt: str
) -> None:
    form = pothole_form(api_key, {f"attribute[x{n}]": "1" for n in range(1100)})
    errors_of(post("requests", fmt, form), fmt, 400)
    errors_of(
        client().get(f"{BASE}requests.{fmt}?" + "&".join(f"a{n}=1" for n in range(1100))), fmt, 400
    )
    assert not Report.objects.exists()


def test_head_is_answered_where_get_is(graffiti: Category) -> None:
    response = client().head(f"{BASE}services.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["xml"]


@pytest.mark.parametrize("path", ["nothing.xml", "services.html", "requests/1.csv", "nothing.json"])
def test_anything_else_is_not_found_in_the_spec_format(db: None, path: str) -> None:
    fmt = "json" if path.endswith(".json") else "xml"
    errors_of(client().get(BASE + path), fmt, 404)


# GET requests -------------------------------------------------------------------------

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def request_items(response: Any, fmt: str) -> list[dict[str, Any]]:
    """Each request as a dict, after checking the container and the field order."""
    parsed = parse(response, fmt)
    assert parsed.status == 200, response.content
    assert parsed.content_type == CONTENT_TYPES[fmt]
    if fmt == "xml":
        assert parsed.xml is not None and parsed.xml.tag == "service_requests"
        items = []
        for element in children(parsed.xml, "", "request"):
            assert [c.tag for c in element] == REQUEST_FIELDS
            items.append({c.tag: c.text for c in element})
        return items
    assert isinstance(parsed.data, list)
    for item in parsed.data:
        assert list(item) == REQUEST_FIELDS
    return parsed.data


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_give_every_field_of_a_public_report(pothole: Category, fmt: str) -> None:
    report = make_report(
        pothole, address_string="Library Road", media_url="https://x.example/1.jpg"
    )
    (item,) = request_items(get("requests", fmt), fmt)
    assert item["service_request_id"] == str(report.pk)
    assert item["status"] == "open"
    assert item["status_notes"] == "Open"
    assert item["service_name"] == "Pothole"
    assert item["service_code"] == "pothole"
    assert item["description"] == "A deep hole"
    assert item["agency_responsible"] == "Riverside Council"
    assert W3C.match(item["requested_datetime"]) and W3C.match(item["updated_datetime"])
    assert item["address"] == "Library Road"
    assert item["media_url"] == "https://x.example/1.jpg"
    for empty in ("service_notice", "expected_datetime", "address_id", "zipcode"):
        assert item[empty] is None
    if fmt == "json":
        assert (item["lat"], item["long"]) == (51.501, -0.101)
    else:
        assert (float(item["lat"]), float(item["long"])) == (51.501, -0.101)


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_never_name_the_reporter_or_show_contact_details(
    pothole: Category, member: User, fmt: str
) -> None:
    make_report(
        pothole,
        contact={
            "email": "pat@example.org",
            "first_name": "Pat",
            "last_name": "Private",
            "phone": "07700 900123",
        },
    )
    make_report(pothole, reporter=member, contact=None)
    make_report(pothole, reporter=member, anonymous=True, contact=None)
    body = get("requests", fmt).content.decode()
    for secret in ("pat@example.org", "Pat", "Private", "07700", "Mo Member", "member@example.org"):
        assert secret not in body


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_leave_out_private_hidden_and_other_communities_reports(
    pothole: Category, admin: User, other_community: Community, fmt: str
) -> None:
    from coproduce.insight.services import report_hide

    shown = make_report(pothole)
    make_report(pothole, public=False)
    hidden = make_report(pothole)
    report_hide(report=hidden, moderator=admin, reason="Abusive")
    items = request_items(get("requests", fmt, jurisdiction_id="riverside"), fmt)
    assert [i["service_request_id"] for i in items] == [str(shown.pk)]
    assert request_items(get("requests", fmt, jurisdiction_id="hillside"), fmt) == []


def _age(report: Report, days: int) -> None:
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(days=days))


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_default_to_the_last_90_days_newest_first(pothole: Category, fmt: str) -> None:
    old = make_report(pothole, description="Old")
    _age(old, 100)
    older_recent = make_report(pothole, description="Last month")
    _age(older_recent, 30)
    new = make_report(pothole, description="Today")
    ids = [i["service_request_id"] for i in request_items(get("requests", fmt), fmt)]
    assert ids == [str(new.pk), str(older_recent.pk)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_filter_by_dates(pothole: Category, fmt: str) -> None:
    old = make_report(pothole)
    _age(old, 100)
    make_report(pothole)
    start = (timezone.now() - timedelta(days=110)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = request_items(get("requests", fmt, start_date=start, end_date=end), fmt)
    assert [i["service_request_id"] for i in items] == [str(old.pk)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_id_overrides_every_other_filter(pothole: Category, fmt: str) -> None:
    old, new, other = make_report(pothole), make_report(pothole), make_report(pothole)
    _age(old, 200)
    items = request_items(
        get("requests", fmt, service_request_id=f"{old.pk},{new.pk}", status="closed"), fmt
    )
    assert sorted(i["service_request_id"] for i in items) == sorted([str(old.pk), str(new.pk)])
    assert str(other.pk) not in {i["service_request_id"] for i in items}


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_filter_by_service_code_and_status(
    pothole: Category, graffiti: Category, fmt: str
) -> None:
    hole, paint = make_report(pothole), make_report(graffiti)
    closed = make_report(pothole)
    answer(closed, text="Already reported", state="closed", closed_reason="duplicate")
    by_code = request_items(get("requests", fmt, service_code="graffiti"), fmt)
    assert [i["service_request_id"] for i in by_code] == [str(paint.pk)]
    both_codes = request_items(get("requests", fmt, service_code="graffiti,pothole"), fmt)
    assert len(both_codes) == 3
    open_only = request_items(get("requests", fmt, status="open"), fmt)
    assert {i["service_request_id"] for i in open_only} == {str(hole.pk), str(paint.pk)}
    (closed_item,) = request_items(get("requests", fmt, status="closed"), fmt)
    assert closed_item["status"] == "closed"
    assert closed_item["status_notes"] == "Closed: duplicate"
    assert len(request_items(get("requests", fmt, status="open,closed"), fmt)) == 3


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "last tuesday"},
        {"end_date": "2026-13-45"},
        {"start_date": "2026-01-01T00:00:00"},  # a time without its zone
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},  # > 90 days
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"status": "pending"},
        {"service_request_id": "1,abc"},
        {"service_request_id": ",".join(str(n) for n in range(1, 1002))},
        {"service_code": "pothole\x00"},
    ],
)
def test_bad_request_filters_are_refused(
    pothole: Category, fmt: str, params: dict[str, str]
) -> None:
    errors_of(get("requests", fmt, **params), fmt, 400)


def test_requests_return_at_most_the_limit(
    pothole: Category, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coproduce.insight.open311 import views

    monkeypatch.setattr(views, "MAX_REQUESTS", 2)
    reports = [make_report(pothole) for _ in range(3)]
    ids = [i["service_request_id"] for i in request_items(get("requests", "json"), "json")]
    assert ids == [str(reports[2].pk), str(reports[1].pk)]


def test_the_request_limit_is_the_specs_thousand() -> None:
    from coproduce.insight.open311 import views

    assert views.MAX_REQUESTS == 1000
    assert timedelta(days=90) == views.WINDOW


def test_requests_take_a_constant_number_of_queries(pothole: Category, graffiti: Category) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = get("requests", "xml")
        assert response.status_code == 200
        return len(queries)

    for _ in range(3):
        make_report(pothole)
    few = count()
    for index in range(27):
        make_report(pothole if index % 2 else graffiti)
    assert len(request_items(get("requests", "json"), "json")) == 30
    assert count() == few


# One request, tokens ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_is_a_one_element_list(pothole: Category, fmt: str) -> None:
    report = make_report(pothole)
    make_report(pothole)
    (item,) = request_items(get(f"requests/{report.pk}", fmt), fmt)
    assert item["service_request_id"] == str(report.pk)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_private_or_foreign_request_is_not_found(
    pothole: Category, other_community: Community, fmt: str
) -> None:
    private = make_report(pothole, public=False)
    shown = make_report(pothole)
    for path in (f"requests/{private.pk}", "requests/999999", "requests/abc"):
        errors_of(get(path, fmt, jurisdiction_id="riverside"), fmt, 404)
    errors_of(get(f"requests/{shown.pk}", fmt, jurisdiction_id="hillside"), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_gives_its_request_id(pothole: Category, fmt: str) -> None:
    report = make_report(pothole)
    parsed = parse(get(f"tokens/{report.token}", fmt), fmt)
    assert parsed.status == 200
    if fmt == "xml":
        assert parsed.xml is not None
        (item,) = children(parsed.xml, "", "request")
        assert text(item, "service_request_id") == str(report.pk)
        assert text(item, "token") == report.token
    else:
        assert parsed.data == [{"service_request_id": str(report.pk), "token": report.token}]
    errors_of(get("tokens/unknown-token", fmt), fmt, 404)
    errors_of(client().get(f"{BASE}tokens/a%00b.{fmt}"), fmt, 400)


# servicerequestupdates ----------------------------------------------------------------

UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
    "external_status_code",
]


def update_items(response: Any, fmt: str) -> list[dict[str, Any]]:
    parsed = parse(response, fmt)
    assert parsed.status == 200, response.content
    assert parsed.content_type == CONTENT_TYPES[fmt]
    if fmt == "xml":
        assert parsed.xml is not None and parsed.xml.tag == "service_request_updates"
        items = []
        for element in children(parsed.xml, "", "request_update"):
            assert [c.tag for c in element] == UPDATE_FIELDS
            items.append({c.tag: c.text for c in element})
        return items
    for item in parsed.data:
        assert list(item) == UPDATE_FIELDS
    return parsed.data


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_give_the_extensions_fields_and_upper_case_statuses(
    pothole: Category, fmt: str
) -> None:
    report = make_report(pothole)
    update = answer(report, text="We are looking", state="investigating")
    (item,) = update_items(get("servicerequestupdates", fmt), fmt)
    assert item["update_id"] == str(update.pk)
    assert item["service_request_id"] == str(report.pk)
    assert item["status"] == "INVESTIGATING"
    assert W3C.match(item["updated_datetime"])
    assert item["description"] == "We are looking"
    assert item["media_url"] is None
    assert item["external_status_code"] == "investigating"


@pytest.mark.parametrize(
    ("state", "extra", "status"),
    [
        ("in_progress", {}, "IN_PROGRESS"),
        ("action_scheduled", {}, "ACTION_SCHEDULED"),
        ("fixed", {"fixed_by": "organisation"}, "FIXED"),
        ("closed", {"closed_reason": "no_further_action"}, "NO_FURTHER_ACTION"),
        ("closed", {"closed_reason": "not_responsible"}, "NOT_COUNCILS_RESPONSIBILITY"),
        ("closed", {"closed_reason": "duplicate"}, "DUPLICATE"),
        ("closed", {"closed_reason": "internal_referral"}, "INTERNAL_REFERRAL"),
    ],
)
def test_each_state_has_its_update_status(
    pothole: Category, state: str, extra: dict[str, str], status: str
) -> None:
    answer(make_report(pothole), text="Done", state=state, **extra)
    (item,) = update_items(get("servicerequestupdates", "json"), "json")
    assert item["status"] == status


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_leave_out_private_hidden_and_residents_comments(
    pothole: Category, member: User, admin: User, fmt: str
) -> None:
    from coproduce.insight.services import report_hide, report_update_add

    report = make_report(pothole)
    shown = answer(report, text="On our list")
    answer(report, text="Internal note", public=False)
    report_update_add(report=report, author=member, text="Me too, it is deep")
    hidden = make_report(pothole)
    answer(hidden, text="About a hidden report")
    report_hide(report=hidden, moderator=admin, reason="Abusive")
    items = update_items(get("servicerequestupdates", fmt), fmt)
    assert [i["update_id"] for i in items] == [str(shown.pk)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_page_through_in_order(pothole: Category, fmt: str) -> None:
    report = make_report(pothole)
    updates = [answer(report, text=f"Note {n}") for n in range(5)]
    first = update_items(get("servicerequestupdates", fmt, page_size=2), fmt)
    third = update_items(get("servicerequestupdates", fmt, page=3, page_size=2), fmt)
    assert [i["update_id"] for i in first] == [str(u.pk) for u in updates[:2]]
    assert [i["update_id"] for i in third] == [str(updates[4].pk)]
    assert update_items(get("servicerequestupdates", fmt, page=4, page_size=2), fmt) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_filter_by_dates(pothole: Category, fmt: str) -> None:
    report = make_report(pothole)
    old = answer(report, text="Old news")
    ReportUpdate.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=5))
    new = answer(report, text="Fresh")
    start = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = update_items(get("servicerequestupdates", fmt, start_date=start, end_date=end), fmt)
    assert [i["update_id"] for i in items] == [str(new.pk)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [{"start_date": "soon"}, {"page": "0"}, {"page_size": "5000"}, {"page": "x"}],
)
def test_bad_update_filters_are_refused(
    pothole: Category, fmt: str, params: dict[str, str]
) -> None:
    errors_of(get("servicerequestupdates", fmt, **params), fmt, 400)


def test_updates_take_a_constant_number_of_queries(pothole: Category) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert get("servicerequestupdates", "xml").status_code == 200
        return len(queries)

    for _ in range(3):
        answer(make_report(pothole), text="Seen")
    few = count()
    for _ in range(27):
        answer(make_report(pothole), text="Seen")
    assert count() == few


def update_form(key: str, report: Report, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    form: dict[str, Any] = {
        "api_key": key,
        "jurisdiction_id": "riverside",
        "service_request_id": str(report.pk),
        "update_id": "fms-1",
        "updated_datetime": "2026-05-01T10:00:00+01:00",
        "status": "FIXED",
        "description": "Filled in this morning",
        "first_name": "Fay",
        "last_name": "Fixer",
        "email": "fay@example.org",
    }
    form.update(changes or {})
    return {key: value for key, value in form.items() if value is not None}


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_an_update_records_it_for_the_keys_organisation(
    pothole: Category, api_key: str, fmt: str
) -> None:
    report = make_report(pothole)
    parsed = parse(post("servicerequestupdates", fmt, update_form(api_key, report)), fmt)
    assert parsed.status == 200
    update = ReportUpdate.objects.get()
    if fmt == "xml":
        assert parsed.xml is not None and parsed.xml.tag == "service_request_updates"
        (item,) = children(parsed.xml, "", "request_update")
        assert text(item, "update_id") == str(update.pk)
    else:
        assert parsed.data == [{"update_id": str(update.pk)}]
    assert update.organisation == pothole.organisation
    assert update.source == "open311"
    assert update.text == "Filled in this morning"
    report.refresh_from_db()
    assert (report.state, report.fixed_by) == ("fixed", "organisation")
    assert "fay@example.org" not in str(ReportUpdate.objects.values().get())


def test_a_bare_closed_is_recorded_with_no_further_action(pothole: Category, api_key: str) -> None:
    report = make_report(pothole)
    assert (
        post(
            "servicerequestupdates", "xml", update_form(api_key, report, {"status": "CLOSED"})
        ).status_code
        == 200
    )
    report.refresh_from_db()
    assert (report.state, report.closed_reason) == ("closed", "no_further_action")


def test_an_update_with_the_status_it_has_only_adds_words(pothole: Category, api_key: str) -> None:
    report = make_report(pothole)
    form = update_form(api_key, report, {"status": "open", "description": "Still on our list"})
    assert post("servicerequestupdates", "json", form).status_code == 200
    update = ReportUpdate.objects.get()
    assert update.state == "" and update.text == "Still on our list"


def test_a_plain_open_or_closed_from_a_client_without_extended_statuses_changes_no_state(
    pothole: Category, api_key: str
) -> None:
    busy, done = make_report(pothole), make_report(pothole)
    answer(busy, text="Crew booked", state="in_progress")
    answer(done, text="Filled", state="fixed", fixed_by="organisation")
    for report, status in ((busy, "OPEN"), (done, "CLOSED")):
        form = update_form(api_key, report, {"status": status, "description": "Thanks!"})
        assert post("servicerequestupdates", "xml", form).status_code == 200
    busy.refresh_from_db()
    done.refresh_from_db()
    assert busy.state == "in_progress"
    assert (done.state, done.fixed_by) == ("fixed", "organisation")


def test_reopen_reopens_a_resolved_report(pothole: Category, api_key: str) -> None:
    report = make_report(pothole)
    answer(report, text="Filled", state="fixed", fixed_by="organisation")
    form = update_form(api_key, report, {"status": "REOPEN", "description": "It is back"})
    assert post("servicerequestupdates", "xml", form).status_code == 200
    report.refresh_from_db()
    assert report.state == "open"


UPDATE_REFUSALS = [
    ("no api_key", {"api_key": None}, 403),
    ("a wrong api_key", {"api_key": "o311_wrong"}, 403),
    ("no service_request_id", {"service_request_id": None}, 400),
    ("no update_id", {"update_id": None}, 400),
    ("no updated_datetime", {"updated_datetime": None}, 400),
    ("no status", {"status": None}, 400),
    ("an unknown status", {"status": "SOLVED"}, 400),
    ("a bad updated_datetime", {"updated_datetime": "yesterday"}, 400),
    ("an unknown request", {"service_request_id": "999999"}, 404),
    ("a description over 4,000 characters", {"description": "x" * 4001}, 400),
    ("a bad media_url", {"media_url": "ftp://x"}, 400),
    ("nothing to say and no change", {"status": "OPEN", "description": ""}, 400),
    ("an unknown jurisdiction", {"jurisdiction_id": "atlantis"}, 404),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("changes", "status"),
    [r[1:] for r in UPDATE_REFUSALS],
    ids=[r[0] for r in UPDATE_REFUSALS],
)
def test_a_bad_update_is_refused_and_stores_nothing(
    pothole: Category, api_key: str, fmt: str, changes: dict[str, Any], status: int
) -> None:
    report = make_report(pothole)
    errors_of(
        post("servicerequestupdates", fmt, update_form(api_key, report, changes)), fmt, status
    )
    assert not ReportUpdate.objects.exists()
    report.refresh_from_db()
    assert report.state == "open"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_may_update_only_its_organisations_reports(
    pothole: Category, graffiti: Category, police_key: str, revoked_key: str, fmt: str
) -> None:
    report = make_report(pothole)
    assert (
        "not responsible"
        in errors_of(post("servicerequestupdates", fmt, update_form(police_key, report)), fmt, 403)[
            0
        ]
    )
    errors_of(post("servicerequestupdates", fmt, update_form(revoked_key, report)), fmt, 403)
    assert not ReportUpdate.objects.exists()


# The round trip -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_posts_a_request_reads_it_back_and_sees_the_status_change(
    pothole: Category, api_key: str, fmt: str
) -> None:
    created = parse(post("requests", fmt, pothole_form(api_key)), fmt)
    if fmt == "xml":
        assert created.xml is not None
        request_id = text(created.xml, "request/service_request_id")
    else:
        request_id = created.data[0]["service_request_id"]

    (item,) = request_items(get(f"requests/{request_id}", fmt), fmt)
    assert (item["status"], item["description"]) == ("open", "Deep pothole outside the library")

    form = {
        "api_key": api_key,
        "service_request_id": request_id,
        "update_id": "77",
        "updated_datetime": "2026-05-01T10:00:00Z",
        "status": "IN_PROGRESS",
        "description": "A crew is booked",
    }
    assert post("servicerequestupdates", fmt, form).status_code == 200
    (item,) = request_items(get(f"requests/{request_id}", fmt), fmt)
    assert (item["status"], item["status_notes"]) == ("open", "In progress")

    form.update(update_id="78", status="FIXED", description="Filled")
    assert post("servicerequestupdates", fmt, form).status_code == 200
    (item,) = request_items(get("requests", fmt, service_request_id=request_id), fmt)
    assert (item["status"], item["status_notes"]) == ("closed", "Fixed")

    updates = update_items(get("servicerequestupdates", fmt), fmt)
    assert [(u["service_request_id"], u["status"], u["description"]) for u in updates] == [
        (request_id, "IN_PROGRESS", "A crew is booked"),
        (request_id, "FIXED", "Filled"),
    ]
