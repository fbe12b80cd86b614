"""Hypothesis strategies for hostile request bodies, as bytes: JSON holding lone surrogates
anywhere (keys included), nesting far past any limit, numbers no parser should take, wrong
types for every field the API knows, and bytes that are not UTF-8 at all."""

import json
from typing import Any

from hypothesis import strategies as st

# Every field name any route reads, so hostile values reach the validators behind them.
FIELDS = [
    "username",
    "password",
    "roles",
    "refresh_token",
    "token",
    "recipient",
    "channel",
    "subject",
    "body",
    "target",
    "metadata",
    "status",
]
LONE_SURROGATES = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])


class Raw(str):
    """Text written into the body as it is (numbers JSON's grammar allows but nothing else
    should take)."""


RAW_NUMBERS = st.sampled_from(
    [
        Raw("1e999"),
        Raw("-1e999"),
        Raw("NaN"),
        Raw("Infinity"),
        Raw("1" + "0" * 5000),
        Raw("-" + "9" * 4299),
        Raw("1e-999999"),
        Raw("0.000000000000000000000000000000000000001"),
        Raw(str(2**64)),
    ]
)


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    """Text, sometimes with a lone surrogate somewhere in it."""
    text = draw(st.text(max_size=12))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(LONE_SURROGATES) + text[at:]
    return text


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text()
    | RAW_NUMBERS
)


def values() -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALARS,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(hostile_text(), inner, max_size=4)
        ),
        max_leaves=16,
    )


def write(value: Any) -> str:
    """JSON text of `value`; lone surrogates as \\uXXXX escapes, Raw as it is."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{write(str(k))}:{write(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(write(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=True)


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    """An object naming the API's fields, with hostile values and extra hostile keys."""
    chosen = draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True))
    body = {name: draw(values()) for name in chosen}
    body.update(draw(st.dictionaries(hostile_text(), values(), max_size=2)))
    return body


@st.composite
def deep(draw: st.DrawFn) -> str:
    """Nesting from just past the limit to far past the interpreter's recursion limit,
    at the top or under a field."""
    levels = draw(st.sampled_from([33, 100, 999, 1_500, 20_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = opener * levels + write(draw(SCALARS)) + closer * levels
    field = draw(st.sampled_from([None, *FIELDS]))
    return inner if field is None else "{" + json.dumps(field) + ":" + inner + "}"


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["object", "value", "deep", "bytes"]))
    if kind == "object":
        return write(draw(objects())).encode()
    if kind == "value":
        return write(draw(values())).encode()
    if kind == "deep":
        return draw(deep()).encode()
    # A surrogate written as UTF-8 bytes, or bytes that are no UTF-8 at all.
    text = write(draw(objects()))
    return draw(
        st.sampled_from(
            [
                text.replace('"', '"\ud800', 1).encode("utf-8", "surrogatepass"),
                b"\xff\xfe" + text.encode("utf-16-le"),
                text.encode() + b"\xc3",
            ]
        )
    )


@st.composite
def near_valid(draw: st.DrawFn, template: dict[str, Any]) -> bytes:
    """A body a route accepts, with one field (or a key beside them) made hostile: so that
    the hostile part reaches as far into the route as it can."""
    body = dict(template)
    where = draw(st.sampled_from([*template, None]))
    hostile = draw(hostile_text() | values() | st.builds(lambda v: {"x": v}, values()))
    if where is None:
        body[draw(hostile_text())] = hostile
    elif isinstance(template[where], dict):
        body[where] = {**template[where], draw(hostile_text()): hostile}
    else:
        body[where] = hostile
    return write(body).encode()
