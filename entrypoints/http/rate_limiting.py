"""Applying BALLAST_RATE_LIMIT and BALLAST_LOGIN_RATE_LIMIT to every request that needs it,
as a pure ASGI middleware inside the edge (edge.py): the RateLimit-* headers on every answer
to a limited request (added to the request's state, sent by the edge), 429 with Retry-After
when refused (answered here: no layer raises an error for another to catch)."""

import asyncio
import math

import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.auth.tokens import VerifyToken
from application.rate_limits import CheckRateLimits
from domain.errors import BallastError, RateLimitedError
from domain.json_values import text_ok
from domain.rate_limits import Limit, Quota, RateDecision
from domain.tokens import TokenClaims
from domain.users import canonical_username
from entrypoints import security_events
from entrypoints.http.problems import ClientDisconnectedError, from_error
from entrypoints.http.request_state import request_state
from entrypoints.http.requests import scope_address, verified
from entrypoints.settings import RateLimit

LOGIN_PATH = "/api/auth/login"
PASSWORD_PATH = "/api/auth/password"  # checks the current password: limited as a login
# Password checks per address and minute, per hashing thread of a worker: one every two
# seconds, a few percent of what a thread hashes at the default cost (about 20 a second).
ADDRESS_CHECKS_PER_THREAD = 30
# A refused password check from an address with other password checks in flight is answered
# after HOLD_REFUSED seconds, at most MAX_HELD of them at once per worker (beyond, at once):
# an address looping on refusals over many connections then sends one every 2 s per
# connection instead of as many as the worker can answer, which took the event loop from
# every other request (bench/attacks.py, login storm). One check at a time is never held.
HOLD_REFUSED = 2.0
MAX_HELD = 1000
EXEMPT_PREFIXES = ("/health", "/metrics", "/status", "/docs", "/openapi.json")
_EXEMPT_TREES = tuple(p + "/" for p in EXEMPT_PREFIXES)
MAX_USERNAME_KEY = 128


def is_exempt(path: str) -> bool:
    """The path or anything under it (asked on every request: two C calls, no loop)."""
    return path in EXEMPT_PREFIXES or path.startswith(_EXEMPT_TREES)


def quota(limit: RateLimit | None) -> Quota | None:
    return None if limit is None else Quota(limit.count, limit.period)


def address_quota(login: RateLimit | None, hash_threads: int) -> Quota | None:
    """The per-address limit of password checks, derived from what the hashing pool serves
    (none when the login limit is off)."""
    return None if login is None else Quota(hash_threads * ADDRESS_CHECKS_PER_THREAD, 60)


def rate_limit_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", b"%d" % decision.limit),
        (b"ratelimit-remaining", b"%d" % decision.remaining),
        (b"ratelimit-reset", b"%d" % math.ceil(decision.reset_after)),
    ]


Binding = tuple[Limit, RateDecision]


