"""HTTP routes of the notifications capability."""

from typing import Any

import msgspec
import punq
from starlette.requests import Request
from starlette.responses import Response

from application.auth.tokens import VerifyToken
from application.notifications.read import GetNotification, ListNotifications, MarkNotificationRead
from application.notifications.redeliver import RedeliverNotification
from application.notifications.send import SendNotification
from domain.notifications import Notification
from domain.tokens import TokenClaims
from entrypoints.api import notification_shapes as shapes
from entrypoints.http.contract import Endpoint, Operation, json_of
from entrypoints.settings import Settings

TAG = "notifications"
PATH = "/api/notifications"
ONE = "/api/notifications/{id}"
SEND, READ = "notifications:send", "notifications:read"
REDELIVER = Operation(
    "POST",
    "/api/notifications/{id}/redeliver",
    "redeliverNotification",
    "Put a failed notification back to pending (admin or its sender); 409 otherwise",
    TAG,
    scope=SEND,
    ok=202,
    response=shapes.NotificationView,
    path_params=shapes.NotificationPath,
    errors=(404, 409, 503),
    example=shapes.NOTIFICATION_EXAMPLE,
)


def _view(notification: Notification) -> Any:
    return msgspec.convert(notification.public(), shapes.NotificationView)


def operations(settings: Settings) -> tuple[Operation, ...]:
    """Built from the settings: a send names only the channels and hosts this server serves."""
    messages = shapes.message_shapes(settings.webhook_allowed_hosts, settings.smtp_url is not None)
    send = Operation(
        "POST",
        PATH,
        "sendNotification",
        "Send a notification (admin or service); 200 when the Idempotency-Key was seen",
        TAG,
        scope=SEND,
        ok=202,
        response=shapes.NotificationView,
        body=messages[0] if len(messages) == 1 else _union(messages),
        discriminator="channel",
        headers=shapes.SendHeaders,
        errors=(400, 403, 409, 413, 422, 503),
        example=shapes.NOTIFICATION_EXAMPLE,
        request_example=shapes.SEND_EXAMPLE,
        response_headers={"Location": ("Where the notification can be read", str)},
        also_ok=((200, "The first notification sent with this Idempotency-Key"),),
    )
    listing = Operation(
        "GET",
        PATH,
        "listNotifications",
        "The caller's notifications, newest first",
        TAG,
        scope=READ,
        response=shapes.NotificationPage,
        query=shapes.ListQuery,
        errors=(422, 503),
        example=shapes.PAGE_EXAMPLE,
    )
    get = Operation(
        "GET",
        ONE,
        "getNotification",
        "One notification (its recipient or an admin)",
        TAG,
        scope=READ,
        response=shapes.NotificationView,
        path_params=shapes.NotificationPath,
        errors=(404, 503),
        example=shapes.NOTIFICATION_EXAMPLE,
    )
    mark = Operation(
        "PATCH",
        ONE,
        "markNotificationRead",
        "Mark a notification read; 409 unless it was sent",
        TAG,
        scope=READ,
        response=shapes.NotificationView,
        path_params=shapes.NotificationPath,
        body=shapes.MarkRequest,
        errors=(400, 404, 409, 413, 422, 503),
        example=shapes.NOTIFICATION_EXAMPLE,
        request_example=shapes.MarkRequest("read"),
    )
    return send, listing, get, mark


def _union(members: tuple[type, ...]) -> Any:
    union: Any = members[0]
    for member in members[1:]:
        union = union | member
    return union


def routes(container: punq.Container) -> list[Endpoint]:
    verify: VerifyToken = container.resolve(VerifyToken)
    send: SendNotification = container.resolve(SendNotification)
    get: GetNotification = container.resolve(GetNotification)
    list_mine: ListNotifications = container.resolve(ListNotifications)
    mark: MarkNotificationRead = container.resolve(MarkNotificationRead)
    redeliver: RedeliverNotification = container.resolve(RedeliverNotification)
    send_op, list_op, get_op, mark_op = operations(container.resolve(Settings))

    async def send_endpoint(
        request: Request,
        caller: TokenClaims,
        body: shapes.Message,
        headers: shapes.SendHeaders,
    ) -> Response:
        sent = await send(
            caller,
            recipient=body.recipient,
            channel=body.channel,
            subject=body.subject,
            body=body.body,
            target=body.target,
            metadata=body.metadata,
            idempotency_key=headers.idempotency_key,
        )
        notification = sent.notification
        return json_of(
            _view(notification),
            status=202 if sent.created else 200,
            headers={"Location": f"{PATH}/{notification.id}"},
        )

    async def get_endpoint(
        request: Request, caller: TokenClaims, path: shapes.NotificationPath
    ) -> Response:
        return json_of(_view(await get(caller, path.id)))

    async def list_endpoint(
        request: Request, caller: TokenClaims, query: shapes.ListQuery
    ) -> Response:
        page = await list_mine(caller, query.status, query.limit, query.cursor)
        next_cursor = page.next_cursor.encode() if page.next_cursor else None
        return json_of(shapes.NotificationPage([_view(n) for n in page.items], next_cursor))

    async def patch_endpoint(
        request: Request,
        caller: TokenClaims,
        path: shapes.NotificationPath,
        body: shapes.MarkRequest,
    ) -> Response:
        return json_of(_view(await mark(caller, path.id, body.status)))

    async def redeliver_endpoint(
        request: Request, caller: TokenClaims, path: shapes.NotificationPath
    ) -> Response:
        return json_of(_view(await redeliver(caller, path.id)), status=202)

    return [
        Endpoint(send_op, send_endpoint, verify),
        Endpoint(list_op, list_endpoint, verify),
        Endpoint(get_op, get_endpoint, verify),
        Endpoint(mark_op, patch_endpoint, verify),
        Endpoint(REDELIVER, redeliver_endpoint, verify),
    ]
