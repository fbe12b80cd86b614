"""The client-credentials grant (RFC 6749 §4.4): a client's secret for an access token.

On the request path: one lookup in the client registry (answered from process memory), one
keyed hash and one signature; no password hash, no Redis round trip. Only a failure is
recorded (an auth event), never a success: grants are the hot path.
"""

import math

import attrs

from application.auth.events import EventRecorder
from domain.clients import Client, ClientPolicy, client_id_problem, scope_text
from domain.errors import InvalidClientError, OAuthError
from domain.events import AuthEventType
from domain.ports import ClientRegistry, ClientSecrets, Clock, IdSource, TokenCodec
from domain.tokens import TokenClaims, TokenPolicy, TokenType


@attrs.frozen
class ClientToken:
    access_token: str = attrs.field(repr=False)
    expires_in: int
    scope: str


@attrs.define
class AuthenticateClient:
    """Unknown client, wrong secret and disabled client fail alike (the first two in the
    same time), naming the client id in the event and never the secret."""

    clients: ClientRegistry
    secrets: ClientSecrets
    clock: Clock
    events: EventRecorder

    async def __call__(
        self, client_id: str, secret: str, address: str, basic: bool, allow_disabled: bool = False
    ) -> Client:
        client = None if client_id_problem(client_id) else await self.clients.get(client_id)
        hashes = client.hashes(self.clock.now()) if client is not None else ()
        matches = self.secrets.verify(secret, hashes)
        if client is None or not matches or (client.disabled and not allow_disabled):
            await self.failed(client_id, address)
            raise InvalidClientError(basic)
        return client

    async def failed(self, client_id: str, address: str) -> None:
        await self.events.record(AuthEventType.CLIENT_AUTH_FAILED, client_id[:64], address)


@attrs.define
class IssueClientToken:
    """An RFC 9068 access token for an authenticated client: every scope of the client, or
    the subset it asks for."""

    codec: TokenCodec
    tokens: TokenPolicy
    policy: ClientPolicy
    clock: Clock
    ids: IdSource

    def __call__(self, client: Client, scope: str | None) -> ClientToken:
        self.policy.require_clients()  # a client may come from a registry shared with others
        if client.disabled:
            raise OAuthError("unauthorized_client", "the client is disabled")
        scopes = client.scopes
        if scope is not None:
            asked = frozenset(scope.split(" "))
            if "" in asked or not asked <= client.scopes:
                raise OAuthError("invalid_scope", "the scope is not one the client was granted")
            scopes = asked
        now = self.clock.now()
        jti = self.ids.new_id()
        claims = TokenClaims(
            sub=client.client_id,
            jti=jti,
            iat=math.floor(now * 1000) / 1000,  # never after `now`: see TokenClaims
            exp=int(now) + self.policy.token_ttl,
            iss=self.tokens.issuer,
            type=TokenType.ACCESS,
            roles=frozenset(),
            fam=jti,
            aud=client.audience if client.audience is not None else self.tokens.audience,
            client_id=client.client_id,
            scopes=scopes,
        )
        text = scope_text(scopes)
        return ClientToken(self.codec.encode(claims), self.policy.token_ttl, text)