class RateLimitMiddleware:
    """Per client: by user when the request carries a valid access token, else by address.
    Password checks (a login, a password change) also count per address, and per address
    and username (a login's read from the body, which is then handed on unchanged; a
    password change's the token's user)."""

    def __init__(
        self,
        app: ASGIApp,
        check: CheckRateLimits,
        verify: VerifyToken,
        default: RateLimit | None,
        login: RateLimit | None,
        per_address: Quota | None = None,
        hold: float = HOLD_REFUSED,
        max_held: int = MAX_HELD,
    ) -> None:
        self.app = app
        self.check = check
        self.verify = verify
        self.default = quota(default)
        self.login = quota(login)
        self.per_address = per_address
        self.hold, self.max_held = hold, max_held
        self.held = 0  # refused password checks waiting now
        # Password checks in flight per address (an entry only while one is: bounded by the
        # requests in flight).
        self._checking: dict[str, int] = {}
        # The headers of the default limit's answer to a client at rest (the same answer
        # every time: see Quota.at_rest), written once.
        self._at_rest_headers = (
            [] if self.default is None else rate_limit_headers(self.default.at_rest)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        if (
            self.login is not None
            and scope["method"] == "POST"
            and scope["path"] in (LOGIN_PATH, PASSWORD_PATH)
        ):
            await self._password_check(scope, receive, send, self.login)
            return
        if self.default is None:
            await self.app(scope, receive, send)
            return
        # Nearly every request: the default limit alone, and a client under its rate.
        key = self._client_key(scope, await verified(scope, self.verify))
        decision = await self.check.default(key, self.default)
        if decision is self.default.at_rest:
            request_state(scope).response_headers += self._at_rest_headers
            await self.app(scope, receive, send)
        elif decision.allowed:
            request_state(scope).response_headers += rate_limit_headers(decision)
            await self.app(scope, receive, send)
        else:  # the Limit only for the refusal's metric
            refusal = self._apply(scope, Limit("default", key, self.default), decision)
            await self._pass(refusal, scope, receive, send)

    async def _password_check(
        self, scope: Scope, receive: Receive, send: Send, login: Quota
    ) -> None:
        """A login or a password change, counted in flight per address while it runs."""
        address = scope_address(scope)
        self._checking[address] = self._checking.get(address, 0) + 1
        try:
            if scope["path"] == LOGIN_PATH:
                await self._login(scope, receive, send, login)
            else:
                await self._password_change(scope, receive, send, login)
        finally:
            if self._checking[address] == 1:
                del self._checking[address]
            else:
                self._checking[address] -= 1

    async def _login(self, scope: Scope, receive: Receive, send: Send, login: Quota) -> None:
        """The limits keyed by what the request line and headers say are decided first: a
        client already over them is answered 429 before its body is read or parsed. Then the
        body is read for the username, and every attempt counts against its address and
        username, a malformed or oversized body included (its error answered only once the
        attempt is counted)."""
        before = await self.check(await self._before_body(scope))
        if before is not None and not before[1].allowed:
            await self._hold(scope)
            await self._pass(self._apply(scope, *before), scope, receive, send)
            return
        unreadable: BallastError | None = None
        try:
            body, receive = await _buffer(receive)
        except BallastError as e:
            body, unreadable = b"", e
        after = await self.check([_user_limit(scope, _username(body), login)])
        await self._decided(_binding(before, after), unreadable, scope, receive, send)

    async def _password_change(
        self, scope: Scope, receive: Receive, send: Send, login: Quota
    ) -> None:
        """Limited as a login, the user named by the token (no body to read)."""
        claims = await verified(scope, self.verify)
        user = "" if isinstance(claims, BallastError) else claims.sub
        limits = [*(await self._before_body(scope)), _user_limit(scope, user, login)]
        await self._decided(await self.check(limits), None, scope, receive, send)

    async def _decided(
        self,
        binding: Binding | None,
        error: BallastError | None,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """A password check, decided: a refusal held a while and answered 429, else the
        body's own error, else the request goes on."""
        if binding is not None:
            if not binding[1].allowed:
                await self._hold(scope)
            error = self._apply(scope, *binding) or error
        await self._pass(error, scope, receive, send)

    async def _pass(
        self, error: BallastError | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """The request goes on, or its error is answered here (the edge adds the headers)."""
        if error is None:
            await self.app(scope, receive, send)
        else:
            await from_error(error)(scope, receive, send)

    async def _hold(self, scope: Scope) -> None:
        """A refused password check waits before its 429 (see HOLD_REFUSED)."""
        if self._checking.get(scope_address(scope), 0) < 2 or self.held >= self.max_held:
            return
        self.held += 1
        try:
            await asyncio.sleep(self.hold)
        finally:
            self.held -= 1

    async def _before_body(self, scope: Scope) -> list[Limit]:
        """The limits of a password check that need no body: the client's default limit,
        and the checks of its address (whatever the username)."""
        limits = []
        if self.default is not None:
            key = self._client_key(scope, await verified(scope, self.verify))
            limits.append(Limit("default", key, self.default))
        if self.per_address is not None:
            key = f"login-address:{scope_address(scope)}"
            limits.append(Limit("login", key, self.per_address, exact=True))
        return limits

    @staticmethod
    def _apply(scope: Scope, limit: Limit, decision: RateDecision) -> RateLimitedError | None:
        """The binding limit's headers go on every answer to the request, errors included
        (sent by the edge); a refusal is a 429, returned for the caller to answer."""
        request_state(scope).response_headers += rate_limit_headers(decision)
        if decision.allowed:
            return None
        security_events.refused(scope, limit)
        return RateLimitedError(max(1, math.ceil(decision.retry_after)))

    @staticmethod
    def _client_key(scope: Scope, verified: TokenClaims | BallastError) -> str:
        """The user of a valid token (verified once, by the limiter: the route reuses it),
        else the address: no token, or one that does not verify, counts against the address."""
        if isinstance(verified, BallastError):
            return "addr:" + scope_address(scope)
        return ("client:" if verified.client_id is not None else "user:") + verified.sub


def _user_limit(scope: Scope, username: str, login: Quota) -> Limit:
    """The password checks of one address for one username (a login's, or a token's user)."""
    name = canonical_username(username) or username[:MAX_USERNAME_KEY]  # any spelling: one
    key = f"login:{scope_address(scope)}:{name}"
    return Limit("login", key, login, exact=True)


def _binding(before: Binding | None, after: Binding | None) -> Binding | None:
    """The limit whose headers the answer carries: a refusal, else the one with least left."""
    if before is None or after is None:
        return before or after
    return after if not after[1].allowed or after[1].remaining < before[1].remaining else before


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Reads the whole body and returns it with a `receive` that hands it on again."""
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnectedError
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


class _Named(msgspec.Struct):
    """The one field of a login body its limit is keyed by."""

    username: object = None


_NAMED = msgspec.json.Decoder(_Named)


def _username(body: bytes) -> str:
    """The username a login body names, for its limit's key ("" if none, or the body is not
    a JSON object). Only that field is decoded, the rest skipped in C: about a microsecond
    per KiB, where the strict reader (parse_body) takes ten. Every attempt pays this; the
    strict reading is the route's, for the attempts the limits let through."""
    try:
        username = _NAMED.decode(body).username
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return ""
    return username if isinstance(username, str) and text_ok(username) else ""
