"""Ports: what the use cases need from the outside world, named for the role they play.

Adapters in `adapters/` implement them (memory, Redis, failover, ...). Every async method
may be backed by the network; the use cases never know whether it is.
"""

from collections.abc import Sequence
from typing import Protocol

from domain.clients import Client, ClientPage
from domain.errors import FieldError
from domain.events import AuthEvent, AuthEventPage
from domain.health import ComponentHealth
from domain.notifications import (
    Channel,
    Notification,
    NotificationPage,
    NotificationStatus,
    PageCursor,
)
from domain.rate_history import Publication
from domain.rate_limits import Quota, RateDecision
from domain.rates import RateTable
from domain.tokens import Revocation, Rotation, TokenClaims
from domain.users import User, UserPage


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...


class IdSource(Protocol):
    def new_id(self) -> str:
        """A new unique, URL-safe, unguessable id."""
        ...


class PasswordHasher(Protocol):
    """Hashing is slow by design and shared: `client` (the caller's address) gets its turn
    among the clients waiting; one with too many waiting is refused (RateLimitedError)."""

    async def hash(self, password: str, client: str = "") -> str: ...

    async def verify(self, password: str, password_hash: str | None, client: str = "") -> bool:
        """False for a wrong password. `None` (no such user) costs the same time as a check."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True for a hash of an older scheme, or of a lower cost than today's."""
        ...

    @property
    def threads(self) -> int:
        """How many hashes run at once (a worker's): what the limits on checks derive from."""
        ...


class TokenCodec(Protocol):
    def encode(self, claims: TokenClaims) -> str: ...

    def decode(self, token: str) -> TokenClaims:
        """Verified claims; raises InvalidTokenError for bad signature, alg, iss, exp or shape."""
        ...


class PublicKeys(Protocol):
    """The public keys that verify this service's tokens, for other services."""

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """A JWK Set: `{"keys": [...]}`, current key first; empty for a shared secret."""
        ...


class UserDirectory(Protocol):
    async def get(self, username: str) -> User | None: ...

    async def add(self, user: User) -> None:
        """Raises ConflictError when the username is taken."""
        ...

    async def put(self, user: User) -> None:
        """Creates or replaces: for users defined by configuration, which is authoritative."""
        ...

    async def remove(self, username: str) -> None:
        """Forgets the user (nothing happens if there is none)."""
        ...

    async def page(self, limit: int, after: str | None) -> UserPage:
        """At most `limit` users in username order, after the username `after`."""
        ...

    async def configured_names(self) -> set[str]:
        """Usernames of the stored users whose source is configuration (`UserSource.FILE`)."""
        ...


class ClientRegistry(Protocol):
    """OAuth clients by id. `get` is asked on every grant: the adapters used in production
    answer it from process memory (a replica, like the revocations), never from Redis."""

    async def get(self, client_id: str) -> Client | None: ...

    async def add(self, client: Client) -> None:
        """Raises ConflictError when the id is taken."""
        ...

    async def put(self, client: Client) -> None:
        """Creates or replaces."""
        ...

    async def remove(self, client_id: str) -> None:
        """Forgets the client (nothing happens if there is none)."""
        ...

    async def page(self, limit: int, after: str | None) -> ClientPage:
        """At most `limit` clients in id order, after the id `after`."""
        ...

    async def configured_ids(self) -> set[str]:
        """Ids of the stored clients whose source is configuration (`UserSource.FILE`)."""
        ...


class ClientSecrets(Protocol):
    """Client secrets: high-entropy random values, so a keyed hash (not a password hash)
    keeps them, and checking one costs microseconds."""

    def new_secret(self) -> str:
        """At least 256 random bits in URL-safe characters."""
        ...

    def hash(self, secret: str) -> str: ...

    def verify(self, secret: str, hashes: Sequence[str]) -> bool:
        """Whether `secret` matches one of `hashes`, in constant time; an empty `hashes`
        (no such client) costs the same as one."""
        ...


class RefreshTokenStore(Protocol):
    """The current (unused) refresh token of every live family, indexed by user so that
    every family of a user can be ended at once."""

    async def start(self, user: str, family: str, jti: str, ttl: int) -> None:
        """A new family whose current token is `jti`; forgotten `ttl` seconds after its last use."""
        ...

    async def rotate(self, user: str, family: str, jti: str, successor: str, ttl: int) -> Rotation:
        """Atomically: if `jti` is the family's current token, make `successor` current."""
        ...

    async def end(self, user: str, family: str) -> None:
        """Forgets the family: its refresh tokens are unknown from now on."""
        ...

    async def end_all(self, user: str) -> list[str]:
        """Forgets every live family of `user`, and answers their ids (to revoke them)."""
        ...


