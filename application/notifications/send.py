"""Sending a notification: validate, store as pending, hand to the delivery worker."""

from typing import Any

import attrs

from application.auth.access import require_role
from application.notifications.delivery import DeliveryWorker
from domain.errors import (
    ConflictError,
    DependencyUnavailableError,
    FieldError,
    ValidationError,
)
from domain.notifications import (
    BODY_MAX,
    EMAIL_PATTERN,
    IDEMPOTENCY_KEY_MAX,
    IDEMPOTENCY_WINDOW,
    SUBJECT_MAX,
    Channel,
    Notification,
    metadata_problem,
)
from domain.ports import Clock, DeliveryChannels, IdSource, NotificationRepository
from domain.tokens import TokenClaims
from domain.users import Role, username_problem

TARGET_NEEDED = {Channel.WEBHOOK: "an http(s) URL", Channel.EMAIL: "an email address"}


@attrs.frozen
class Sent:
    """The notification, and whether this request created it (False: an idempotent repeat)."""

    notification: Notification
    created: bool


def _problems(
    recipient: object,
    channel: object,
    subject: object,
    body: object,
    target: object,
    metadata: object,
    channels: DeliveryChannels,
) -> list[FieldError]:
    errors: list[FieldError] = []
    if (problem := username_problem(recipient)) is not None:
        errors.append(FieldError("recipient", problem))
    allowed = ", ".join(c.value for c in Channel)
    if not isinstance(channel, str) or channel not in set(Channel):
        errors.append(FieldError("channel", f"must be one of: {allowed}"))
    if not isinstance(subject, str) or not 1 <= len(subject) <= SUBJECT_MAX:
        errors.append(FieldError("subject", f"must be a string of 1-{SUBJECT_MAX} characters"))
    if not isinstance(body, str) or len(body) > BODY_MAX:
        errors.append(FieldError("body", f"must be a string of at most {BODY_MAX} characters"))
    if (problem := metadata_problem(metadata)) is not None:
        errors.append(FieldError("metadata", problem))
    if target is not None and not isinstance(target, str):
        errors.append(FieldError("target", "must be a string"))
    elif isinstance(channel, str) and channel in set(Channel):
        kind = Channel(channel)
        if kind in TARGET_NEEDED and not target:
            errors.append(FieldError("target", f"is required: {TARGET_NEEDED[kind]}"))
        elif kind is Channel.EMAIL and not EMAIL_PATTERN.fullmatch(str(target)):
            errors.append(FieldError("target", "must be an email address"))
        elif (refusal := channels.refusal(kind, target)) is not None:
            errors.append(refusal)
    return errors


def idempotency_problem(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        return f"must be 1-{IDEMPOTENCY_KEY_MAX} printable ASCII characters"
    return None


@attrs.define
class SendNotification:
    """Admins and services send; accepted means stored, then delivered or marked failed."""

    repository: NotificationRepository
    channels: DeliveryChannels
    worker: DeliveryWorker
    clock: Clock
    ids: IdSource

    async def __call__(
        self,
        caller: TokenClaims,
        recipient: object,
        channel: object,
        subject: object,
        body: object,
        target: object = None,
        metadata: object = None,
        idempotency_key: str | None = None,
    ) -> Sent:
        require_role(caller, Role.ADMIN, Role.SERVICE)
        errors = _problems(recipient, channel, subject, body, target, metadata, self.channels)
        if (problem := idempotency_problem(idempotency_key)) is not None:
            errors.append(FieldError("Idempotency-Key", problem))
        if errors:
            raise ValidationError(errors)
        assert isinstance(recipient, str) and isinstance(channel, str)
        assert isinstance(subject, str) and isinstance(body, str)
        now = self.clock.now()
        fields: dict[str, Any] = dict(metadata) if isinstance(metadata, dict) else {}
        notification = Notification(
            id=self.ids.new_id(),
            recipient=recipient,
            sender=caller.sub,
            channel=Channel(channel),
            subject=subject,
            body=body,
            created_at=now,
            updated_at=now,
            target=target if isinstance(target, str) and target else None,
            metadata=fields,
        )
        if idempotency_key is not None:
            holder = await self.repository.claim_idempotency_key(
                caller.sub, idempotency_key, notification.id, IDEMPOTENCY_WINDOW
            )
            if holder != notification.id:
                first = await self.repository.get(holder)
                if first is None:
                    # Claimed by a request still in flight.
                    raise ConflictError("notification with Idempotency-Key", idempotency_key)
                return Sent(first, created=False)
        try:
            await self.repository.add(notification)
        except DependencyUnavailableError:
            # Nothing was accepted: the key must not keep pointing at a notification that
            # does not exist, or every retry of this request would be a 409 for 24 h.
            if idempotency_key is not None:
                await self.repository.release_idempotency_key(
                    caller.sub, idempotency_key, notification.id
                )
            raise
        self.worker.enqueue(notification.id)
        return Sent(notification, created=True)
