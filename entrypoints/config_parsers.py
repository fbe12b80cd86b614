"""The parsers of the configuration table (settings.py): each takes the stripped, non-empty
text of one variable and returns its value, or raises `Invalid` with what is allowed.

A parser's message never repeats a value it was handed for a secret variable: the reader
(config_read.py) names the variable, the parser says the rule.
"""

import enum
import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import attrs

from domain.webhook_targets import AllowList

Parser = Callable[[str], Any]


class Invalid(ValueError):
    """What is wrong with one value, in words fit for one line."""


@attrs.frozen
class RateLimit:
    """`count` requests per `period` seconds."""

    count: int
    period: int


def text(raw: str) -> str:
    return raw


def choice(kind: type[enum.StrEnum]) -> Parser:
    def parse(raw: str) -> enum.StrEnum:
        by_lower = {k.value.lower(): k for k in kind}
        found = by_lower.get(raw.lower())
        if found is None:
            allowed = ", ".join(k.value for k in kind)
            raise Invalid(f"{raw!r} is not one of: {allowed}")
        return found

    return parse


def whole(minimum: int = 1, maximum: int | None = None, what: str = "a whole number") -> Parser:
    def parse(raw: str) -> int:
        value = int(raw) if raw.isascii() and raw.isdigit() else None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            upper = "" if maximum is None else f" and <= {maximum}"
            raise Invalid(f"{raw[:40]!r} is not {what} >= {minimum}{upper}")
        return value

    return parse


def seconds(maximum: float = 60.0) -> Parser:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 < value <= maximum:  # NaN fails this too
            raise Invalid(f"{raw[:40]!r} is not a number of seconds in (0, {maximum:g}]")
        return value

    return parse


PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE_LIMIT = re.compile(r"(\d+)\s*/\s*(second|minute|hour|day)")


def rate_limit(raw: str) -> RateLimit | None:
    lowered = raw.lower()
    if lowered == "off":
        return None
    m = RATE_LIMIT.fullmatch(lowered)
    if not m or int(m[1]) < 1:
        raise Invalid(f"{raw[:40]!r} is not like '100/minute' (second|minute|hour|day) or 'off'")
    return RateLimit(int(m[1]), PERIODS[m[2]])


def words(raw: str) -> tuple[str, ...]:
    """A list separated by commas and/or spaces."""
    return tuple(w for w in re.split(r"[,\s]+", raw) if w)


def lower_words(raw: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in words(raw))


def allowed_hosts(raw: str) -> tuple[str, ...]:
    """Webhook allow-list entries: `host` (any port) or `host:port` (that port only)."""
    entries = lower_words(raw)
    try:
        AllowList.parse(entries)
    except ValueError as e:
        raise Invalid(str(e)[:120]) from None
    return entries


def comma_list(raw: str) -> tuple[str, ...]:
    """A list separated by commas only (file paths and URLs may hold spaces)."""
    return tuple(w.strip() for w in raw.split(",") if w.strip())


def networks(raw: str) -> tuple[str, ...]:
    entries = words(raw)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise Invalid(f"{entry[:60]!r} is not an IP address or CIDR block") from None
    return entries


def url(*schemes: str) -> Parser:
    def parse(raw: str) -> str:
        try:
            parts = urlsplit(raw)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise Invalid("is not a valid URL") from None
        if parts.scheme not in schemes or not (parts.hostname or parts.path):
            raise Invalid(f"must be a URL with scheme {' or '.join(schemes)}")
        return raw

    return parse


def urls(*schemes: str) -> Parser:
    """Comma-separated URLs; an error names a URL by position, since it may carry an API key."""

    def parse(raw: str) -> tuple[str, ...]:
        entries = comma_list(raw)
        for position, entry in enumerate(entries, 1):
            try:
                parts = urlsplit(entry)
                parts.port  # noqa: B018 - raises ValueError for a bad port
            except ValueError:
                parts = None
            if (
                parts is None
                or parts.scheme not in schemes
                or not (parts.hostname or (parts.scheme == "file" and parts.path))
            ):
                raise Invalid(f"URL {position} is not an {', '.join(schemes)} URL")
        return entries

    return parse


HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def host(raw: str) -> str:
    """An IP address or a host name (RFC 1123); whether it resolves is checked at `serve`."""
    try:
        return str(ipaddress.ip_address(raw.strip("[]")))
    except ValueError:
        pass
    if len(raw) > 253 or not HOSTNAME.fullmatch(raw):
        raise Invalid(f"{raw[:60]!r} is not an IP address or a host name")
    return raw


port = whole(1, 65535, "a port number")


def origins(raw: str) -> tuple[str, ...]:
    """Exact browser origins: scheme, host and port as a browser sends them in `Origin`."""
    entries = words(raw)
    for entry in entries:
        try:
            parts = urlsplit(entry)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username is not None
        ):
            raise Invalid(
                f"{entry[:80]!r} is not an origin like https://app.example.com[:port]"
                " (no path, no trailing slash)"
            )
    return entries


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise Invalid(f"{raw[:40]!r} is not one of: {', '.join(LOG_LEVELS)}")
    return level


def bounded_text(low: int, high: int) -> Parser:
    """A secret's length rule; the value itself is never echoed."""

    def parse(raw: str) -> str:
        if not low <= len(raw) <= high:
            raise Invalid(f"must be {low}-{high} characters")
        return raw

    return parse
