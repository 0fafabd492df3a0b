"""The Open311 output layer, input parsing and status mapping, without the database."""

import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from django.http import QueryDict
from django.utils import timezone

from coproduce.insight.open311 import mapping
from coproduce.insight.open311.parsing import (
    Open311Error,
    attributes,
    comma_list,
    date_window,
    ids_list,
    location,
    w3c_parse,
)
from coproduce.insight.open311.render import error_response, respond, to_json, to_xml, w3c_datetime


def test_it_keeps_a_one_item_list_a_list_in_xml() -> None:
    root = ET.fromstring(to_xml({"services": [{"service_code": "7"}]}))
    assert root.tag == "services"
    assert [child.tag for child in root] == ["service"]
    assert root.find("service/service_code").text == "7"  # type: ignore[union-attr]


def test_it_starts_xml_with_the_declaration_and_utf8() -> None:
    body = to_xml({"errors": [{"code": 400, "description": "Café"}]})
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<errors>')
    assert "Café".encode() in body


def test_it_nests_containers_inside_items_in_xml() -> None:
    data = {
        "service_definition": {
            "service_code": "pothole",
            "attributes": [{"code": "depth", "values": [{"key": "1", "name": "Shallow"}]}],
        }
    }
    root = ET.fromstring(to_xml(data))
    value = root.find("attributes/attribute/values/value")
    assert value is not None and value.find("key").text == "1"  # type: ignore[union-attr]


def test_it_writes_empty_elements_for_none_and_words_for_booleans() -> None:
    root = ET.fromstring(to_xml({"services": [{"metadata": True, "group": None}]}))
    assert root.find("service/metadata").text == "true"  # type: ignore[union-attr]
    group = root.find("service/group")
    assert group is not None and not group.text


def test_it_drops_characters_xml_cannot_carry() -> None:
    root = ET.fromstring(to_xml({"service_requests": [{"description": "a\x00b\x1fc\nd"}]}))
    assert root.find("request/description").text == "abc\nd"  # type: ignore[union-attr]


def test_it_drops_the_root_wrapper_in_json_by_the_spark_convention() -> None:
    assert to_json({"services": [{"service_code": "7"}]}) == b'[{"service_code": "7"}]'
    assert to_json({"discovery": {"changeset": "x"}}) == b'{"changeset": "x"}'


def test_it_keeps_json_types_booleans_null_and_string_ids() -> None:
    body = to_json({"services": [{"service_code": "001", "metadata": False, "group": None}]})
    assert body == b'[{"service_code": "001", "metadata": false, "group": null}]'


def test_it_writes_w3c_datetimes_with_an_offset() -> None:
    winter = datetime(2026, 1, 5, 13, 15, 30, 123456, tzinfo=UTC)
    assert w3c_datetime(winter) == "2026-01-05T13:15:30+00:00"
    summer = datetime(2026, 7, 5, 13, 15, 30, tzinfo=UTC)
    assert w3c_datetime(summer) == "2026-07-05T14:15:30+01:00"  # Europe/London in summer


def test_it_answers_with_the_exact_content_types() -> None:
    assert respond("xml", {"services": []})["Content-Type"] == "text/xml; charset=utf-8"
    assert respond("json", {"services": []})["Content-Type"] == "application/json; charset=utf-8"


def test_it_writes_errors_in_the_spec_shape_in_both_formats() -> None:
    xml = error_response("xml", 403, "Invalid api_key")
    assert xml.status_code == 403
    error = ET.fromstring(xml.content).find("error")
    assert error is not None
    assert error.find("code").text == "403"  # type: ignore[union-attr]
    assert error.find("description").text == "Invalid api_key"  # type: ignore[union-attr]
    as_json = error_response("json", 400, "one", "two")
    assert as_json.status_code == 400
    assert json.loads(as_json.content) == [
        {"code": 400, "description": "one"},
        {"code": 400, "description": "two"},
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-01-01T00:00:00Z", datetime(2010, 1, 1, tzinfo=UTC)),
        ("2010-01-01T01:00:00+01:00", datetime(2010, 1, 1, tzinfo=UTC)),
        ("2010-01-01T01:00+01:00", datetime(2010, 1, 1, tzinfo=UTC)),
        ("2010-01-01T00:00:00.5Z", datetime(2010, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        # An unescaped '+' in a query string arrives as a space.
        ("2010-01-01T01:00:00 01:00", datetime(2010, 1, 1, tzinfo=UTC)),
    ],
)
def test_it_reads_w3c_datetimes(text: str, expected: datetime) -> None:
    assert w3c_parse("start_date", text) == expected


def test_it_reads_a_bare_date_as_midnight_where_the_site_is() -> None:
    value = w3c_parse("end_date", "2026-07-01")
    assert timezone.localtime(value).hour == 0
    assert value == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2010-13-01",
        "2010-02-30T00:00:00Z",
        "2010-01-01T25:00:00Z",
        "2010-01-01T00:00:00",
    ],
)
def test_it_refuses_bad_dates_and_times_without_a_zone(text: str) -> None:
    with pytest.raises(Open311Error) as raised:
        w3c_parse("start_date", text)
    assert raised.value.status == 400
    assert "start_date" in raised.value.descriptions[0]