class RevocationList(Protocol):
    async def revoke(self, revocation: Revocation) -> None: ...

    async def is_revoked(self, claims: TokenClaims) -> bool:
        """True if the token, its family, or every token of its user issued before a
        cut-off is revoked. The adapters used in production answer from process memory
        (the replica), so verifying a token never waits on Redis."""
        ...


class AuthEventLog(Protocol):
    async def record(self, event: AuthEvent) -> None: ...

    async def page(self, limit: int, cursor: str | None = None) -> AuthEventPage:
        """Newest first, older than `cursor` (a `next_cursor` of this log); a page costs
        the same wherever it starts. A cursor of the other store's form (EVENT_CURSOR)
        starts from the newest again."""
        ...


class HealthProbe(Protocol):
    """A dependency's health, registered beside the adapter it probes."""

    @property
    def name(self) -> str: ...

    async def check(self) -> ComponentHealth: ...


class RateSource(Protocol):
    """The live rates feeds."""

    async def fetch(self) -> Publication:
        """Every day the feeds publish (source live); raises RatesUnavailableError otherwise."""
        ...


class RateHistoryStore(Protocol):
    """Published days shared by every process, so an instance that never reached the feed
    still converts at a date; disposable like the rate cache, so never fails closed."""

    async def all(self) -> list[RateTable]: ...

    async def add(self, tables: Sequence[RateTable]) -> None: ...


class RateCache(Protocol):
    """The last fetched table, shared by every process; disposable, so never fails closed."""

    async def get(self) -> RateTable | None: ...

    async def put(self, table: RateTable, ttl: int) -> None:
        """Keeps `table` for `ttl` seconds (its freshness is judged by `fetched_at`)."""
        ...


class RateLimiter(Protocol):
    """Counts requests per key; shared by every instance when the adapter can share it."""

    async def hit(self, key: str, quota: Quota) -> RateDecision:
        """Counts one request on `key` when allowed (a refused one is not counted)."""
        ...


class ExactRateLimiter(RateLimiter, Protocol):
    """A limiter whose every decision is exact, even across instances (one Redis round trip
    each): for limits that must not be overrun, such as the login limit."""


class NotificationStore(Protocol):
    """Notifications by id, by recipient and pending, kept for a retention period."""

    async def add(self, notification: Notification) -> None: ...

    async def get(self, notification_id: str) -> Notification | None: ...

    async def update(self, notification: Notification) -> None:
        """Replaces the stored state (status, attempts, error) of a notification."""
        ...

    async def list_for_recipient(
        self,
        recipient: str,
        status: NotificationStatus | None,
        limit: int,
        after: PageCursor | None,
    ) -> NotificationPage:
        """Newest first; `after` is the last position of the previous page."""
        ...

    async def pending_before(self, before: float, limit: int) -> list[str]:
        """Ids of `pending` notifications last updated at or before `before`, oldest first:
        the deliveries a stopped process may have left behind."""
        ...


class IdempotencyKeys(Protocol):
    """A sender's idempotency key held by the first notification sent with it."""

    async def claim_idempotency_key(
        self, sender: str, key: str, notification_id: str, ttl: int
    ) -> str:
        """The id that holds the sender's key: `notification_id` if it was free until now."""
        ...

    async def release_idempotency_key(self, sender: str, key: str, notification_id: str) -> None:
        """Frees the key if `notification_id` holds it and was never stored (a send that
        timed out may still have been stored: its key then stays, so a retry finds it)."""
        ...


class DeliveryLeases(Protocol):
    """Who delivers a notification now: one worker at a time, across instances."""

    async def claim_delivery(self, notification_id: str, owner: str, seconds: float) -> bool:
        """A lease: True if `owner` now holds the delivery of the notification for `seconds`
        (free, expired or already its own: then renewed), so that two workers never deliver
        it at the same time."""
        ...

    async def release_delivery(self, notification_id: str, owner: str) -> None:
        """Ends `owner`'s lease early; someone else's is left alone."""
        ...


class NotificationRepository(NotificationStore, IdempotencyKeys, DeliveryLeases, Protocol):
    """The three roles over the same data, as one adapter per technology plays them (a key
    is freed only while its notification was never stored): for the use cases that need
    two roles at once (sending, delivering)."""


class NotificationChannel(Protocol):
    async def deliver(self, notification: Notification) -> None:
        """Raises DeliveryError when the notification did not get through."""
        ...


class DeliveryChannels(Protocol):
    """Every channel, chosen by the notification's own."""

    def refusal(self, channel: Channel, target: str | None) -> FieldError | None:
        """Why `target` cannot be reached over `channel` (None: it can), checked at send."""
        ...

    async def deliver(self, notification: Notification) -> None:
        """Raises DeliveryError when the notification did not get through."""
        ...
