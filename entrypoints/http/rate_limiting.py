"""Applying BALLAST_RATE_LIMIT and BALLAST_LOGIN_RATE_LIMIT to every request that needs it,
as a pure ASGI middleware: the RateLimit-* headers on every limited response, 429 with
Retry-After when refused."""

import math

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.auth.tokens import VerifyToken
from application.rate_limits import CheckRateLimits
from domain.errors import BallastError, RateLimitedError
from domain.rate_limits import Limit, Quota, RateDecision
from entrypoints import metrics
from entrypoints.http.problems import from_error
from entrypoints.http.requests import authenticate_scope, parse_body
from entrypoints.settings import RateLimit

LOGIN_PATH = "/api/auth/login"
EXEMPT_PREFIXES = ("/health", "/metrics", "/status", "/docs", "/openapi.json")
_EXEMPT_TREES = tuple(p + "/" for p in EXEMPT_PREFIXES)
MAX_USERNAME_KEY = 128


def is_exempt(path: str) -> bool:
    """The path or anything under it (asked on every request: two C calls, no loop)."""
    return path in EXEMPT_PREFIXES or path.startswith(_EXEMPT_TREES)


def quota(limit: RateLimit | None) -> Quota | None:
    return None if limit is None else Quota(limit.count, limit.period)


def rate_limit_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", b"%d" % decision.limit),
        (b"ratelimit-remaining", b"%d" % decision.remaining),
        (b"ratelimit-reset", b"%d" % math.ceil(decision.reset_after)),
    ]


class RateLimitMiddleware:
    """Per client: by user when the request carries a valid access token, else by address.
    Login attempts also count per address and username (the username read from the body,
    which is then handed on unchanged)."""

    def __init__(
        self,
        app: ASGIApp,
        check: CheckRateLimits,
        verify: VerifyToken,
        default: RateLimit | None,
        login: RateLimit | None,
    ) -> None:
        self.app = app
        self.check = check
        self.verify = verify
        self.default = quota(default)
        self.login = quota(login)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or is_exempt(path):
            await self.app(scope, receive, send)
            return
        is_login = path == LOGIN_PATH and scope["method"] == "POST" and self.login is not None
        if self.default is None and not is_login:
            await self.app(scope, receive, send)
            return
        address = scope.get("ballast.client") or (scope["client"][0] if scope.get("client") else "")
        limits: list[Limit] = []
        if self.default is not None:
            limits.append(Limit("default", await self._client_key(scope, address), self.default))
        unreadable: BallastError | None = None
        if is_login:
            # Every login attempt counts, a malformed or oversized body included: the body
            # is read here first and its error answered only once the attempt is counted.
            try:
                body, receive = await _buffer(receive)
            except BallastError as e:
                body, unreadable = b"", e
            key = f"login:{address}:{_username(body)[:MAX_USERNAME_KEY]}"
            limits.append(Limit("login", key, self.login, exact=True))  # type: ignore[arg-type]
        binding = await self.check(limits)
        headers = [] if binding is None else rate_limit_headers(binding[1])
        if binding is not None and not binding[1].allowed:
            limit, decision = binding
            metrics.instruments().rate_limited.labels(limit.name).inc()
            response = from_error(RateLimitedError(max(1, math.ceil(decision.retry_after))))
            response.raw_headers.extend(headers)
            await response(scope, receive, send)
            return
        if unreadable is not None:
            response = from_error(unreadable)
            response.raw_headers.extend(headers)
            await response(scope, receive, send)
            return
        if binding is None:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _client_key(self, scope: Scope, address: str) -> str:
        """The user of a valid token (verified here once, the route reuses it), else the
        address: no token, or one that does not verify, counts against the address."""
        try:
            claims = await authenticate_scope(scope, self.verify)
        except BallastError:
            return f"addr:{address}"
        return f"user:{claims.sub}"


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Reads the whole body and returns it with a `receive` that hands it on again."""
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _username(body: bytes) -> str:
    """The username a login body names, read by the one strict body reader ("" if none)."""
    try:
        data = parse_body(body)
    except BallastError:
        return ""
    username = data.get("username") if isinstance(data, dict) else None
    return username if isinstance(username, str) else ""