def test_it_reads_comma_lists_given_once_or_repeated() -> None:
    params = QueryDict("status=open,closed&status=open&service_code=")
    assert comma_list(params, "status") == ["open", "closed", "open"]
    assert comma_list(params, "service_code") == []


def test_it_refuses_identifiers_that_are_not_numbers() -> None:
    assert ids_list(QueryDict("service_request_id=3,4"), "service_request_id") == [3, 4]
    with pytest.raises(Open311Error):
        ids_list(QueryDict("service_request_id=3,x"), "service_request_id")


def test_it_reads_single_and_multiple_attribute_values() -> None:
    params = QueryDict("attribute[size]=big&attribute[where][]=road&attribute[where][]=path")
    assert attributes(params) == {"size": "big", "where": ["road", "path"]}


@pytest.mark.parametrize(
    "query",
    ["attribute[size]=a&attribute[size]=b", "attribute[a]=1&attribute[a][]=2", "attributes=1"],
)
def test_it_refuses_ambiguous_attributes(query: str) -> None:
    with pytest.raises(Open311Error):
        attributes(QueryDict(query))


def test_it_needs_lat_and_long_together() -> None:
    assert location(QueryDict("lat=51.5&long=-0.1")) == (51.5, -0.1, "")
    assert location(QueryDict("address_string=1+High+St")) == (None, None, "1 High St")
    for query in ["lat=51.5", "long=-0.1", "lat=91&long=0", "lat=x&long=0", "", "address_id=7"]:
        with pytest.raises(Open311Error):
            location(QueryDict(query))


def test_it_defaults_the_window_to_the_last_90_days_and_refuses_longer() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    span = timedelta(days=90)
    assert date_window(QueryDict(""), now=now, span=span) == (now - span, now)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert date_window(QueryDict("start_date=2026-01-01T00:00:00Z"), now=now, span=span) == (
        start,
        start + span,
    )
    with pytest.raises(Open311Error):
        date_window(
            QueryDict("start_date=2026-01-01T00:00:00Z&end_date=2026-05-01T00:00:00Z"),
            now=now,
            span=span,
        )
    with pytest.raises(Open311Error):
        date_window(
            QueryDict("start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z"),
            now=now,
            span=span,
        )


def test_it_never_reports_a_closed_report_as_fixed() -> None:
    assert mapping.request_status(mapping.CLOSED) == "closed"
    assert mapping.update_status(mapping.CLOSED, mapping.DUPLICATE) == "DUPLICATE"
    assert mapping.update_status(mapping.CLOSED, mapping.NOT_RESPONSIBLE) == (
        "NOT_COUNCILS_RESPONSIBILITY"
    )
    assert mapping.update_status(mapping.CLOSED) == "CLOSED"
    assert "Fixed" not in mapping.status_notes(mapping.CLOSED, mapping.NO_FURTHER_ACTION)


def test_it_maps_every_state_to_open_or_closed_and_an_upper_case_status() -> None:
    for state in mapping.OPEN_STATES | mapping.CLOSED_STATES:
        assert mapping.request_status(state) in {"open", "closed"}
        assert mapping.update_status(state).isupper()
    assert mapping.request_status(mapping.COMMUNITY_ACTION) == "open"
    assert mapping.request_status(mapping.CO_DELIVERED) == "closed"


def test_it_reads_incoming_statuses_in_either_case() -> None:
    assert mapping.incoming_status("not_councils_responsibility") == (
        mapping.CLOSED,
        mapping.NOT_RESPONSIBLE,
    )
    assert mapping.incoming_status("REOPEN") == (mapping.OPEN, "")
    assert mapping.incoming_status("SOLVED") is None


def test_a_plain_open_or_closed_only_says_which_side_of_the_line_a_report_is() -> None:
    assert mapping.incoming_change("OPEN", mapping.IN_PROGRESS, "") == ("", "")
    assert mapping.incoming_change("CLOSED", mapping.FIXED, "") == ("", "")
    assert mapping.incoming_change("REOPEN", mapping.OPEN, "") == ("", "")
    assert mapping.incoming_change("OPEN", mapping.FIXED, "") == (mapping.OPEN, "")
    assert mapping.incoming_change("CLOSED", mapping.OPEN, "") == (
        mapping.CLOSED,
        mapping.NO_FURTHER_ACTION,
    )
    assert mapping.incoming_change("in_progress", mapping.OPEN, "") == (mapping.IN_PROGRESS, "")
    assert mapping.incoming_change("DUPLICATE", mapping.CLOSED, mapping.DUPLICATE) == ("", "")
