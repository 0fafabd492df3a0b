"""Building blocks every router shares: constrained input types, the error body, pages.

Input types carry their limits (length, range, pattern) so that bad input is refused with a
422 naming the field before any query runs, and so that the OpenAPI document states them.
"""

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel, StringConstraints

# Ids are 64-bit database keys; a larger number could not name a row, and would overflow
# the database driver instead of answering 404.
MAX_ID = 2**63 - 1
PAGE_SIZE = 25
PAGE_SIZE_MAX = 100
OFFSET_MAX = 1_000_000

M = TypeVar("M", bound=Model)


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refusing it here keeps it a 422, not a 500.
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    return value


NoNul = AfterValidator(_no_nul)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), NoNul]


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, for people.")
    errors: dict[str, list[str]] | None = Field(
        None, description="Messages by input field, when the input was at fault (400 and 422)."
    )


READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: ErrorOut, 409: ErrorOut}


class PointOut(Schema):
    lat: float
    lng: float


class PointIn(BaseModel):
    # A plain pydantic model: ninja's Schema reads attributes of any object, so a string
    # sent for a point would be reported as missing lat and lng rather than as not a point.
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)


class PageIn(Schema):
    limit: int = Field(
        PAGE_SIZE, ge=1, le=PAGE_SIZE_MAX, description="How many results (1 to 100)."
    )
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="How many results to skip.")


class PageMeta(Schema):
    count: int = Field(description="How many results there are in all.")
    next: str | None = Field(description="The address of the next page, if any.")
    previous: str | None = Field(description="The address of the previous page, if any.")


def page_of(
    request: HttpRequest, queryset: QuerySet[M], page: PageIn
) -> tuple[Sequence[M], dict[str, Any]]:
    """One page of the queryset (two queries whatever its size) and the page's count and links."""
    count = queryset.count()
    items = list(queryset[page.offset : page.offset + page.limit]) if page.offset < count else []

    def link(offset: int) -> str:
        query = request.GET.copy()
        query["offset"] = str(offset)
        query["limit"] = str(page.limit)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    following = page.offset + page.limit
    meta = {
        "count": count,
        "next": link(following) if following < count else None,
        "previous": link(max(page.offset - page.limit, 0)) if page.offset > 0 else None,
    }
    return items, meta
