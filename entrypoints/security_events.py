"""Security events, as they happen: counted in the metrics and, for those that tell of an
attack (a failed login or password check, a refresh token presented twice, a login refused
by its rate limit), written as a log line on `ballast.security` with the username and the
client's address. Never a password or a token: the events hold neither.

Every auth event goes through `EventRecorder` (application/auth/events.py); the recorder
bound in the container is `ObservedEventRecorder`, so no use case has to remember to count.
"""

import logging

from starlette.types import Scope

from application.auth.events import EventRecorder
from domain.events import AuthEventType
from domain.rate_limits import Limit
from entrypoints.http.requests import scope_address
from entrypoints.metrics import instruments

log = logging.getLogger("ballast.security")

LOGIN_PATH = "/api/auth/login"
# Event types (by value, so that a type added elsewhere is matched as soon as it exists).
LOGGED = {
    "login_failed": logging.INFO,
    "password_check_failed": logging.INFO,
    "refresh_reuse_detected": logging.WARNING,
}
REVOKING = frozenset(
    {"token_revoked", "logout", "logout_all", "user_disabled", "user_deleted", "password_changed"}
)
USERNAME_SHOWN = 64  # characters of a username a line shows (a failed login's is anything)


def observe(kind: AuthEventType | str, username: str, client: str) -> None:
    """One auth event: its counter, and its line when it is one of LOGGED."""
    value = str(kind)
    m = instruments()
    if value == "login_succeeded":
        m.logins.labels("succeeded").inc()
    elif value == "login_failed":
        m.logins.labels("failed").inc()
    elif value == "token_refreshed":
        m.refreshes.inc()
    elif value == "refresh_reuse_detected":
        m.reuse.inc()
    elif value in REVOKING:
        m.revocations_made.labels(value).inc()
    level = LOGGED.get(value)
    if level is not None:
        log.log(level, "event=%s username=%s client=%s", value, username[:USERNAME_SHOWN], client)


class ObservedEventRecorder(EventRecorder):
    """The use cases' recorder, observing each event before it is stored (counted even when
    the store refuses it: the attempt happened)."""

    async def record(
        self, kind: AuthEventType, username: str, client: str, actor: str = ""
    ) -> None:
        observe(kind, username, client)
        await super().record(kind, username, client, actor)


def refused(scope: Scope, limit: Limit) -> None:
    """A request refused by a rate limit: counted; a login's also logged, with the client's
    address and the username it tried (known once the body was read, else empty)."""
    instruments().rate_limited.labels(limit.name).inc()
    if scope.get("path") == LOGIN_PATH:
        client = scope_address(scope)
        prefix = f"login:{client}:"
        username = limit.key[len(prefix) :] if limit.key.startswith(prefix) else ""
        log.info(
            "event=login_rate_limited username=%s client=%s limit=%s",
            username[:USERNAME_SHOWN],
            client,
            limit.name,
        )
