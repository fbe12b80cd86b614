"""Every channel behind one port: picks the notification's own, refuses what it cannot reach."""

from adapters.channels.webhook import WebhookChannel
from domain.errors import DeliveryError, FieldError
from domain.notifications import Channel, Notification
from domain.ports import NotificationChannel


class ChannelRouter:
    """`email` is None when no SMTP server is configured: email is then refused at send."""

    def __init__(
        self,
        log: NotificationChannel,
        webhook: WebhookChannel,
        email: NotificationChannel | None,
    ) -> None:
        self._channels: dict[Channel, NotificationChannel | None] = {
            Channel.LOG: log,
            Channel.WEBHOOK: webhook,
            Channel.EMAIL: email,
        }
        self._webhook = webhook

    def refusal(self, channel: Channel, target: str | None) -> FieldError | None:
        if self._channels[channel] is None:
            return FieldError("channel", f"{channel.value} is not configured on this server")
        if channel is Channel.WEBHOOK and target is not None:
            problem = self._webhook.refusal(target)
            return None if problem is None else FieldError("target", problem)
        return None

    async def deliver(self, notification: Notification) -> None:
        channel = self._channels[notification.channel]
        if channel is None:
            raise DeliveryError(f"the {notification.channel.value} channel is not configured")
        await channel.deliver(notification)
