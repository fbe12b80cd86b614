"""Notifications: the value, its statuses and the moves allowed between them, list cursors."""

import enum
import json
import re
from typing import Any

import attrs

from domain.errors import FieldError, InvalidTransitionError, ValidationError
from domain.json_values import depth, first_bad_text
from domain.times import rfc3339
from domain.users import username_problem

SUBJECT_MAX = 200
BODY_MAX = 10_000
IDEMPOTENCY_KEY_MAX = 255
METADATA_MAX_DEPTH = 8  # the metadata object itself is level 1
METADATA_MAX_BYTES = 8_192  # as compact UTF-8 JSON
IDEMPOTENCY_WINDOW = 86_400  # seconds a key keeps returning its first notification
RETENTION = 30 * 86_400  # seconds a notification is kept after it was accepted
# local@domain, the domain with a dot that is neither its first nor its last character. The
# domain's first dot past its first character is the one tried (`[^@\s.]*`): the same set as
# `[^@\s]+\.[^@\s]+`, without the choice of dot that made a refused address quadratic.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s][^@\s.]*\.[^@\s]+")
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# What a new notification must be, in the words every refusal of it uses (the HTTP shapes
# name the same rules in the same words).
SUBJECT_RULE = f"must be a string of 1-{SUBJECT_MAX} characters"
BODY_RULE = f"must be a string of at most {BODY_MAX} characters"
EMAIL_RULE = "must be an email address"
IDEMPOTENCY_KEY_RULE = f"must be 1-{IDEMPOTENCY_KEY_MAX} printable ASCII characters"
# `<created_at>_<id>`: every string of this form is a place in a list (keyset pagination), so
# a client's cursor is either refused by its form or read, never half-understood. The
# exponent is bounded, so the time is always finite (an "inf" would be a bad Redis score).
CURSOR_PATTERN = re.compile(
    r"[0-9]{1,17}(?:\.[0-9]{1,20})?(?:e(?:-[0-9]{1,3}|\+?[0-9]{1,2}))?_" + ID_PATTERN.pattern
)


class Channel(enum.StrEnum):
    LOG = "log"
    WEBHOOK = "webhook"
    EMAIL = "email"


TARGET_NEEDED = {Channel.WEBHOOK: "an http(s) URL", Channel.EMAIL: "an email address"}


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    READ = "read"


_S = NotificationStatus
# The only moves a notification makes; everything else is refused.
TRANSITIONS: dict[NotificationStatus, frozenset[NotificationStatus]] = {
    _S.PENDING: frozenset({_S.SENT, _S.FAILED}),
    _S.SENT: frozenset({_S.READ}),
    _S.FAILED: frozenset({_S.PENDING}),
    _S.READ: frozenset(),
}


@attrs.frozen
class Notification:
    """One notification as stored; `error` is why the last delivery attempt failed."""

    id: str
    recipient: str
    sender: str
    channel: Channel
    subject: str
    body: str
    created_at: float
    updated_at: float
    target: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: int = 0
    error: str | None = None
    # When the next delivery attempt is due (None: at once); the sweep goes by it, so a
    # receiver's Retry-After holds even when another process picks the delivery up.
    due_at: float | None = None
    # When the current round of delivery began: created, or put back by a redelivery.
    # A notification still pending `max_age` seconds after it fails for good.
    pending_since: float | None = None

    @property
    def delivery_started(self) -> float:
        return self.created_at if self.pending_since is None else self.pending_since

    @property
    def next_due(self) -> float:
        return self.updated_at if self.due_at is None else self.due_at

    @property
    def destination(self) -> str | None:
        """Who receives the delivery, for sharing attempts out fairly: a webhook's host and
        port, the one mail server; None for the log, which nobody can slow down."""
        if self.channel is Channel.EMAIL:
            return "email"
        if self.channel is not Channel.WEBHOOK:
            return None
        # The authority, lower case, without credentials: a key, never a URL to call.
        authority = re.split(r"[/?#]", (self.target or "").partition("://")[2], maxsplit=1)[0]
        return f"webhook {authority.rpartition('@')[2].lower()}"

    def can_become(self, status: NotificationStatus) -> bool:
        return status in TRANSITIONS[self.status]

    def moved_to(
        self, status: NotificationStatus, now: float, error: str | None = None
    ) -> "Notification":
        if not self.can_become(status):
            raise InvalidTransitionError(self.status.value, status.value)
        return attrs.evolve(self, status=status, updated_at=now, error=error)

    def attempted(self, now: float, error: str | None) -> "Notification":
        """One more delivery attempt, successful when `error` is None."""
        moved = self.moved_to(NotificationStatus.SENT, now) if error is None else self
        return attrs.evolve(
            moved, attempts=self.attempts + 1, updated_at=now, error=error, due_at=None
        )

    def redelivered(self, now: float) -> "Notification":
        """A failed notification put back to pending for a fresh round of attempts."""
        moved = self.moved_to(NotificationStatus.PENDING, now)
        return attrs.evolve(moved, attempts=0, due_at=None, pending_since=now)

    def public(self) -> dict[str, Any]:
        """The notification as the API and webhooks show it."""
        return {
            "id": self.id,
            "recipient": self.recipient,
            "channel": self.channel.value,
            "subject": self.subject,
            "body": self.body,
            "target": self.target,
            "status": self.status.value,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
            "attempts": self.attempts,
            "metadata": self.metadata,
            "error": self.error,
        }

    @property
    def position(self) -> "PageCursor":
        return PageCursor(self.created_at, self.id)


