"""The API's JSON body parser: standard JSON only."""

import json
from typing import Any, cast

from django.http import HttpRequest
from ninja.parser import Parser
from ninja.types import DictStrAny


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class StrictJSONParser(Parser):
    """Python's json module accepts NaN and Infinity, which are not JSON and are no one's
    coordinates; refusing them here makes such a body a 400 like any other malformed JSON."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        return cast(DictStrAny, json.loads(request.body, parse_constant=_refuse_constant))
