"""The first layer every request meets: its X-Request-ID, the client's address
(client_address.py), its Redis budget (../redis_budget.py), its body limit (body_limit.py), the
problem response of an error it meets (problems.py) and its access-log entry (its line and
its metrics are made off the event loop, see ../access_log.py).

One pure ASGI middleware for these (no BaseHTTPMiddleware: it would cost a task and a copy
per request), since every layer costs each request an await and a closure, and every layer
that adds response headers one more wrapper around each message sent: the layers inside add
theirs to the request's `response_headers` (request_state.py) instead. The route is the template
(`/api/notifications/{id}`), never the raw path: the raw path would put ids into the logs'
keys and the metrics' labels (an unmatched path is logged, truncated, as a value).

The request's id (random: ids of other requests cannot be guessed from one's own) and the
trace id of an incoming W3C `traceparent` are held in a context variable for as long as the
request is served (application/request_context.py), so every line written meanwhile, in any
task it starts, carries them.
"""

import os
import re
import threading
import time

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.request_context import CURRENT, RequestContext, trace_of
from domain.errors import BallastError
from domain.tokens import TokenClaims
from entrypoints.access_log import AccessLog
from entrypoints.http.body_limit import limited
from entrypoints.http.client_address import Network, TrustedProxies
from entrypoints.http.problems import ClientDisconnectedError, answer
from entrypoints.http.request_state import KEY, RequestState
from entrypoints.redis_budget import RedisBudgets

REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")
UNMATCHED = "unmatched"
PATH_SHOWN = 128  # characters of an unmatched path its access line shows


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:
        # Refused before routing (413, 429): find the route the request was meant for.
        router = getattr(scope.get("app"), "router", None)
        for candidate in getattr(router, "routes", ()):
            if candidate.matches(scope)[0] is not Match.NONE:
                route = candidate
                break
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class _RandomDigits(threading.local):
    """Random hex digits, drawn from the OS 2 KiB at a time: one system call per 128 request
    ids instead of one each. Per thread (each event loop its own), and a forked child draws
    its own (register_at_fork below): no two requests share an id."""

    digits = b""
    at = 0


_random = _RandomDigits()


def _forked() -> None:
    global _random
    _random = _RandomDigits()


os.register_at_fork(after_in_child=_forked)


def new_request_id() -> bytes:
    """32 random hex digits: one request's id tells nothing of another's."""
    pool = _random
    at = pool.at
    if at == len(pool.digits):
        pool.digits, at = os.urandom(2048).hex().encode(), 0
    pool.at = at + 32
    return pool.digits[at : at + 32]


_READ = frozenset((b"x-request-id", b"traceparent", b"x-forwarded-for"))


def read_headers(scope: Scope) -> tuple[bytes, str | None, str | None]:
    """The request's id, traceparent and X-Forwarded-For, in one pass over its headers: the
    client's X-Request-ID when its first is well-formed, else a new one; the first
    traceparent; every X-Forwarded-For, joined in order (several headers are one list)."""
    rid = trace = None
    forwarded: list[bytes] = []
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name in _READ:
            if name == b"x-forwarded-for":
                forwarded.append(value)
            elif name == b"traceparent":
                if trace is None:
                    trace = value
            elif rid is None:
                rid = value
    return (
        rid if rid is not None and REQUEST_ID.fullmatch(rid) else new_request_id(),
        None if trace is None else trace.decode("latin-1"),
        b",".join(forwarded).decode("latin-1") if forwarded else None,
    )


def subject(state: RequestState) -> str:
    """Whom the request's valid token names (a user or an OAuth client), once verified."""
    claims = state.verified
    return claims.sub if isinstance(claims, TokenClaims) else ""


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        access_log: AccessLog,
        budget: RedisBudgets,
        trusted_proxies: tuple[Network, ...] = (),
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.budget = budget
        self.trusted = TrustedProxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid, traceparent, forwarded = read_headers(scope)
        rid_text = rid.decode()
        trace = trace_of(traceparent)
        context = RequestContext(rid_text, *trace) if trace else RequestContext(rid_text)
        serving = CURRENT.set(context)
        peer = scope.get("client")
        client = self.trusted.client(peer[0] if peer else "unknown", forwarded)
        state = scope[KEY] = RequestState(rid_text, client, [(b"x-request-id", rid)])
        headers = state.response_headers
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        try:
            with self.budget.open():
                await self.app(scope, limited(scope, receive), send_with_headers)
        except (BallastError, HTTPException, ClientDisconnect) as exc:
            if status:  # too late for another answer
                if isinstance(exc, ClientDisconnect):
                    return  # the answer was under way; there is no one left to finish it for
                raise
            if isinstance(exc, ClientDisconnect):
                # Starlette's word for a body that ended with the connection (a closed socket,
                # or a framing error the server answered by closing it): the client's fault.
                exc = ClientDisconnectedError()
            await answer(Request(scope), exc)(scope, receive, send_with_headers)
        finally:
            CURRENT.reset(serving)
            # Nothing sent: an unexpected error, answered 500 by the app's outermost layer.
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            self.access_log.add(
                scope["method"],
                route,
                status or 500,
                elapsed,
                rid_text,
                state.client,
                subject(state),
                scope["path"][:PATH_SHOWN] if route == UNMATCHED else "",
                context.trace_id or "",
            )
