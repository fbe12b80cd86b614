"""Work done on untrusted request bytes before authentication is linear in their length:
adversarial bodies up to the size limit, the reported unclosed run of escaped quotes among
them. Nothing here times anything: the work is counted, and the results are compared with a
plain parse and with a plain one-pass scanner."""

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.notifications import EMAIL_PATTERN
from entrypoints.http.body_limit import MAX_BODY
from entrypoints.http.problems import MalformedBodyError
from entrypoints.http.rate_limiting import _username
from entrypoints.http.requests import MAX_BODY_DEPTH, STRING_LITERAL, _nesting, parse_body

# `{`x33 `"` then `\"`x32000: one 64 KiB login body that froze a worker for 27 s.
REPORTED = ("{" * 33 + '"' + '\\"' * 32_000)[:MAX_BODY]
# Pieces that steer a JSON scanner between its states (in a string, after a backslash,
# outside), repeated in long runs so that the bodies reach the size limit.
PIECES = ["{", "[", "]", "}", '"', '\\"', "\\\\", "\\", "a", ",", ":", '"a":', "\\u", "\\ud800"]


@st.composite
def adversarial(draw: st.DrawFn) -> str:
    runs = draw(
        st.lists(st.tuples(st.sampled_from(PIECES), st.integers(1, 8_000)), min_size=1, max_size=8)
    )
    return "".join(piece * count for piece, count in runs)[:MAX_BODY]


BODIES = adversarial() | st.just(REPORTED)


def reference_nesting(text: str) -> int:
    """The deepest bracket outside string literals, one character at a time (an unclosed
    literal runs to the end): the plain scanner `_nesting` must agree with."""
    deepest = level = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            level += 1
            deepest = max(deepest, level)
        elif c in "]}":
            level -= 1
    return deepest


def removal_steps(pattern: re.Pattern[str], text: str) -> int:
    """What removing every match of `pattern` (which starts with a quote) costs: the engine
    tries it at each position; elsewhere than at a quote the attempt fails on its first
    character (one step); a match costs its length plus one (possessive loops give nothing
    back); an attempt that fails at a quote may have scanned to the end of the text."""
    steps = position = 0
    for found in pattern.finditer(text):
        steps += _outside(text, position, found.start()) + len(found[0]) + 1
        position = found.end()
    return steps + _outside(text, position, len(text))


def _outside(text: str, start: int, end: int) -> int:
    return sum(len(text) - i if text[i] == '"' else 1 for i in range(start, end))


@settings(max_examples=25, deadline=None)
@given(BODIES)
def test_removing_string_literals_examines_each_character_a_bounded_number_of_times(
    text: str,
) -> None:
    assert removal_steps(STRING_LITERAL, text) <= 2 * len(text) + 1


def test_the_step_count_tells_the_quadratic_literal_it_replaced() -> None:
    """The literal that needed its closing quote, on the reported body cut to 4 KiB (it
    would take seconds whole): the count sees it."""
    needs_closing = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
    short = REPORTED[:4096]
    assert removal_steps(needs_closing, short) > 100 * len(short)
    assert removal_steps(STRING_LITERAL, REPORTED) <= 2 * len(REPORTED) + 1


@settings(max_examples=25, deadline=None)
@given(BODIES)
def test_the_depth_scan_agrees_with_a_one_pass_scanner(text: str) -> None:
    expected = reference_nesting(text)
    got = _nesting(text)
    # Shallow text may be passed on without scanning: the parser bounds it.
    assert got == expected or (got == 0 and expected <= MAX_BODY_DEPTH)


@settings(max_examples=25, deadline=None)
@given(BODIES | st.builds(lambda v: json.dumps(v), st.recursive(st.text(), st.lists)))
def test_the_reader_refuses_or_reads_as_a_plain_parse(text: str) -> None:
    try:
        plain: Any = json.loads(text)
    except (ValueError, RecursionError):
        plain = MalformedBodyError
    try:
        read = parse_body(text.encode("utf-8", "surrogatepass"))
    except MalformedBodyError:
        read = MalformedBodyError
    assert read is MalformedBodyError or read == plain


def test_the_reported_body_is_refused_as_malformed() -> None:
    with pytest.raises(MalformedBodyError, match="nests deeper"):
        parse_body(REPORTED.encode())


EMAIL_BEFORE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="a.@ \n", max_size=12))
def test_the_email_pattern_accepts_what_it_did_before(text: str) -> None:
    """The pattern lost only its ambiguity (which dot splits the domain), not any address."""
    assert bool(EMAIL_PATTERN.fullmatch(text)) == bool(EMAIL_BEFORE.fullmatch(text))


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["username", "password", "x"]), st.text() | st.integers()).map(
        json.dumps
    )
    | BODIES
)
def test_the_login_limit_keys_by_the_username_the_strict_reader_reads(text: str) -> None:
    """The limiter decodes the username alone (no strict reading of every attempt): where
    the strict reader reads an object, both name the same username."""
    raw = text.encode("utf-8", "surrogatepass")
    try:
        body = parse_body(raw)
    except MalformedBodyError:
        return
    named = body.get("username") if isinstance(body, dict) else None
    assert _username(raw) == (named if isinstance(named, str) else "")
