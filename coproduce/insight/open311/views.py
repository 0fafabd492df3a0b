"""Open311 GeoReport v2, with mySociety's servicerequestupdates extension, at /open311/v2/.

Each view reads its parameters, resolves the community named by ``jurisdiction_id``,
checks the ``api_key`` where the specification asks for one, calls one insight service
for a write, and answers in the format its URL ends with. Every refusal is the
specification's error document (400, 403 or 404) and stores nothing.

Only public reports that no moderator has hidden are ever returned, and never anyone's
contact details or name: what a client sent as email, phone or names is kept for the
organisation and moderators only.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from coproduce.audit.models import Action, AuditEvent
from coproduce.audit.services import audit_record
from coproduce.communities.models import Community
from coproduce.insight.models import (
    DESCRIPTION_MAX,
    Category,
    CategoryAttribute,
    Open311Key,
    Report,
    ReportUpdate,
)
from coproduce.insight.open311 import mapping
from coproduce.insight.open311.parsing import (
    Open311Error,
    attributes,
    comma_list,
    date_window,
    ids_list,
    location,
    optional,
    w3c_parse,
)
from coproduce.insight.open311.render import error_response, respond
from coproduce.insight.services import open311_key_check, report_create, report_update_add

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
WINDOW = timedelta(days=90)  # GET requests: the default range and the longest allowed
MAX_REQUESTS = 1000  # GET requests: the most returned at once
MAX_PAGE_SIZE = 1000  # GET servicerequestupdates: the most per page
MEDIA_URL_MAX = 500  # as Report.media_url stores
# The longest value each Report field keeps for what a client tells about the reporter.
CONTACT_MAX = {"email": 254, "first_name": 100, "last_name": 100, "phone": 40}
ID_MAX = 200  # device_id, account_id
AUDIT_KEY_USE_EVERY = timedelta(hours=1)  # the audit trail notes a key in use, not every call

View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[View], View]:
    """Allow these methods, answer any Open311Error in the spec's format, and skip CSRF.

    CSRF protects browser sessions; these endpoints use no session and authenticate
    writes with ``api_key`` alone, so the check would only refuse every real client.
    """

    accepted = {*methods, "HEAD"} if "GET" in methods else set(methods)

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: str) -> HttpResponse:
            if request.method not in accepted:
                response = error_response(
                    fmt,
                    400,
                    _("%(method)s is not accepted here; use %(allowed)s.")
                    % {"method": request.method, "allowed": " or ".join(methods)},
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                _refuse_nul(request, kwargs)
                return view(request, fmt, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error.status, *error.descriptions)
            except SuspiciousOperation:
                # Django refuses a body or query string with too many fields or bytes.
                return error_response(
                    fmt, 400, _("The request is too large: too many parameters or too much data.")
                )

        return wrapper

    return decorate


def _refuse_nul(request: HttpRequest, kwargs: dict[str, str]) -> None:
    """A NUL character can be stored nowhere (PostgreSQL refuses it in text and JSON)."""
    texts = list(kwargs.values())
    for params in (request.GET, request.POST if request.method == "POST" else QueryDict()):
        for key, values in params.lists():
            texts.append(key)
            texts.extend(values)
    if any("\x00" in text for text in texts):
        raise Open311Error(400, _("The request contains a NUL character, which is not allowed."))


def _params(request: HttpRequest) -> QueryDict:
    """GET parameters, or for a POST its form body with anything in the query string beneath."""
    if request.method != "POST":
        return request.GET
    params = request.GET.copy()
    for key in request.POST:
        params.setlist(key, request.POST.getlist(key))
    return params


def _community(params: QueryDict) -> Community:
    """The community ``jurisdiction_id`` names (its slug); needed only while there are several."""
    slug = optional(params, "jurisdiction_id")
    if slug:
        community = Community.objects.filter(slug=slug).first()
        if community is None:
            raise Open311Error(404, _("jurisdiction_id %(id)s was not found.") % {"id": slug[:100]})
        return community
    only = list(Community.objects.order_by("pk")[:2])
    if len(only) == 1:
        return only[0]
    raise Open311Error(
        400, _("jurisdiction_id was not provided: give the address name of the community.")
    )


def _key(request: HttpRequest, params: QueryDict, community: Community) -> Open311Key:
    raw = optional(params, "api_key")
    if not raw:
        raise Open311Error(403, _("api_key was not provided: this method needs one."))
    key = open311_key_check(community=community, raw=raw)
    if key is None:
        raise Open311Error(
            403,
            _("Invalid api_key: it is unknown, revoked, or belongs to another community."),
        )
    _audit_key_use(request, key, community)
    return key


@transaction.atomic
def _audit_key_use(request: HttpRequest, key: Open311Key, community: Community) -> None:
    """One audit event per key an hour; the key's row is locked so two calls cannot both write."""
    list(Open311Key.objects.select_for_update().filter(pk=key.pk).values_list("pk"))
    recent = AuditEvent.objects.filter(
        community=community,
        action=Action.OPEN311_KEY_USE,
        target_type=Open311Key._meta.label_lower,
        target_id=str(key.pk),
        at__gte=timezone.now() - AUDIT_KEY_USE_EVERY,
    )
    if not recent.exists():
        audit_record(
            action=Action.OPEN311_KEY_USE,
            actor=None,
            community=community,
            target=key,
            details={"organisation": key.organisation_id},
            request=request,
        )


