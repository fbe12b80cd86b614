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
    LOGOUT_ALL = "logout_all"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_DISABLED = "user_disabled"
    USER_DELETED = "user_deleted"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_CHECK_FAILED = "password_check_failed"  # a wrong current password


@attrs.frozen
class AuthEvent:
    """One auth event; `id` makes replaying it after an outage idempotent."""

    id: str
    type: AuthEventType
    username: str
    at: float
    client: str
    actor: str = ""  # who made the change, when not the user themselves (e.g. an admin)
