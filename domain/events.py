"""The auth event log's entries."""

import enum

import attrs


class AuthEventType(enum.StrEnum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    TOKEN_REFRESHED = "token_refreshed"
    TOKEN_REVOKED = "token_revoked"
    REFRESH_REUSE_DETECTED = "refresh_reuse_detected"
    LOGOUT = "logout"


@attrs.frozen
class AuthEvent:
    """One auth event; `id` makes replaying it after an outage idempotent."""

    id: str
    type: AuthEventType
    username: str
    at: float
    client: str
