"""Every API error is JSON: `{"detail": "...", "errors": {"field": ["message"]}}`.

The handlers map what the request parser and the services raise to HTTP: 400 a body that
is not JSON, 401 no valid credentials, 403 not allowed, 404 not found (or another
community's), 409 a clash with the current state (`Conflict`), 413 a body too large, 422
input that breaks a rule (the schema's or a service's `ValidationError`), 503 with
Retry-After a database that is not answering just now (`lib.errors.UNAVAILABLE`). Anything
else is logged and answered with a JSON 500, never a traceback.
"""

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from coproduce.lib.errors import (
    RETRY_AFTER_SECONDS,
    SERVER_ERROR_MESSAGE,
    UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
    Conflict,
)

logger = logging.getLogger(__name__)
E = TypeVar("E", bound=Exception)

# Where ninja says an input came from; the field name people sent follows it. A body's
# location also names the view's parameter, which is not something a client sent.
_SOURCES = {"query", "path", "header", "cookie", "form", "file"}
NON_FIELD = "__all__"


def _field_errors(errors: Mapping[str, list[str]]) -> dict[str, Any]:
    names = ", ".join(errors)
    return {
        "detail": _("Please correct these fields: %(f)s.") % {"f": names},
        "errors": dict(errors),
    }


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts and parts[0] in _SOURCES:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or NON_FIELD


def _message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", _("This value is not valid.")))
    # Pydantic prefixes messages from our own validators with "Value error, ".
    return message.removeprefix("Value error, ")


@contextmanager
def fields_renamed(**names: str) -> Iterator[None]:
    """Report a service's `ValidationError` under the API's field names (e.g. `lat` → `point`)."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            renamed.setdefault(names.get(field, field), []).extend(messages)
        raise DjangoValidationError(renamed) from exc


def install(api: NinjaAPI) -> None:
    """Register the handlers on the API."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            errors.setdefault(_field_name(error.get("loc", ())), []).append(_message(error))
        return respond(request, 422, _field_errors(errors))

    def invalid_data(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = {
                NON_FIELD if k == NON_FIELD_ERRORS else k: v for k, v in exc.message_dict.items()
            }
        else:
            errors = {NON_FIELD: exc.messages}
        return respond(request, 422, _field_errors(errors))

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(
            request,
            401,
            {
                "detail": _(
                    "Send a valid personal access token as 'Authorization: Bearer cpt_…'; "
                    "you can make one at /api/tokens/."
                )
            },
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(request, exc.status_code, {"detail": exc.message})

    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, {"detail": str(exc) or _("You may not do this.")})

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, {"detail": _("Not found.")})

    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return respond(request, 409, {"detail": exc.message})

    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, {"detail": _("The request is too large.")})

    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return respond(request, 400, {"detail": _("The request could not be understood.")})

    def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("Database unavailable on %s %s", request.method, request.path, exc_info=exc)
        response = respond(request, 503, {"detail": str(UNAVAILABLE_MESSAGE)})
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return respond(request, 500, {"detail": str(SERVER_ERROR_MESSAGE)})

    def on(exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]) -> None:
        # ninja's type for handlers also admits the exception class itself; ours take instances.
        api.add_exception_handler(exc_class, handler)  # type: ignore[arg-type]

    on(NinjaValidationError, invalid_request)
    on(DjangoValidationError, invalid_data)
    on(AuthenticationError, unauthenticated)
    on(HttpError, http_error)
    on(PermissionDenied, forbidden)
    on(Http404, not_found)
    on(Conflict, conflict)
    on(RequestDataTooBig, too_big)
    on(SuspiciousOperation, suspicious)
    for database_error in UNAVAILABLE:
        on(database_error, unavailable)
    on(Exception, unexpected)
