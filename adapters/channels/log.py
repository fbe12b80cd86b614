"""The `log` channel: one structured log line per notification."""

import logging

from domain.notifications import Notification

log = logging.getLogger("ballast.notifications.log")


class LogChannel:
    """Delivers by logging; the body stays out of the log, it may be private."""

    async def deliver(self, notification: Notification) -> None:
        log.info(
            "event=notification id=%s recipient=%s sender=%s subject=%s",
            notification.id,
            notification.recipient,
            notification.sender,
            notification.subject,
        )
