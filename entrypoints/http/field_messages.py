"""A field's validation error as the client reads it in a 422: the shape's own words, or
msgspec's, reworded."""

import re
import types
import typing
from collections.abc import Callable
from typing import Any, Union

import msgspec

from entrypoints.http.patterns import document_pattern

KINDS = {
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"Expected `([^`|]+)[^`]*`, got `(\w+)`"), lambda m: f"must be {_kind(m[1])}"),
    (
        re.compile(r"Expected `str` of length <= (\d+)"),
        lambda m: f"must be at most {m[1]} characters",
    ),
    (
        re.compile(r"Expected `str` of length >= (\d+)"),
        lambda m: f"must be at least {m[1]} characters",
    ),
    (re.compile(r"Expected `\w+` <= (\S+)"), lambda m: f"must be at most {m[1]}"),
    (re.compile(r"Expected `\w+` >= (\S+)"), lambda m: f"must be at least {m[1]}"),
    (
        re.compile(r"Expected `object` of length <= (\d+)"),
        lambda m: f"must have at most {m[1]} keys",
    ),
    (
        re.compile(r"Expected `array` of length <= (\d+)"),
        lambda m: f"must have at most {m[1]} items",
    ),
    (
        re.compile(r"Expected `str` matching regex '(.*)'"),
        # msgspec quotes the pattern with its backslashes doubled.
        lambda m: f"must match {document_pattern(m[1].replace(2 * chr(92), chr(92)))}",
    ),
    (re.compile(r"Invalid enum value (.*)"), lambda m: f"is not allowed: {m[1]}"),
]
LOCATION = re.compile(r" - at `\$(.*)`$")


def _kind(name: str) -> str:
    return KINDS.get(name, name)


def message(hint: Any, text: str) -> str:
    """A field's error as the client reads it: the shape's own words when it has them
    (``Meta(extra={"message": ...})``), else msgspec's, in the 422 style."""
    where = LOCATION.search(text)
    inner = where[1] if where else ""
    text = LOCATION.sub("", text)
    custom = _custom_message(hint)
    if custom is not None and not inner:
        return custom
    for pattern, wording in RULES:
        if found := pattern.match(text):
            text = wording(found)
            break
    return f"{text} (at {inner})" if inner else text


def _custom_message(hint: Any) -> str | None:
    if typing.get_origin(hint) is typing.Annotated:
        for arg in typing.get_args(hint)[1:]:
            if isinstance(arg, msgspec.Meta) and arg.extra and "message" in arg.extra:
                return str(arg.extra["message"])
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is Union:
        # `T | None`: the words of T (None is never what was wrong with a present value).
        found = [m for arg in typing.get_args(hint) if (m := _custom_message(arg))]
        return found[0] if len(found) == 1 else None
    return None
