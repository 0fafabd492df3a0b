"""What a person or a program gets when a request fails on our side.

A database that is not answering (`lib.errors.UNAVAILABLE`: restarting, out of connections,
a deadlock given up on) is a passing state of the server, not a fault in the request: the
request's transaction rolled back, so the answer is 503 with Retry-After, and people, clients
and load balancers try again. Anything else is the plain 500. Programs get the error in their own
format (`program_error`, which the rate limiter's 429 uses too): JSON for the API and the HSDS
directory, the Open311 error document for Open311; people get a page. Neither touches the
database: no request context, no session, no user.

Two ways in, one answer: `DatabaseUnavailableMiddleware` for a view that fails (in debug as in
production), and `server_error` (Django's `handler500`) for what fails anywhere else.
"""

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from coproduce.insight.open311.render import error_response
from coproduce.lib.errors import (
    RETRY_AFTER_SECONDS,
    SERVER_ERROR_MESSAGE,
    UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
)

logger = logging.getLogger(__name__)

# Where programs call: each gets its errors in its own format.
API_PREFIX = "/api/v1/"
OPEN311_PREFIX = "/open311/"
HSDS_PREFIX = "/hsds/"


def open311_format(request: HttpRequest, fmt: str = "") -> str:
    """The format an Open311 address asks for: the view's `fmt`, else the path's extension."""
    return fmt or ("json" if request.path_info.endswith(".json") else "xml")


def program_error(
    request: HttpRequest, status: int, message: str, fmt: str = ""
) -> HttpResponse | None:
    """The error as the program calling this address reads it, or None for a person's page:
    `{"detail"}` for the API, the directory's `{"detail", "errors"}` (readable from any web
    page, as all its answers are), Open311's error document."""
    path = request.path_info
    response: HttpResponse
    if path.startswith(API_PREFIX):
        response = JsonResponse({"detail": message}, status=status)
    elif path.startswith(HSDS_PREFIX):
        response = JsonResponse({"detail": message, "errors": {}}, status=status)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "Retry-After"
    elif path.startswith(OPEN311_PREFIX):
        response = error_response(open311_format(request, fmt), status, message)
    else:
        return None
    return response


def failure_response(request: HttpRequest, *, unavailable: bool) -> HttpResponse:
    status = 503 if unavailable else 500
    message = str(UNAVAILABLE_MESSAGE if unavailable else SERVER_ERROR_MESSAGE)
    response = program_error(request, status, message) or HttpResponse(
        loader.render_to_string(f"{status}.html"), status=status
    )
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: called while the exception is being handled, so it can tell which."""
    return failure_response(request, unavailable=isinstance(sys.exc_info()[1], UNAVAILABLE))


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is not answering gets the 503, not the 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UNAVAILABLE):
            return None
        logger.error(
            "Database unavailable on %s %s", request.method, request.path, exc_info=exception
        )
        return failure_response(request, unavailable=True)
