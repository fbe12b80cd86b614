"""Recording and listing auth events."""

import attrs

from application.auth.access import require_role
from domain.errors import ValidationError
from domain.events import EVENT_CURSOR, NOT_A_CURSOR, AuthEvent, AuthEventPage, AuthEventType
from domain.ports import AuthEventLog, Clock, IdSource
from domain.tokens import TokenClaims
from domain.users import Role

MAX_EVENTS_PAGE = 1000


@attrs.define
class EventRecorder:
    """Stamps events with an id and the time, so every use case records them the same way."""

    log: AuthEventLog
    clock: Clock
    ids: IdSource

    async def record(
        self, kind: AuthEventType, username: str, client: str, actor: str = ""
    ) -> None:
        event = AuthEvent(self.ids.new_id(), kind, username, self.clock.now(), client, actor)
        await self.log.record(event)


@attrs.define
class ListAuthEvents:
    """Admins read the newest events first, a page at a time."""

    log: AuthEventLog

    async def __call__(
        self, caller: TokenClaims, limit: int = 50, cursor: str | None = None
    ) -> AuthEventPage:
        require_role(caller, Role.ADMIN)
        if not 1 <= limit <= MAX_EVENTS_PAGE:
            raise ValidationError.single("limit", f"must be between 1 and {MAX_EVENTS_PAGE}")
        if cursor is not None and not EVENT_CURSOR.fullmatch(cursor):
            raise ValidationError.single("cursor", NOT_A_CURSOR)
        return await self.log.page(limit, cursor)
