"""RFC 7009 revocation: a client revokes a token issued to it."""

import attrs

from application.auth.events import EventRecorder
from domain.clients import Client
from domain.errors import InvalidTokenError, OAuthError
from domain.events import AuthEventType
from domain.ports import RevocationList, TokenCodec
from domain.tokens import Revocation, RevocationKind


@attrs.define
class RevokeClientToken:
    """A token that is unknown or no longer valid needs nothing (RFC 7009 §2.2: answered
    like a success); a user's token is not the client's to revoke."""

    codec: TokenCodec
    revocations: RevocationList
    events: EventRecorder

    async def __call__(self, client: Client, token: str, address: str) -> None:
        try:
            claims = self.codec.decode(token)
        except InvalidTokenError:
            return
        if claims.client_id is None:
            raise OAuthError("unsupported_token_type", "only client tokens are revoked here")
        if claims.client_id != client.client_id:
            raise OAuthError("unauthorized_client", "the token was issued to another client")
        await self.revocations.revoke(Revocation(RevocationKind.TOKEN, claims.jti, claims.exp))
        await self.events.record(AuthEventType.CLIENT_TOKEN_REVOKED, client.client_id, address)
