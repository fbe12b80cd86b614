"""Every log record becomes one valid logfmt line and one JSON object, whatever its values."""

import logging
import sys

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.log_format import JsonFormatter, LogfmtFormatter
from tests.logfmt import parse_json, parse_logfmt


def record(
    msg: str, *args: object, name: str = "ballast.test", exc: bool = False
) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError('bad "value"\nsecond line')
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, args, exc_info)


def both(r: logging.LogRecord) -> tuple[dict[str, object], dict[str, object]]:
    logfmt_line, json_line = LogfmtFormatter().format(r), JsonFormatter().format(r)
    assert "\n" not in logfmt_line
    assert "\n" not in json_line
    return parse_logfmt(logfmt_line), parse_json(json_line)


@given(st.text(), st.integers(), st.floats(allow_nan=False, allow_infinity=False))
def test_any_value_survives_both_formats_exactly(text: str, count: int, ms: float) -> None:
    kv, js = both(record("event=sent subject=%s count=%d duration_ms=%.2f", text, count, ms))

    assert kv["event"] == js["event"] == "sent"
    assert kv["subject"] == js["subject"] == text
    assert kv["count"] == str(count)
    assert js["count"] == count
    assert js["duration_ms"] == float(f"{ms:.2f}")


@given(st.text(min_size=1))
def test_free_text_becomes_one_msg_value(text: str) -> None:
    kv, js = both(record("Started %s", text, name="uvicorn.error"))

    assert kv["msg"] == js["msg"] == f"Started {text}"
    assert kv["logger"] == "uvicorn.error"


def test_a_literal_value_with_spaces_is_one_value() -> None:
    kv, _ = both(record("event=rates_feed_failed reason=the feed is not set retry_in=%s", 30))

    assert kv["reason"] == "the feed is not set"
    assert kv["retry_in"] == "30"


def test_a_value_cannot_forge_a_key() -> None:
    kv, js = both(record("event=login username=%s", "eve level=CRITICAL admin=yes"))

    assert kv["username"] == js["username"] == "eve level=CRITICAL admin=yes"
    assert kv["level"] == "WARNING"
    assert "admin" not in kv


def test_timestamps_are_rfc3339_utc_with_milliseconds() -> None:
    r = record("event=x")
    r.created = 1_764_505_991.8734

    kv, js = both(r)

    assert kv["ts"] == js["ts"] == "2025-11-30T12:33:11.873Z"


def test_an_exception_stays_on_the_line_as_exc() -> None:
    kv, js = both(record("event=failed", exc=True))

    assert kv["event"] == "failed"
    assert 'ValueError: bad "value"\nsecond line' in str(kv["exc"])
    assert kv["exc"] == js["exc"]


def test_arguments_that_do_not_fit_the_pairs_fall_back_to_msg() -> None:
    kv, _ = both(record("event=x a=%s", 1, 2))

    assert "msg" in kv
    assert "event" not in kv
