"""The HSDS 3.0 read API under /hsds/: open to anyone, JSON only, CORS for every origin.

Views are thin: read the query (a bad value is a 400 JSON error naming the parameter),
ask a selector for one page, and write it in the HSDS paging object. A list is one count
query, one page query and its prefetches, whatever the page size.
"""

import copy
import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from coproduce.directory import selectors
from coproduce.directory.ids import Kind, decode, is_uuid, kind_of

HSDS_VERSION = "3.0"
# No profile narrows the core standard; the profile URL names the core schemas themselves.
PROFILE_URL = "https://github.com/openreferral/specification/tree/3.0/schema"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_SEARCH = 200
OPENAPI_FILE = Path(__file__).with_name("openapi.json")

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)


class BadQuery(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _json(body: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _error(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> JsonResponse:
    return _json({"detail": detail, "errors": errors or {}}, status=status)


def _not_found() -> JsonResponse:
    return _error(404, _("Nothing in the directory has this id."))


def hsds_view(view: View) -> View:
    """Open CORS on every answer, a preflight for OPTIONS, 405 for writes, 400 for a bad query."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
        elif request.method not in ("GET", "HEAD"):
            response = _error(405, _("The directory is read-only: use GET."))
        else:
            try:
                response = view(request, *args, **kwargs)
            except BadQuery as bad:
                response = _error(
                    400,
                    _("The query parameter %(field)s is not valid: %(message)s")
                    % {"field": bad.field, "message": bad.message},
                    {bad.field: [bad.message]},
                )
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Accept, Accept-Language, Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        if response.status_code == 405:
            response["Allow"] = "GET, HEAD, OPTIONS"
        return response

    return csrf_exempt(wrapper)


# Query parameters --------------------------------------------------------------------


def _whole(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadQuery(name, _("give a whole number.")) from None
    if not low <= value <= high:
        raise BadQuery(
            name, _("give a number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    return value


def _search(request: HttpRequest) -> str:
    text = request.GET.get("search", "").strip()
    if "\x00" in text:  # PostgreSQL refuses NUL in a string: say so rather than fail
        raise BadQuery("search", _("leave out control characters."))
    if len(text) > MAX_SEARCH:
        raise BadQuery("search", _("keep it under %(n)d characters.") % {"n": MAX_SEARCH})
    return text


def _id(request: HttpRequest, name: str, *kinds: Kind) -> tuple[bool, tuple[Kind, int] | None]:
    """(given?, (kind, pk) of our row it names, or None when it names nothing here)."""
    raw = request.GET.get(name)
    if raw is None:
        return False, None
    raw = raw.strip().lower()
    if not is_uuid(raw):
        raise BadQuery(name, _("give a UUID such as 123e4567-e89b-12d3-a456-426614174000."))
    kind = kind_of(raw)
    if kind not in kinds:
        return True, None
    pk = decode(raw, kind)
    return True, (kind, pk) if pk is not None else None


def _modified_after(request: HttpRequest) -> datetime | None:
    raw = request.GET.get("modified_after")
    if raw is None:
        return None
    raw = raw.strip()
    message = _("give a date and time such as 2026-01-31T09:00:00Z, or a date such as 2026-01-31.")
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            if day is None:
                raise BadQuery("modified_after", message)
            moment = datetime.combine(day, time.min)
    except ValueError:  # well formed but impossible, like 2026-02-30
        raise BadQuery("modified_after", message) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def end(self) -> int:
        return self.start + self.per_page


def _paging(request: HttpRequest) -> Paging:
    return Paging(
        page=_whole(request, "page", 1, 1, 1_000_000),
        per_page=_whole(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    )


def _page(total: int, paging: Paging, contents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The HSDS paging object; `empty` says this page holds nothing (past the end, or no results)."""
    total_pages = math.ceil(total / paging.per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": paging.page,
        "size": len(contents),
        "first_page": paging.page == 1,
        "last_page": paging.page >= total_pages,
        "empty": not contents,
        "contents": list(contents),
    }


def _slice(queryset: QuerySet[M], paging: Paging) -> tuple[int, list[M]]:
    total = queryset.count()
    rows = list(queryset[paging.start : paging.end]) if paging.start < total else []
    return total, rows


# Endpoints ---------------------------------------------------------------------------


@hsds_view
def root(request: HttpRequest) -> HttpResponse:
    return _json(
        {
            "version": HSDS_VERSION,
            "profile": PROFILE_URL,
            "openapi_url": request.build_absolute_uri(reverse("directory:openapi")),
        }
    )


@hsds_view
def openapi(request: HttpRequest) -> HttpResponse:
    """The official HSDS OpenAPI document, with this server's address and title filled in."""
    document = copy.deepcopy(_openapi_template())
    document["servers"] = [{"url": request.build_absolute_uri(reverse("directory:root"))}]
    return _json(document)


@functools.cache
def _openapi_template() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    return document


def _service_filters(request: HttpRequest) -> dict[str, Any]:
    term_given, term = _id(request, "taxonomy_term_id", Kind.TERM)
    taxonomy_given, taxonomy = _id(request, "taxonomy_id", Kind.TAXONOMY)
    organisation_given, organisation = _id(
        request, "organization_id", Kind.ORGANISATION, Kind.COMMUNITY
    )
    return {
        "search": _search(request),
        "term_given": term_given,
        "term_pk": term[1] if term else None,
        "taxonomy_given": taxonomy_given,
        "taxonomy_pk": taxonomy[1] if taxonomy else None,
        "organisation_given": organisation_given,
        "organisation": organisation,
        "modified_after": _modified_after(request),
    }


@hsds_view
def service_list(request: HttpRequest) -> HttpResponse:
    filters = _service_filters(request)
    paging = _paging(request)
    queryset = selectors.services_filtered(selectors.services(), **filters)
    total, rows = _slice(queryset, paging)
    return _json(_page(total, paging, [selectors.service_brief(s) for s in rows]))


@hsds_view
def service_detail(request: HttpRequest, id: str) -> HttpResponse:
    pk = decode(id, Kind.SERVICE)
    service = selectors.with_roles(selectors.services()).filter(pk=pk).first() if pk else None
    if service is None:
        return _not_found()
    return _json(selectors.service_full(service))


@hsds_view
def service_at_location_list(request: HttpRequest) -> HttpResponse:
    filters = _service_filters(request)
    paging = _paging(request)
    queryset = selectors.services_filtered(selectors.services(), **filters)
    total, rows = _slice(queryset, paging)
    return _json(
        _page(total, paging, [selectors.service_at_location(s, nested_service=True) for s in rows])
    )


@hsds_view
def service_at_location_detail(request: HttpRequest, id: str) -> HttpResponse:
    pk = decode(id, Kind.SERVICE_AT_LOCATION)
    service = selectors.services().filter(pk=pk).first() if pk else None
    if service is None:
        return _not_found()
    return _json(selectors.service_at_location(service, nested_service=True))


@hsds_view
def organization_list(request: HttpRequest) -> HttpResponse:
    """The publishing communities themselves first, then their organisations, in one paging."""
    search = _search(request)
    paging = _paging(request)
    communities = selectors.communities_filtered(selectors.published_communities(), search)
    organisations = selectors.organisations_filtered(selectors.organisations(), search)
    community_count = communities.count()
    organisation_count = organisations.count()
    contents: list[dict[str, Any]] = []
    if paging.start < community_count:
        contents += [
            selectors.community_organization(c)
            for c in communities[paging.start : min(paging.end, community_count)]
        ]
    first_org = max(0, paging.start - community_count)
    last_org = max(0, paging.end - community_count)
    if last_org > first_org and first_org < organisation_count:
        contents += [selectors.organization_brief(o) for o in organisations[first_org:last_org]]
    return _json(_page(community_count + organisation_count, paging, contents))


@hsds_view
def organization_detail(request: HttpRequest, id: str) -> HttpResponse:
    kind = kind_of(id)
    pk = decode(id, kind) if kind is not None else None
    if pk is None:
        return _not_found()
    if kind is Kind.ORGANISATION:
        organisation = selectors.organisations().filter(pk=pk).first()
        if organisation is None:
            return _not_found()
        body = selectors.organization_full(organisation)
        services = selectors.services_filtered(
            selectors.services(),
            organisation=(kind, organisation.pk),
            organisation_given=True,
        )
    elif kind is Kind.COMMUNITY:
        community = selectors.published_communities().filter(pk=pk).first()
        if community is None:
            return _not_found()
        body = selectors.community_organization(community)
        services = selectors.services_filtered(
            selectors.services(), organisation=(kind, community.pk), organisation_given=True
        )
    else:
        return _not_found()
    body["services"] = [selectors.service_brief(s) for s in services]
    return _json(body)


@hsds_view
def taxonomy_list(request: HttpRequest) -> HttpResponse:
    search = _search(request)
    paging = _paging(request)
    queryset = selectors.communities_filtered(selectors.published_communities(), search)
    total, rows = _slice(queryset, paging)
    return _json(_page(total, paging, [selectors.taxonomy(c) for c in rows]))


@hsds_view
def taxonomy_detail(request: HttpRequest, id: str) -> HttpResponse:
    pk = decode(id, Kind.TAXONOMY)
    community = selectors.published_communities().filter(pk=pk).first() if pk else None
    if community is None:
        return _not_found()
    return _json(selectors.taxonomy(community))


@hsds_view
def taxonomy_term_list(request: HttpRequest) -> HttpResponse:
    search = _search(request)
    taxonomy_given, taxonomy = _id(request, "taxonomy_id", Kind.TAXONOMY)
    paging = _paging(request)
    queryset = selectors.categories_filtered(
        selectors.categories(),
        search=search,
        taxonomy_given=taxonomy_given,
        taxonomy_pk=taxonomy[1] if taxonomy else None,
    )
    total, rows = _slice(queryset, paging)
    return _json(_page(total, paging, [selectors.taxonomy_term(c) for c in rows]))


@hsds_view
def taxonomy_term_detail(request: HttpRequest, id: str) -> HttpResponse:
    pk = decode(id, Kind.TERM)
    category = selectors.categories().filter(pk=pk).first() if pk else None
    if category is None:
        return _not_found()
    return _json(selectors.taxonomy_term(category, detail=True))


@hsds_view
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, _("The directory has no such address; start at /hsds/."))
