"""The auth event log's entries."""

import enum
import re

import attrs

from domain.errors import ValidationError


class AuthEventType(enum.StrEnum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    TOKEN_REFRESHED = "token_refreshed"
    TOKEN_REVOKED = "token_revoked"
    REFRESH_REUSE_DETECTED = "refresh_reuse_detected"
    LOGOUT = "logout"
    LOGOUT_ALL = "logout_all"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_DISABLED = "user_disabled"
    USER_DELETED = "user_deleted"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_CHECK_FAILED = "password_check_failed"  # a wrong current password
    CLIENT_CREATED = "client_created"
    CLIENT_UPDATED = "client_updated"
    CLIENT_DISABLED = "client_disabled"
    CLIENT_DELETED = "client_deleted"
    CLIENT_SECRET_ROTATED = "client_secret_rotated"
    CLIENT_AUTH_FAILED = "client_auth_failed"
    CLIENT_TOKEN_REVOKED = "client_token_revoked"


@attrs.frozen
class AuthEvent:
    """One auth event; `id` makes replaying it after an outage idempotent."""

    id: str
    type: AuthEventType
    username: str  # the user, or the client id of a client's event
    at: float
    client: str
    actor: str = ""  # who made the change, when not the user themselves (e.g. an admin)


# A page's position in the log, opaque to callers. Each store has its own form, so one that
# meets the other's (the failover layer switching between Redis and memory) can tell, and
# starts again from the newest rather than guess a place in a log the cursor does not
# describe: a Redis stream entry id (`<ms>-<seq>`, 64-bit parts, so at most 19 digits each
# keeps any accepted cursor a valid id) or `m<seq>`, the memory log's sequence number.
REDIS_EVENT_CURSOR = re.compile(r"[0-9]{1,19}-[0-9]{1,19}")
MEMORY_EVENT_CURSOR = re.compile(r"m[0-9]{1,19}")
EVENT_CURSOR = re.compile(f"{REDIS_EVENT_CURSOR.pattern}|{MEMORY_EVENT_CURSOR.pattern}")
NOT_A_CURSOR = "is not a cursor from a previous page"


@attrs.frozen
class AuthEventPage:
    """Events newest first; `next_cursor` continues with older ones (None: no more)."""

    items: tuple[AuthEvent, ...]
    next_cursor: str | None


def own_event_cursor(cursor: str | None, own: re.Pattern[str]) -> str | None:
    """For a store whose cursors have the form `own`: the cursor, or None (start from the
    newest: pages may repeat events, never skip one) for one of the other store. Anything
    else is a ValidationError naming `cursor`."""
    if cursor is None or own.fullmatch(cursor):
        return cursor
    if EVENT_CURSOR.fullmatch(cursor):
        return None
    raise ValidationError.single("cursor", NOT_A_CURSOR)
