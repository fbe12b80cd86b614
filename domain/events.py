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
