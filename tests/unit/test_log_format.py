"""Every log record becomes one valid logfmt line and one JSON object, whatever its values."""

import logging
import sys

import httpx
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.log_format import JsonFormatter, LogfmtFormatter, redact_urls
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


@given(
    st.text().filter(lambda t: "://" not in t),  # URLs lose their secrets: tested below
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_any_value_survives_both_formats_exactly(text: str, count: int, ms: float) -> None:
    kv, js = both(record("event=sent subject=%s count=%d duration_ms=%.2f", text, count, ms))

    assert kv["event"] == js["event"] == "sent"
    assert kv["subject"] == js["subject"] == text
    assert kv["count"] == str(count)
    assert js["count"] == count
    assert js["duration_ms"] == float(f"{ms:.2f}")


@given(st.text(min_size=1).filter(lambda t: "://" not in t))
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


# Secrets a URL can carry, each made of characters a URL may hold unescaped.
URL_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~"
SECRET = st.text(URL_SAFE, min_size=4).map(lambda s: "S3cr" + s)
HOST = st.sampled_from(["127.0.0.1:8081", "feed.example", "hooks.example.com:443", "[::1]:80"])
SCHEMES = st.sampled_from(["http", "https", "redis", "rediss", "smtp", "HTTPS"])
AROUND = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20).filter(
    lambda t: "://" not in t and "S3cr" not in t
)


@st.composite
def secret_urls(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A URL holding secrets in its user information, query or fragment, and those secrets."""
    user, password, query, fragment = (draw(SECRET) for _ in range(4))
    parts = draw(st.sets(st.sampled_from(["user", "password", "query", "fragment"]), min_size=1))
    secrets, url = [], f"{draw(SCHEMES)}://"
    if "user" in parts or "password" in parts:
        url += f"{user}:{password}@" if "password" in parts else f"{user}@"
        secrets += [user, password] if "password" in parts else [user]
    url += draw(HOST) + draw(st.sampled_from(["", "/", "/eurofxref-daily.xml", "/a/b@c"]))
    if "query" in parts:
        url += f"?app_id={query}&x=1"
        secrets.append(query)
    if "fragment" in parts:
        url += f"#access_token={fragment}"
        secrets.append(fragment)
    return url, secrets


def lines(r: logging.LogRecord) -> list[str]:
    return [LogfmtFormatter().format(r), JsonFormatter().format(r)]


@given(secret_urls(), AROUND, AROUND, st.sampled_from(["str", "httpx", "repr", "exc"]))
def test_no_secret_of_a_url_reaches_a_line_whoever_logs_it(
    url_secrets: tuple[str, list[str]], before: str, after: str, how: str
) -> None:
    url, secrets = url_secrets
    if how == "str":  # our own style: key=value
        r = record("event=rates_fetch url=%s note=%s", url, before + url + " " + after)
    elif how == "httpx":  # httpx's INFO line, the URL an object among the arguments
        r = record('HTTP Request: %s %s "%s %d %s"', "GET", httpx.URL(url), "HTTP/1.1", 200, "OK")
        r.name = "httpx"
    elif how == "repr":  # a library's free text holding a repr
        r = record("calling %r then %s", httpx.URL(url), before + " " + url + after)
    else:  # a traceback whose message names the URL
        try:
            raise httpx.ConnectError(f"cannot reach '{url}'")
        except httpx.ConnectError:
            r = logging.LogRecord("httpx", 40, __file__, 1, "failed %s", (url,), sys.exc_info())

    for line in lines(r):
        for secret in secrets:
            assert secret not in line
    kv, js = both(r)
    assert "REDACTED" in str(kv) and "REDACTED" in str(js)


def test_a_redacted_url_keeps_its_scheme_host_port_and_path() -> None:
    r = record("event=fetch url=%s", "https://user:pw@feed.example:8443/daily.xml?app_id=abc#f")

    kv, js = both(r)

    assert kv["url"] == js["url"] == "https://REDACTED@feed.example:8443/daily.xml?REDACTED"


@given(st.text(max_size=2000).filter(lambda t: "://" not in t))
def test_text_without_a_url_is_left_as_it_is(text: str) -> None:
    assert redact_urls(text) == text