@attrs.frozen(order=True)
class PageCursor:
    """A place in a recipient's list, newest first: (created_at, id) of the last item seen."""

    created_at: float
    id: str

    def encode(self) -> str:
        return f"{self.created_at!r}_{self.id}"

    @classmethod
    def decode(cls, token: str) -> "PageCursor":
        if CURSOR_PATTERN.fullmatch(token) is None:
            raise ValidationError.single("cursor", "is not a cursor from this API")
        created_at, _, id_ = token.partition("_")
        return cls(float(created_at), id_)

    def comes_before(self, notification: Notification) -> bool:
        """True if `notification` is listed after this cursor (older, or same time, lower id)."""
        return notification.position < self


@attrs.frozen
class NotificationPage:
    items: tuple[Notification, ...]
    next_cursor: PageCursor | None


def metadata_problem(metadata: object) -> str | None:
    """Why `metadata` cannot be stored (None: it can): an object, bounded in depth and size,
    so that every notification can be listed and delivered as JSON."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return "must be an object"
    if depth(metadata) > METADATA_MAX_DEPTH:
        return f"must nest at most {METADATA_MAX_DEPTH} levels deep"
    if (where := first_bad_text(metadata)) is not None:
        return f"holds text that is not valid Unicode at {where}"
    try:
        size = len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError):
        return "must hold only JSON values"
    if size > METADATA_MAX_BYTES:
        return f"must be at most {METADATA_MAX_BYTES} bytes as JSON"
    return None


def message_problems(
    recipient: object,
    channel: object,
    subject: object,
    body: object,
    target: object,
    metadata: object,
) -> list[FieldError]:
    """Every way a new notification's fields break its invariants, all at once (the one
    place they are checked; whether this server may deliver it is the channels' to say)."""
    errors: list[FieldError] = []
    if (problem := username_problem(recipient)) is not None:
        errors.append(FieldError("recipient", problem))
    kind = Channel(channel) if isinstance(channel, str) and channel in set(Channel) else None
    if kind is None:
        errors.append(FieldError("channel", f"must be one of: {', '.join(Channel)}"))
    if not isinstance(subject, str) or not 1 <= len(subject) <= SUBJECT_MAX:
        errors.append(FieldError("subject", SUBJECT_RULE))
    if not isinstance(body, str) or len(body) > BODY_MAX:
        errors.append(FieldError("body", BODY_RULE))
    if (problem := metadata_problem(metadata)) is not None:
        errors.append(FieldError("metadata", problem))
    if target is not None and not isinstance(target, str):
        errors.append(FieldError("target", "must be a string"))
    elif kind is Channel.EMAIL and target is not None and not EMAIL_PATTERN.fullmatch(target):
        errors.append(FieldError("target", EMAIL_RULE))
    elif kind in TARGET_NEEDED and not target:
        errors.append(FieldError("target", f"is required: {TARGET_NEEDED[kind]}"))
    return errors


def idempotency_key_problem(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        return IDEMPOTENCY_KEY_RULE
    return None


def page_of(ordered: list[Notification], limit: int) -> NotificationPage:
    """A page from up to `limit + 1` notifications already in list order."""
    items = tuple(ordered[:limit])
    more = len(ordered) > limit
    return NotificationPage(items, items[-1].position if more and items else None)
