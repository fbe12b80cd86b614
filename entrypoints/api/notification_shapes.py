"""Request and response shapes of the notification routes; their constraints come from the
domain, and which channels (and webhook hosts) a send may name from this server's settings."""

from typing import Annotated, Any, Literal

import attrs
import msgspec

from domain.notifications import (
    BODY_MAX,
    BODY_RULE,
    CURSOR_PATTERN,
    EMAIL_PATTERN,
    EMAIL_RULE,
    ID_PATTERN,
    IDEMPOTENCY_KEY_MAX,
    IDEMPOTENCY_KEY_RULE,
    METADATA_MAX_BYTES,
    METADATA_MAX_DEPTH,
    SUBJECT_MAX,
    SUBJECT_RULE,
    Channel,
    NotificationStatus,
)
from domain.webhook_targets import AllowList, Entry
from entrypoints.api.auth_shapes import DateTime, Username
from entrypoints.http.contract import wire
from entrypoints.http.patterns import whole

TARGET_MAX = 2048
Recipient = Annotated[Username, msgspec.Meta(description="The username it is for")]
Subject = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=SUBJECT_MAX,
        extra={"message": SUBJECT_RULE},
    ),
]
Body = Annotated[
    str,
    msgspec.Meta(
        max_length=BODY_MAX,
        extra={"message": BODY_RULE},
    ),
]
Metadata = Annotated[
    dict[str, Any],
    msgspec.Meta(
        description=(
            f"Kept with the notification, returned as sent: nested at most {METADATA_MAX_DEPTH}"
            f" levels deep (itself level 1), at most {METADATA_MAX_BYTES} bytes as compact JSON"
        )
    ),
]
EmailAddress = Annotated[
    str,
    msgspec.Meta(
        pattern=whole(EMAIL_PATTERN.pattern),
        max_length=TARGET_MAX,
        extra_json_schema={"format": "email"},
        extra={"message": EMAIL_RULE},
    ),
]
NotificationId = Annotated[str, msgspec.Meta(pattern=whole(ID_PATTERN.pattern))]


@attrs.frozen(kw_only=True)
class Message:
    """What every send names; each channel's shape below adds its own `target`."""

    recipient: Recipient
    channel: str
    subject: Subject
    body: Body
    target: str | None = None
    metadata: Metadata = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class LogMessage(Message):
    """Written to the service's log; no target."""

    channel: Literal["log"]
    target: Annotated[str, msgspec.Meta(max_length=TARGET_MAX)] | None = None


@attrs.frozen(kw_only=True)
class EmailMessage(Message):
    """Mailed to `target` through the configured SMTP server."""

    channel: Literal["email"]
    target: EmailAddress


# What may follow a URI's authority (RFC 3986): path, query and fragment.
PCHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
URI_REST = rf"(?:/(?:{PCHAR}|/)*)?(?:\?(?:{PCHAR}|[/?])*)?(?:#(?:{PCHAR}|[/?])*)?"


def _literal(c: str) -> str:
    """A host's non-letter as a regex literal valid in JSON Schema's ECMA 262 dialect too."""
    return "\\." if c == "." else c


def webhook_url(hosts: tuple[str, ...]) -> Any:
    """An http(s) URL on one of `hosts` (BALLAST_WEBHOOK_ALLOWED_HOSTS), any case; an entry
    with a port allows only that port (checked again, with the scheme's default, at send)."""

    def name(host: str) -> str:
        letters = "".join(f"[{c.upper()}{c}]" if c.isalpha() else _literal(c) for c in host)
        return f"\\[{letters}\\]" if ":" in host else letters

    def alternative(entry: Entry) -> str:
        if entry.port is None:
            return name(entry.host) + "(?::[0-9]{1,5})?"
        optional = "?" if entry.port in (80, 443) else ""
        return f"{name(entry.host)}(?::{entry.port}){optional}"

    names = "|".join(sorted(alternative(entry) for entry in AllowList.parse(hosts).entries))
    return Annotated[
        str,
        msgspec.Meta(
            pattern=whole(f"[Hh][Tt][Tt][Pp][Ss]?://(?:{names}){URI_REST}"),
            max_length=TARGET_MAX,
            extra_json_schema={"format": "uri"},
            extra={"message": f"must be an http(s) URL on an allowed host: {', '.join(hosts)}"},
        ),
    ]


def message_shapes(webhook_hosts: tuple[str, ...], email: bool) -> tuple[type[Message], ...]:
    """The send shapes this server accepts: a webhook only to its allowed hosts, an email only
    with an SMTP server."""
    shapes: list[type[Message]] = [LogMessage]
    if webhook_hosts:
        target_type = webhook_url(webhook_hosts)

        @attrs.frozen(kw_only=True)
        class WebhookMessage(Message):
            """POSTed as JSON to `target`, an http(s) URL on a host this server may call."""

            channel: Literal["webhook"]
            target: target_type  # type: ignore[valid-type]

        shapes.append(WebhookMessage)
    if email:
        shapes.append(EmailMessage)
    return tuple(shapes)


@attrs.frozen
class SendHeaders:
    idempotency_key: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=whole(f"[ -~]{{1,{IDEMPOTENCY_KEY_MAX}}}"),
                description=(
                    "The same key from the same sender within 24 h returns the first notification"
                ),
                extra={"message": IDEMPOTENCY_KEY_RULE},
            ),
        ]
        | None
    ) = attrs.field(default=None, metadata=wire("Idempotency-Key"))


@attrs.frozen
class NotificationView:
    id: str
    recipient: str
    channel: Channel
    subject: str
    body: str
    target: str | None
    status: NotificationStatus
    created_at: DateTime
    updated_at: DateTime
    attempts: int
    metadata: dict[str, Any]
    error: Annotated[str | None, msgspec.Meta(description="Why the last delivery attempt failed")]


@attrs.frozen
class NotificationPage:
    items: list[NotificationView]
    next_cursor: (
        Annotated[str, msgspec.Meta(description="Give it as `cursor` to read the next page")] | None
    )


@attrs.frozen
class ListQuery:
    status: NotificationStatus | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100, description="Page size")] = 20
    cursor: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=whole(CURSOR_PATTERN.pattern),
                description="`next_cursor` of the previous page",
                extra={"message": "is not a cursor from this API"},
            ),
        ]
        | None
    ) = None


@attrs.frozen
class NotificationPath:
    id: NotificationId


@attrs.frozen
class MarkRequest:
    status: Annotated[Literal["read"], msgspec.Meta(extra={"message": "must be 'read'"})]


NOTIFICATION_EXAMPLE = NotificationView(
    id="q8WlLr3xQ0u1-Qx5D0cHcg",
    recipient="alice",
    channel=Channel.LOG,
    subject="Your export is ready",
    body="Download it from the reports page.",
    target=None,
    status=NotificationStatus.SENT,
    created_at="2026-01-05T09:30:00.000Z",
    updated_at="2026-01-05T09:30:00.120Z",
    attempts=1,
    metadata={"report": "2026-01"},
    error=None,
)
SEND_EXAMPLE = LogMessage(
    recipient="alice",
    channel="log",
    subject="Your export is ready",
    body="Download it from the reports page.",
    metadata={"report": "2026-01"},
)
PAGE_EXAMPLE = NotificationPage([NOTIFICATION_EXAMPLE], "1767605400.0_q8WlLr3xQ0u1-Qx5D0cHcg")
