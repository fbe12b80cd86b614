"""Sending a notification: validate, store as pending, hand to the delivery worker."""

from typing import Any

import attrs

from application.auth.access import require_role
from application.notifications.delivery import DeliveryWorker
from application.notifications.ownership import of_owner, owner_since
from domain.errors import (
    ConflictError,
    DependencyUnavailableError,
    FieldError,
    ValidationError,
)
from domain.notifications import (
    IDEMPOTENCY_WINDOW,
    Channel,
    Notification,
    idempotency_key_problem,
    message_problems,
)
from domain.ports import Clock, DeliveryChannels, IdSource, NotificationRepository, UserDirectory
from domain.tokens import TokenClaims
from domain.users import Role, canonical_username


@attrs.frozen
class Sent:
    """The notification, and whether this request created it (False: an idempotent repeat)."""

    notification: Notification
    created: bool


@attrs.define
class SendNotification:
    """Admins and services send; accepted means stored, then delivered or marked failed."""

    repository: NotificationRepository
    channels: DeliveryChannels
    worker: DeliveryWorker
    clock: Clock
    ids: IdSource
    users: UserDirectory

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
        errors = message_problems(recipient, channel, subject, body, target, metadata)
        if not {"channel", "target"} & {e.field for e in errors}:
            # A valid message this server may still not deliver (a channel not configured,
            # a webhook host not allowed).
            reachable = target if isinstance(target, str) else None
            if (refusal := self.channels.refusal(Channel(str(channel)), reachable)) is not None:
                errors.append(refusal)
        if (problem := idempotency_key_problem(idempotency_key)) is not None:
            errors.append(FieldError("Idempotency-Key", problem))
        if errors:
            raise ValidationError(errors)
        assert isinstance(recipient, str) and isinstance(channel, str)
        assert isinstance(subject, str) and isinstance(body, str)
        now = self.clock.now()
        fields: dict[str, Any] = dict(metadata) if isinstance(metadata, dict) else {}
        notification = Notification(
            id=self.ids.new_id(),
            recipient=canonical_username(recipient) or recipient,
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
                if first is None or not of_owner(first, await owner_since(self.users, caller.sub)):
                    # Claimed by a request still in flight, or by a former holder of the
                    # caller's username (whose notification is not the caller's to see).
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
