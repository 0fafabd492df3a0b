"""Who is calling: a personal access token (`Authorization: Bearer cpt_…`) or, from the
site's own pages, the signed-in session (with Django's CSRF check on writes)."""

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from coproduce.api.services import access_token_use
from coproduce.people.models import User


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        access_token = access_token_use(plain=token, request=request)
        if access_token is None:
            # A token that was sent but does not work is refused outright, rather than
            # falling through to the session check (which would answer 403 for CSRF).
            raise AuthenticationError()
        return access_token.user


class BrowserSession(SessionAuth):
    """Django's session, for same-origin pages; anonymous callers get 401, not a CSRF 403."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


def caller(request: HttpRequest) -> User:
    """The authenticated person; every operation that is not public has one."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user
