"""What a person or a program gets when a request fails on our side.

A database that is not answering (`lib.errors.UNAVAILABLE`: restarting, out of connections,
a deadlock given up on) is a passing state of the server, not a fault in the request: the
request's transaction rolled back, so the answer is 503 with Retry-After, and people, clients
and load balancers try again. Anything else is the plain 500. Programs (the API, Open311, the
HSDS directory) get JSON; people get a page. Neither touches the database: no request
context, no session, no user.

Two ways in, one answer: `DatabaseUnavailableMiddleware` for a view that fails (in debug as in
production), and `server_error` (Django's `handler500`) for what fails anywhere else.
"""

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from coproduce.lib.errors import (
    RETRY_AFTER_SECONDS,
    SERVER_ERROR_MESSAGE,
    UNAVAILABLE,
    UNAVAILABLE_MESSAGE,
)

logger = logging.getLogger(__name__)

# Paths whose callers are programs: their errors are JSON, like the API's own.
MACHINE_PATHS = ("/api/", "/open311/", "/hsds/")


def failure_response(request: HttpRequest, *, unavailable: bool) -> HttpResponse:
    status = 503 if unavailable else 500
    response: HttpResponse
    if request.path.startswith(MACHINE_PATHS):
        detail = UNAVAILABLE_MESSAGE if unavailable else SERVER_ERROR_MESSAGE
        response = JsonResponse({"detail": str(detail)}, status=status)
    else:
        response = HttpResponse(loader.render_to_string(f"{status}.html"), status=status)
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
