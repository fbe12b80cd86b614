"""A notification cursor from a client is a finite time and an id, or a 422 on `cursor`:
whatever the text, nothing else reaches Redis."""

import base64
import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.notifications import ID_PATTERN, PageCursor


def encoded(text: str) -> str:
    raw = text.encode(errors="surrogatepass")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@given(st.text())
def test_any_cursor_text_is_a_finite_cursor_or_a_422_on_cursor(text: str) -> None:
    for token in (text, encoded(text)):
        try:
            cursor = PageCursor.decode(token)
        except ValidationError as e:
            assert [error.field for error in e.errors] == ["cursor"]
        else:
            assert math.isfinite(cursor.created_at) and cursor.id


# The API gives out cursors of stored notifications: a time from the clock (epoch seconds)
# and an id of its own (ID_PATTERN).
@given(
    st.floats(min_value=0, max_value=1e15, allow_nan=False),
    st.from_regex(ID_PATTERN, fullmatch=True),
)
# repr writes 1e-4 <= t < 1e16 without an exponent: up to 3 zeros then 17 significant digits.
@example(0.00011738005714914146, "0")
@example(0.00010000000000000002, "n1")
@example(9999999999999998.0, "n1")
def test_every_cursor_this_api_gives_out_reads_back(created_at: float, id_: str) -> None:
    cursor = PageCursor(created_at, id_)
    assert PageCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("time", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
def test_times_that_are_not_finite_are_refused(time: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PageCursor.decode(encoded(f"{time}|n1"))
    assert caught.value.errors[0].field == "cursor"
