"""The request a piece of work is done for: its id and, when the caller sent one, its W3C
trace context. Held in a context variable, so every task the request starts, and every job
started in the context it was queued in, carries it: log lines name their request wherever
they are written, and outgoing calls can pass the trace on.
"""

import contextvars
import re
import secrets

import attrs

# W3C Trace Context, version 00: 32 hex digits of trace id, 16 of parent id, 2 of flags.
TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
ZERO_TRACE, ZERO_PARENT = "0" * 32, "0" * 16


@attrs.frozen
class RequestContext:
    request_id: str
    trace_id: str | None = None
    trace_flags: str = "00"


CURRENT: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "ballast_request", default=None
)


def current() -> RequestContext | None:
    return CURRENT.get()


def trace_of(traceparent: str | None) -> tuple[str, str] | None:
    """(trace id, flags) of a valid `traceparent` header, else None (W3C: a malformed or
    all-zero one is ignored, as if absent)."""
    if traceparent is None:
        return None
    found = TRACEPARENT.fullmatch(traceparent.strip())
    if found is None or found[1] == ZERO_TRACE or found[2] == ZERO_PARENT:
        return None
    return found[1], found[3]


def outgoing_headers() -> dict[str, str]:
    """Headers for a call made on behalf of the current request (a webhook): its trace
    continued as a `traceparent` with a fresh parent id, so the receiver's spans join the
    caller's trace. Empty outside a traced request."""
    context = CURRENT.get()
    if context is None or context.trace_id is None:
        return {}
    return {"traceparent": f"00-{context.trace_id}-{secrets.token_hex(8)}-{context.trace_flags}"}