def _validation_descriptions(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{field}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [str(message) for message in error.messages]


def _media_url(params: QueryDict) -> str:
    url = optional(params, "media_url")
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise Open311Error(400, _("media_url must be an http or https URL.")) from None
    if len(url) > MEDIA_URL_MAX:
        raise Open311Error(400, _("media_url is too long."))
    return url


def _description(params: QueryDict) -> str:
    text = optional(params, "description")
    if len(text) > DESCRIPTION_MAX:
        raise Open311Error(
            400,
            _("description is limited to %(max)s characters; this one has %(n)s.")
            % {"max": f"{DESCRIPTION_MAX:,}", "n": f"{len(text):,}"},
        )
    return text


def _short_field(params: QueryDict, name: str, limit: int) -> str:
    value = optional(params, name)
    if len(value) > limit:
        raise Open311Error(
            400, _("%(name)s is limited to %(max)s characters.") % {"name": name, "max": limit}
        )
    return value


# Discovery ----------------------------------------------------------------------------


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    newest = Category.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    changeset = newest or datetime(2026, 1, 1, tzinfo=UTC)
    site = settings.SITE_URL.rstrip("/")
    root = reverse("open311:discovery", kwargs={"fmt": "xml"}).rsplit("/", 1)[0]
    keys = site + reverse("insight:keys", kwargs={"slug": "JURISDICTION_ID"})
    document = {
        "changeset": changeset,
        "contact": _("Ask the administrators of the community you report to; see %(site)s.")
        % {"site": site},
        "key_service": _(
            "An administrator of the community creates a key for your organisation at "
            "%(keys)s (with the community's jurisdiction_id in the address); it is shown once."
        )
        % {"keys": keys},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": site + root,
                "changeset": changeset,
                "type": "test" if settings.DEBUG else "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, {"discovery": document})


# Services -----------------------------------------------------------------------------


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    community = _community(request.GET)
    categories = (
        Category.objects.filter(community=community, active=True)
        .annotate(has_attributes=Exists(CategoryAttribute.objects.filter(category=OuterRef("pk"))))
        .order_by("order", "name", "pk")
    )
    items = [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": category.description,
            "metadata": category.has_attributes,
            "type": "realtime",
            "keywords": category.keywords,
            "group": category.group,
        }
        for category in categories
    ]
    return respond(fmt, {"services": items})


def _attribute_item(attribute: CategoryAttribute, position: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description,
        # The spec counts from 1 and wants no repeats; our order may start at 0 or tie,
        # so the position in our order is what is sent.
        "order": position,
        "description": attribute.description,
    }
    if attribute.is_list:
        item["values"] = [
            {"key": str(value.get("key")), "name": str(value.get("name", value.get("key")))}
            for value in attribute.values
            if isinstance(value, dict)
        ]
    return item


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    community = _community(request.GET)
    category = (
        Category.objects.filter(community=community, code=service_code, active=True)
        .prefetch_related(
            Prefetch("attributes", queryset=CategoryAttribute.objects.order_by("order", "pk"))
        )
        .first()
    )
    if category is None:
        raise Open311Error(
            404, _("service_code %(code)s was not found.") % {"code": service_code[:100]}
        )
    attribute_items = [
        _attribute_item(attribute, position)
        for position, attribute in enumerate(category.attributes.all(), start=1)
    ]
    definition = {"service_code": category.code, "attributes": attribute_items}
    return respond(fmt, {"service_definition": definition})


# Requests -----------------------------------------------------------------------------


def _visible_reports(community: Community) -> Any:
    return (
        Report.objects.filter(community=community)
        .visible()
        .select_related("category__organisation")
    )


def _request_item(report: Report) -> dict[str, Any]:
    return {
        "service_request_id": str(report.pk),
        "status": mapping.request_status(report.state),
        "status_notes": mapping.status_notes(report.state, report.closed_reason, report.fixed_by),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.category.organisation.name,
        "service_notice": None,
        "requested_datetime": report.created_at,
        "updated_datetime": report.updated_at,
        "expected_datetime": report.expected_at,
        "address": report.address_string or None,
        "address_id": None,
        "zipcode": None,
        "lat": float(report.lat) if report.lat is not None else None,
        "long": float(report.lng) if report.lng is not None else None,
        # Only the URL a client sent: photos uploaded on the site are shown to members
        # of the community, not to anyone on the internet.
        "media_url": report.media_url or None,
    }


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt)
    params = request.GET
    community = _community(params)
    reports = _visible_reports(community)
    wanted = ids_list(params, "service_request_id")
    if len(wanted) > MAX_REQUESTS:
        raise Open311Error(
            400, _("Ask for at most %(max)s service_request_id at once.") % {"max": MAX_REQUESTS}
        )
    if wanted:
        # The spec: service_request_id overrides every other argument.
        reports = reports.filter(pk__in=wanted)
    else:
        start, end = date_window(params, now=timezone.now(), span=WINDOW)
        reports = reports.filter(created_at__gte=start, created_at__lte=end)
        codes = comma_list(params, "service_code")
        if codes:
            reports = reports.filter(category__code__in=codes)
        statuses = {status.lower() for status in comma_list(params, "status")}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status must be open, closed, or both separated by a comma."))
        if statuses == {"open"}:
            reports = reports.exclude(state__in=mapping.CLOSED_STATES)
        elif statuses == {"closed"}:
            reports = reports.filter(state__in=mapping.CLOSED_STATES)
    chosen = reports.order_by("-created_at", "-pk")[:MAX_REQUESTS]
    return respond(fmt, {"service_requests": [_request_item(r) for r in chosen]})


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    params = _params(request)
    community = _community(params)
    key = _key(request, params, community)
    code = optional(params, "service_code")
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    category = (
        Category.objects.filter(community=community, code=code, active=True)
        .select_related("community", "organisation")
        .first()
    )
    if category is None:
        raise Open311Error(404, _("service_code %(code)s was not found.") % {"code": code[:100]})
    lat, lng, address = location(params)
    if lat is not None and lng is not None and not community.contains(lat, lng):
        raise Open311Error(
            400,
            _("lat and long are outside the area of %(community)s.")
            % {"community": community.name},
        )
    contact = {name: _short_field(params, name, limit) for name, limit in CONTACT_MAX.items()}
    # The spec makes description optional; a report always says what it is about, so an
    # empty one is described by the name of its service.
    description = _description(params) or category.name
    try:
        report = report_create(
            category=category,
            reporter=None,
            description=description,
            lat=lat,
            lng=lng,
            address_string=address,
            attributes=attributes(params),
            media_url=optional(params, "media_url"),
            contact=contact,
            device_id=_short_field(params, "device_id", ID_MAX),
            account_id=_short_field(params, "account_id", ID_MAX),
            source=Report.Source.OPEN311,
            via_key=key,
        )
    except ValidationError as error:
        raise Open311Error(400, *_validation_descriptions(error)) from None
    except PermissionDenied as error:
        raise Open311Error(403, str(error)) from None
    created = {
        "service_request_id": str(report.pk),
        "service_notice": _("Sent to %(organisation)s.")
        % {"organisation": category.organisation.name},
        "account_id": report.account_id or None,
    }
    return respond(fmt, {"service_requests": [created]})


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    community = _community(request.GET)
    report = None
    if request_id.isdigit() and len(request_id) <= 18:
        report = _visible_reports(community).filter(pk=int(request_id)).first()
    if report is None:
        raise Open311Error(
            404, _("service_request_id %(id)s was not found.") % {"id": request_id[:100]}
        )
    return respond(fmt, {"service_requests": [_request_item(report)]})


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    community = _community(request.GET)
    found = (
        Report.objects.filter(community=community, token=token)
        .visible()
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise Open311Error(404, _("token %(token)s was not found.") % {"token": token[:100]})
    return respond(fmt, {"service_requests": [{"service_request_id": str(found), "token": token}]})


# mySociety's servicerequestupdates extension -----------------------------------------


def _page(params: QueryDict, name: str, default: int, maximum: int) -> int:
    text = optional(params, name)
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise Open311Error(
            400,
            _("%(name)s must be a whole number from 1 to %(max)s.")
            % {"name": name, "max": maximum},
        )
    return int(text)


def _update_item(update: ReportUpdate) -> dict[str, Any]:
    # An update that changed nothing is reported with the state its report is in now.
    if update.state:
        state, reason = update.state, update.closed_reason
    else:
        state, reason = update.report.state, update.report.closed_reason
    return {
        "update_id": str(update.pk),
        "service_request_id": str(update.report_id),
        "status": mapping.update_status(state, reason),
        "updated_datetime": update.created_at,
        "description": update.text,
        "media_url": None,
        "external_status_code": state,
    }


@endpoint("GET", "POST")
def service_request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _update_create(request, fmt)
    params = request.GET
    community = _community(params)
    # The extension sets no longest range: paging keeps each answer small instead.
    start, end = date_window(params, now=timezone.now(), span=WINDOW, limit_span=False)
    page = _page(params, "page", 1, 1_000_000)
    page_size = _page(params, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    updates = (
        ReportUpdate.objects.filter(
            community=community,
            public=True,
            hidden=False,
            report__public=True,
            report__hidden=False,
            created_at__gte=start,
            created_at__lte=end,
        )
        # What the responsible organisation said, and every change of state; residents'
        # own comments stay on the site rather than reaching a client as the body's words.
        .filter(Q(role=ReportUpdate.Role.ORGANISATION) | ~Q(state=""))
        .select_related("report")
        .order_by("created_at", "pk")
    )
    chosen = updates[(page - 1) * page_size : page * page_size]
    return respond(fmt, {"service_request_updates": [_update_item(u) for u in chosen]})


def _update_create(request: HttpRequest, fmt: str) -> HttpResponse:
    params = _params(request)
    community = _community(params)
    key = _key(request, params, community)
    missing = [
        name
        for name in ("service_request_id", "update_id", "updated_datetime", "status")
        if not optional(params, name)
    ]
    if missing:
        raise Open311Error(
            400, *[_("%(name)s was not provided.") % {"name": name} for name in missing]
        )
    w3c_parse("updated_datetime", optional(params, "updated_datetime"))
    status = optional(params, "status")
    if mapping.incoming_status(status) is None:
        raise Open311Error(
            400,
            _("status %(status)s is not one of %(known)s.")
            % {"status": status[:40], "known": ", ".join(mapping.INCOMING_STATUS)},
        )
    request_id = optional(params, "service_request_id")
    report = None
    if request_id.isdigit() and len(request_id) <= 18:
        report = (
            Report.objects.filter(community=community, pk=int(request_id))
            .select_related("community", "category__organisation")
            .first()
        )
    if report is None:
        raise Open311Error(
            404, _("service_request_id %(id)s was not found.") % {"id": request_id[:100]}
        )
    if report.category.organisation_id != key.organisation_id:
        raise Open311Error(
            403,
            _("This api_key's organisation is not responsible for service_request_id %(id)s.")
            % {"id": request_id},
        )
    text = _description(params)
    media_url = _media_url(params)
    if media_url:
        text = f"{text}\n\n{media_url}" if text else media_url
        if len(text) > DESCRIPTION_MAX:
            raise Open311Error(400, _("description and media_url together are too long."))
    state, reason = mapping.incoming_change(status, report.state, report.closed_reason)
    try:
        update = report_update_add(
            report=report,
            author=None,
            text=text,
            state=state,
            fixed_by=Report.FixedBy.ORGANISATION if state == mapping.FIXED else "",
            closed_reason=reason,
            organisation=key.organisation,
            public=True,
            source=Report.Source.OPEN311,
        )
    except ValidationError as error:
        raise Open311Error(400, *_validation_descriptions(error)) from None
    except PermissionDenied as error:
        raise Open311Error(403, str(error)) from None
    return respond(fmt, {"service_request_updates": [{"update_id": str(update.pk)}]})


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Anything else under /open311/v2/ still answers in the spec's error format."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    return error_response(
        fmt, 404, _("There is no such Open311 resource; see discovery.xml for what there is.")
    )
