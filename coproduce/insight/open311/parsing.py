"""Reading Open311 input: W3C datetimes, comma lists, coordinates and ``attribute[...]``.

Every function here either returns a clean value or raises ``Open311Error`` with the
400 the specification asks for; nothing here touches the database.
"""

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _


class Open311Error(Exception):
    """A request the server will not fulfil: the HTTP status and one description per problem."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(d) for d in descriptions]


# A W3C datetime (https://www.w3.org/TR/NOTE-datetime): a year, a month or a day alone,
# or a day with hours and minutes, optional seconds and fraction, and then a time zone.
_W3C = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def _zone(text: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    return timezone.get_fixed_timezone(sign * (hours * 60 + minutes))


def w3c_parse(name: str, text: str) -> datetime:
    """An aware datetime from a W3C datetime; a bare date means its midnight in the site's zone.

    A time without a time zone is refused: the specification says the zone must be given,
    and guessing it would move the window by hours.
    """
    # A '+' in a query string that the client forgot to escape arrives as a space.
    text = text.strip().replace(" ", "+")
    match = _W3C.match(text)
    invalid = _("%(name)s must be a W3C datetime such as 2010-01-01T00:00:00Z.") % {"name": name}
    if not match:
        raise Open311Error(400, invalid)
    parts = match.groupdict()
    if parts["hour"] is not None and parts["tz"] is None:
        raise Open311Error(
            400,
            _("%(name)s must include a time zone (Z or an offset such as +01:00).")
            % {"name": name},
        )
    try:
        fraction = parts["fraction"] or "0"
        value = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction[:6].ljust(6, "0")),
        )
        if parts["tz"] is None:
            return timezone.make_aware(value)
        return value.replace(tzinfo=_zone(parts["tz"]))
    except (ValueError, OverflowError):
        raise Open311Error(400, invalid) from None


def optional(params: QueryDict, name: str) -> str:
    """A parameter's first value, stripped; the spec treats an empty one as one not sent at all.

    The first, not the last: FixMyStreet repeats ``media_url`` once per photo, and the
    first is the main one.
    """
    values = params.getlist(name)
    return values[0].strip() if values else ""


def comma_list(params: QueryDict, name: str) -> list[str]:
    """Values given comma-separated, repeated, or both (``a,b`` or ``x=a&x=b``)."""
    values: list[str] = []
    for raw in params.getlist(name):
        values.extend(part.strip() for part in raw.split(","))
    return [value for value in values if value]


def ids_list(params: QueryDict, name: str) -> list[int]:
    """Comma-separated numeric identifiers; anything else is a 400 naming the parameter."""
    values = comma_list(params, name)
    if not all(value.isdigit() and len(value) <= 18 for value in values):
        raise Open311Error(400, _("%(name)s must be numbers separated by commas.") % {"name": name})
    return [int(value) for value in values]


def coordinate(name: str, text: str, limit: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(
            400,
            _("%(name)s must be a WGS84 number between -%(limit)s and %(limit)s.")
            % {"name": name, "limit": int(limit)},
        )
    return value


def location(params: QueryDict) -> tuple[float | None, float | None, str]:
    """(lat, long, address_string): a whole point, an address, or both; never half a point."""
    lat_text, lng_text = optional(params, "lat"), optional(params, "long")
    address = optional(params, "address_string")
    if bool(lat_text) != bool(lng_text):
        raise Open311Error(400, _("lat and long must be sent together."))
    if lat_text:
        return coordinate("lat", lat_text, 90), coordinate("long", lng_text, 180), address
    if address:
        return None, None, address
    if optional(params, "address_id"):
        raise Open311Error(
            400,
            _(
                "address_id is not supported here: there is no address register. "
                "Send lat and long, or address_string."
            ),
        )
    raise Open311Error(400, _("A location is required: lat and long, or address_string."))


_ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[^\[\]]+)\](?P<many>\[\])?$")


def attributes(params: QueryDict) -> dict[str, Any]:
    """``attribute[code]=v`` as ``{code: v}`` and ``attribute[code][]=a&...`` as ``{code: [a, ...]}``.

    A code sent both ways, or ``attribute[code]`` sent twice, is ambiguous and refused.
    """
    found: dict[str, Any] = {}
    for key in params:
        if not key.startswith("attribute"):
            continue
        match = _ATTRIBUTE.match(key)
        if not match:
            raise Open311Error(
                400,
                _("%(key)s is not an attribute: use attribute[code] or attribute[code][].")
                % {"key": key},
            )
        code = match["code"]
        values = params.getlist(key)
        if code in found:
            raise Open311Error(
                400, _("attribute[%(code)s] was sent in two forms.") % {"code": code}
            )
        if match["many"]:
            found[code] = [value for value in values if value != ""]
        elif len(values) > 1:
            raise Open311Error(
                400,
                _("attribute[%(code)s] was sent more than once; use attribute[%(code)s][].")
                % {"code": code},
            )
        else:
            found[code] = values[0]
    return found


def date_window(
    params: QueryDict, *, now: datetime, span: timedelta, limit_span: bool = True
) -> tuple[datetime, datetime]:
    """start_date/end_date defaulting to the most recent ``span``; longer only if not limited."""
    start_text, end_text = optional(params, "start_date"), optional(params, "end_date")
    start = w3c_parse("start_date", start_text) if start_text else None
    end = w3c_parse("end_date", end_text) if end_text else None
    if start is None and end is None:
        return now - span, now
    if start is None:
        assert end is not None
        return end - span, end
    if end is None:
        return start, start + span
    if end < start:
        raise Open311Error(400, _("end_date must not be before start_date."))
    if limit_span and end - start > span:
        raise Open311Error(
            400,
            _("start_date and end_date may not be more than %(days)s days apart.")
            % {"days": span.days},
        )
    return start, end
