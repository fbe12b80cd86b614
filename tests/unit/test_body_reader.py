"""The one strict reader of request bodies: lone surrogates anywhere, nesting, numbers."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.json_values import depth, first_bad_text, renderable
from entrypoints.http.problems import MalformedBodyError
from entrypoints.http.requests import MAX_BODY_DEPTH, parse_body

LONE = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "x\ud83dy"])
SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)


def json_values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=12,
    )


def _with_surrogate(value: Any, surrogate: str, as_key: bool) -> Any:
    """`value` with one lone surrogate planted at its deepest first position."""
    if isinstance(value, dict) and value:
        key = next(iter(value))
        return {**value, key: _with_surrogate(value[key], surrogate, as_key)}
    if isinstance(value, list) and value:
        return [_with_surrogate(value[0], surrogate, as_key), *value[1:]]
    return {surrogate: value} if as_key else [surrogate, value]


def encode(value: Any) -> bytes:
    # ensure_ascii writes the surrogate as a \udXXX escape, as a hostile client would.
    return json.dumps(value, ensure_ascii=True).encode()


@given(json_values(SCALARS), LONE, st.booleans())
def test_a_lone_surrogate_anywhere_keys_included_is_refused(
    value: Any, surrogate: str, as_key: bool
) -> None:
    hostile = _with_surrogate(value, surrogate, as_key)
    with pytest.raises(MalformedBodyError, match="not valid Unicode"):
        parse_body(encode(hostile))


@given(json_values(SCALARS))
def test_a_well_formed_body_is_read_as_it_was_written(value: Any) -> None:
    if depth(value) <= MAX_BODY_DEPTH:
        assert parse_body(encode(value)) == value


@pytest.mark.parametrize("nesting", [MAX_BODY_DEPTH + 1, 1_000, 100_000])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a":', "}")])
def test_nesting_deeper_than_the_limit_is_refused_without_recursion(
    nesting: int, open_: str, close: str
) -> None:
    with pytest.raises(MalformedBodyError, match=f"deeper than {MAX_BODY_DEPTH}"):
        parse_body((open_ * nesting + "1" + close * nesting).encode())


def test_nesting_at_the_limit_is_read() -> None:
    assert depth(parse_body(("[" * MAX_BODY_DEPTH + "]" * MAX_BODY_DEPTH).encode())) == 32


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    body = json.dumps({"a": "[{" * 100, "b": '\\"[[[' * 50}).encode()
    assert parse_body(body)["a"] == "[{" * 100


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"NaN", "NaN"),
        (b'{"a": -Infinity}', "Infinity"),
        (b"[1e999]", "out of range"),
        (b"1" + b"0" * 5000, "too many digits"),
        (b'"\xed\xa0\x80"', "not UTF-8"),  # a surrogate encoded as UTF-8 bytes
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"a": }', "not valid JSON"),
    ],
)
def test_what_is_not_strict_json_is_refused_with_a_reason(raw: bytes, detail: str) -> None:
    with pytest.raises(MalformedBodyError, match=detail):
        parse_body(raw)


def test_the_path_of_the_bad_text_is_named() -> None:
    assert first_bad_text({"a": {"b": [1, "\udc00"]}}) == "a.b[1]"
    assert first_bad_text({"a": {"\udc00": 1}}) == "a key of a"
    assert first_bad_text(["fine", {"ok": "yes"}]) is None


def test_renderable_needs_encodable_text_and_bounded_depth() -> None:
    deep: Any = "leaf"
    for _ in range(200):
        deep = [deep]
    assert renderable({"a": ["b"]}, "c")
    assert not renderable("x\ud800")
    assert not renderable(deep)
    assert depth(deep) == 200
