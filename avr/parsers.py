"""The API's JSON parser: refuses deep nesting, huge bodies of items and control characters in text."""


from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from avr.edge import CONTROL_IN_TEXT, control_characters_message

JSON_MAX_DEPTH = 20
JSON_MAX_ITEMS = 50_000  # values, keys not counted; a 2 MB body of tiny values has ~400,000


def json_problem(data, *, max_depth: int = JSON_MAX_DEPTH, max_items: int = JSON_MAX_ITEMS) -> tuple[str, str] | None:
    """What makes parsed JSON unacceptable, walked without recursion so no input can exhaust the stack."""
    stack, items = [(data, 1)], 0
    while stack:
        value, depth = stack.pop()
        items += depth > 0
        if items > max_items:
            return "too_many_items", _("The request has too many items: at most %(count)s.") % {"count": max_items}
        if isinstance(value, str):
            if CONTROL_IN_TEXT.search(value):
                return "control_characters", control_characters_message()
        elif isinstance(value, (dict, list)):
            if depth > max_depth:
                return "too_deep", too_deep_message(max_depth)
            if isinstance(value, dict):
                stack.extend((key, 0) for key in value)  # depth 0: a key, checked but not counted
                stack.extend((child, depth + 1) for child in value.values())
            else:
                stack.extend((child, depth + 1) for child in value)
    return None


def too_deep_message(depth: int) -> str:
    return _("The request is nested too deeply: at most %(depth)s levels.") % {"depth": depth}


class JSONParser(parsers.JSONParser):
    """DRF's parser, then the edge rules on what it parsed (a RecursionError would otherwise be a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(too_deep_message(JSON_MAX_DEPTH), code="too_deep") from exc
        if problem := json_problem(data):
            code, message = problem
            raise ParseError(message, code=code)
        return data
