"""Reading an OAuth request: its form and the client's authentication (RFC 6749 §2.3.1,
§3.2), both refused as RFC 6749 §5.2 errors rather than problems. The one client
authentication of every route that takes it: the token, revocation and introspection
endpoints, and the operations a client may call with its credentials (Operation.client_auth).
"""

import base64
import binascii
import math
import urllib.parse

import attrs
import punq
from starlette.requests import Request

from application.auth.grant import AuthenticateClient
from application.bounded_cache import BoundedCache
from application.rate_limits import CheckRateLimits
from domain.clients import Client
from domain.errors import InvalidClientError, OAuthError, RateLimitedError
from domain.ports import Clock
from domain.rate_limits import Limit, Quota
from domain.tokens import TokenClaims, TokenType
from entrypoints.http.rate_limiting import quota
from entrypoints.http.requests import (
    FORM,
    client_address,
    form_fields,
    header,
    media_type,
    scope_address,
)
from entrypoints.settings import Settings

MAX_BLOCKED = 10_000  # keys refused lately; the least recently refused goes first when full
SECRET_FIELDS = ("client_secret",)
# The parameters of the token, revocation and introspection requests: each at most once.
OAUTH_FIELDS = frozenset(
    {"grant_type", "scope", "client_id", "client_secret", "token", "token_type_hint"}
)


@attrs.frozen
class Presented:
    """The client id and secret a request presents, and whether in HTTP Basic."""

    client_id: str
    secret: str = attrs.field(repr=False)
    basic: bool


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


async def read_form(request: Request) -> dict[str, str]:
    """The form body: form-encoded UTF-8, each parameter at most once, none in the query
    that carries a secret. The body is read whole before any answer, whatever its type: a
    body that breaks off is then the client's fault (the edge's 400), never an answer sent
    over a connection the server is already closing."""
    raw = await request.body()
    content_type = (header(request.scope, b"content-type") or "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise invalid_request(f"the request body must be {FORM}")
    if any(name in request.query_params for name in SECRET_FIELDS):
        raise invalid_request("client credentials are never accepted in the query")
    return form_fields(raw, OAUTH_FIELDS, invalid_request)


def presented(request: Request, form: dict[str, str]) -> Presented | None:
    """The client's credentials from HTTP Basic (each part form-decoded, RFC 6749 §2.3.1)
    or from the body; both at once is an invalid request. None: none presented."""
    authorization = header(request.scope, b"authorization")
    in_body = form.get("client_secret")
    if authorization is None:
        if in_body is None:
            return None
        client_id = form.get("client_id")
        if client_id is None:
            raise invalid_request("client_secret is sent without client_id")
        return Presented(client_id, in_body, basic=False)
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClientError(basic=True, description="use HTTP Basic or the request body")
    if in_body is not None:
        raise invalid_request("the client authenticated twice (HTTP Basic and the body)")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClientError(basic=True) from None
    raw_id, colon, raw_secret = decoded.partition(":")
    if not colon:
        raise InvalidClientError(basic=True)
    client_id = urllib.parse.unquote_plus(raw_id)
    if form.get("client_id", client_id) != client_id:
        raise invalid_request("client_id differs from the one of HTTP Basic")
    return Presented(client_id, urllib.parse.unquote_plus(raw_secret), basic=True)


class FailedClientAuth:
    """Failed client authentications count against the login limit, per client id and
    address (one exact decision per failure; a success costs nothing). A key refused once is
    remembered here until its retry time, so that it is refused without a round trip."""

    def __init__(self, check: CheckRateLimits, quota: Quota | None, clock: Clock) -> None:
        self._check = check
        self._quota = quota
        self._clock = clock
        self._blocked: BoundedCache[str, float] = BoundedCache("oauth_blocked_keys", MAX_BLOCKED)

    @staticmethod
    def key(request: Request, client_id: str) -> str:
        return f"client:{scope_address(request.scope)}:{client_id[:128]}"

    def refuse_if_blocked(self, key: str) -> None:
        until = self._blocked.get(key)
        if until is None:
            return
        left = until - self._clock.now()
        if left > 0:
            raise RateLimitedError(max(1, math.ceil(left)))

    async def count(self, key: str) -> None:
        """Counts one failure; raises RateLimitedError once the limit is reached."""
        if self._quota is None:
            return
        decision = await self._check.one(Limit("login", key, self._quota, exact=True))
        if not decision.allowed:
            self._blocked.put(key, self._clock.now() + decision.retry_after)
            raise RateLimitedError(max(1, math.ceil(decision.retry_after)))


REQUIRED = "client authentication is required"


@attrs.define
class ClientAuthentication:
    """A client authenticated by its credentials, wherever a route takes them. Every failure
    is an auth event (AuthenticateClient) and counts against the login limit."""

    authenticate: AuthenticateClient
    limit: FailedClientAuth

    async def client_of(self, request: Request, form: dict[str, str]) -> Client:
        """The authenticated client, a disabled one too (the token endpoint refuses it as
        unauthorized_client, revocation serves it)."""
        credentials = presented(request, form)
        if credentials is None:
            raise InvalidClientError(basic=True, description=REQUIRED)
        return await self._verified(request, credentials, allow_disabled=True)

    async def caller(self, request: Request, oauth: bool) -> TokenClaims | None:
        """The caller of an operation a client may call with its credentials, seen as its
        own token would be; a disabled client fails like a wrong secret. None: the request
        presents no credentials. `oauth`: an OAuth endpoint's request, whose body must be a
        form and which must authenticate."""
        form = await read_form(request) if oauth or media_type(request.scope) == FORM else {}
        credentials = presented(request, form)
        if credentials is None:
            if oauth:
                raise InvalidClientError(basic=True, description=REQUIRED)
            return None
        return client_caller(await self._verified(request, credentials, allow_disabled=False))

    async def _verified(
        self, request: Request, credentials: Presented, allow_disabled: bool
    ) -> Client:
        key = self.limit.key(request, credentials.client_id)
        self.limit.refuse_if_blocked(key)
        try:
            return await self.authenticate(
                credentials.client_id,
                credentials.secret,
                client_address(request),
                credentials.basic,
                allow_disabled=allow_disabled,
            )
        except InvalidClientError:
            await self.limit.count(key)
            raise


def client_caller(client: Client) -> TokenClaims:
    """An authenticated client as a caller of a use case (as its token would make it)."""
    return TokenClaims(
        sub=client.client_id,
        jti="",
        iat=0.0,
        exp=0,
        iss="",
        type=TokenType.ACCESS,
        roles=frozenset(),
        fam="",
        client_id=client.client_id,
        scopes=client.scopes,
    )


def client_authentication(container: punq.Container) -> ClientAuthentication:
    """The one client authentication of the app (its refused keys shared by every route)."""
    settings: Settings = container.resolve(Settings)
    limit = FailedClientAuth(
        container.resolve(CheckRateLimits),
        quota(settings.login_rate_limit),
        container.resolve(Clock),
    )
    return ClientAuthentication(container.resolve(AuthenticateClient), limit)
