"""Errors that services raise, shared by the web pages and the API.

Services raise Django's `ValidationError` (a message per field) for bad input and
`PermissionDenied` for a person who may not act; `Conflict` is for a request that is fine
in itself but clashes with the current state (the API answers 409).
"""

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy


class Conflict(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# A database that does not answer just now: restarting, out of connections, or a deadlock or
# lock wait it gave up on. The request changed nothing (its transaction rolled back) and may
# be sent again, so the answer is 503 with Retry-After rather than a 500, on the pages and in
# the API alike. The error is still logged: SQLite reports some faults of its own (a missing
# table) as OperationalError too.
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = gettext_lazy(
    "The database is not answering just now; nothing was changed. Please try again in a moment."
)
SERVER_ERROR_MESSAGE = gettext_lazy("Something went wrong on our side; it has been logged.")
