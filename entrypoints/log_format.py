"""Every log line machine-readable: logfmt (the default) or one JSON object per line.

Call sites keep one style, `log.info("event=name key=%s other=%d", value, number)`: the
formatter reads the format string as `key=template` pairs, renders each template from its own
arguments and quotes and escapes the result, so a value holding spaces, quotes, `=` or a
newline can never break the line or forge a key. A message that is not `key=value` pairs
(uvicorn's and other libraries' own lines) becomes one `msg="..."`. Timestamps are RFC 3339
in UTC.

Every value is rendered here, whichever library made the record, so this is also where URLs
lose their secrets: the user information (`user:password@`), the query and the fragment of
any `scheme://...` in a value, a message, its arguments or a traceback become `REDACTED`
(httpx logs each request's full URL: a feed's `?app_id=`, a webhook's `?token=`).

A line written while a request is served, by Ballast or a library, in whichever task,
carries that request's `request_id` (and `trace_id` when it came with a `traceparent`):
they are read from the context the record is formatted in (application/request_context.py).
"""

import datetime
import functools
import json
import logging
import re

from application.request_context import current

PLACEHOLDER = re.compile(
    r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]"
)
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Printable ASCII but space, `"`, `=` and `\`: anything else is quoted, with JSON escapes.
BARE = re.compile(r"[!#-<>-\[\]-~]+")
NUMERIC = frozenset("diouxXeEfFgG")
REDACTED = "REDACTED"
SCHEME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
# What ends a URL inside free text: white space, quotes, brackets of a repr.
URL_END = re.compile(r"[\s\"'<>`]")

# (key, value template, number of arguments it takes, whether it is one numeric placeholder)
Pair = tuple[str, str, int, bool]


@functools.lru_cache(maxsize=2048)
def pairs_of(message: str) -> tuple[Pair, ...] | None:
    """The `key=template` pairs of a format string, or None when it is not made of them."""
    found: list[list[str]] = []
    for token in message.split(" "):
        key, eq, value = token.partition("=")
        if eq and KEY.fullmatch(key):
            found.append([key, value])
        elif found:
            found[-1][1] += " " + token  # a literal value with spaces: `reason=not set`
        else:
            return None
    if not found:
        return None
    result = []
    for key, template in found:
        specs = [p for p in PLACEHOLDER.findall(template) if p != "%%"]
        if any("*" in p or p.startswith("%(") for p in specs):
            return None
        numeric = len(specs) == 1 and specs[0] == template and template[-1] in NUMERIC
        result.append((key, template, len(specs), numeric))
    return tuple(result)


def fields(record: logging.LogRecord, typed: bool = False) -> dict[str, object]:
    """The record as ordered key/value pairs: ts, level, logger, the message's own, exc.
    `typed`: a value rendered from one numeric placeholder is a number (for JSON); else
    every value is the text the format string made of it."""
    out: dict[str, object] = {
        "ts": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "level": record.levelname,
        "logger": record.name,
    }
    message = record.msg if isinstance(record.msg, str) else None
    args = record.args if isinstance(record.args, tuple) else None
    pairs = pairs_of(message) if message is not None and args is not None else None
    if pairs is not None and args is not None and sum(p[2] for p in pairs) == len(args):
        try:
            rendered = _render(pairs, args, typed)
        except (TypeError, ValueError):
            rendered = None
        if rendered is not None:
            for key, value in rendered:
                while key in out:
                    key += "_"
                out[key] = value
        else:
            out["msg"] = _message(record)
    else:
        out["msg"] = _message(record)
    context = current()
    if context is not None and record.name != "ballast.access":  # access lines name theirs
        out.setdefault("request_id", context.request_id)
        if context.trace_id is not None:
            out.setdefault("trace_id", context.trace_id)
    if record.exc_info:
        out["exc"] = logging.Formatter().formatException(record.exc_info)
    elif record.exc_text:
        out["exc"] = record.exc_text
    if record.stack_info:
        out["stack"] = record.stack_info
    for key, value in out.items():
        if isinstance(value, str) and "://" in value:
            out[key] = redact_urls(value)
    return out


def redact_urls(text: str) -> str:
    """`text` with the credentials, query and fragment of every URL in it replaced. One pass:
    each `://` is looked at once, its scheme read backwards at most 32 characters."""
    parts: list[str] = []
    done = 0
    at = text.find("://")
    while at != -1:
        start = at
        while start > done and at - start < 32 and text[start - 1] in SCHEME:
            start -= 1
        if start == at:
            at = text.find("://", at + 3)
            continue
        end_match = URL_END.search(text, at + 3)
        end = len(text) if end_match is None else end_match.start()
        parts.append(text[done:start])
        parts.append(_redact_url(text[start:end]))
        done = end
        at = text.find("://", end)
    parts.append(text[done:])
    return "".join(parts)


def _redact_url(url: str) -> str:
    head = url.index("://") + 3
    cut = min((i for i in (url.find(c, head) for c in "/?#") if i != -1), default=len(url))
    authority = url[head:cut]
    if "@" in authority:
        authority = f"{REDACTED}@{authority.rpartition('@')[2]}"
    rest = url[cut:]
    for mark in "?#":
        if mark in rest:
            rest = rest[: rest.index(mark)] + mark + REDACTED
            break
    return url[:head] + authority + rest


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError):  # arguments that do not fit the format: keep both
        return f"{record.msg} {record.args!r}"


def _render(
    pairs: tuple[Pair, ...], args: tuple[object, ...], typed: bool
) -> list[tuple[str, object]]:
    rendered: list[tuple[str, object]] = []
    i = 0
    for key, template, count, numeric in pairs:
        if count == 0:
            # Without arguments logging does not %-format, so a literal stays as written.
            value: object = template if args == () else template % ()
        else:
            part = args[i : i + count]
            i += count
            text = template % part
            value = _number(text) if typed and numeric and _is_number(part[0]) else text
        rendered.append((key, value))
    return rendered


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if number == number and abs(number) != float("inf") else text


def logfmt_value(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if BARE.fullmatch(text):
        return text
    return json.dumps(text)


class LogfmtFormatter(logging.Formatter):
    """`ts=... level=... logger=... key=value ...`, values quoted and escaped when needed."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={logfmt_value(v)}" for k, v in fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the same keys as the logfmt form."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(fields(record, typed=True), default=str)
