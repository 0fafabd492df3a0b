"""Errors that services raise, shared by the web pages and the API.

Services raise Django's `ValidationError` (a message per field) for bad input and
`PermissionDenied` for a person who may not act; `Conflict` is for a request that is fine
in itself but clashes with the current state (the API answers 409).
"""


class Conflict(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
