"""HTTP routes of the notifications capability."""

import punq
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from application.auth.tokens import VerifyToken
from application.notifications.read import GetNotification, ListNotifications, MarkNotificationRead
from application.notifications.redeliver import RedeliverNotification
from application.notifications.send import SendNotification
from entrypoints.http.requests import authenticate, int_param, json_object


def routes(container: punq.Container) -> list[Route]:
    verify: VerifyToken = container.resolve(VerifyToken)
    send: SendNotification = container.resolve(SendNotification)
    get: GetNotification = container.resolve(GetNotification)
    list_mine: ListNotifications = container.resolve(ListNotifications)
    mark: MarkNotificationRead = container.resolve(MarkNotificationRead)
    redeliver: RedeliverNotification = container.resolve(RedeliverNotification)

    async def send_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        body = await json_object(request)
        sent = await send(
            caller,
            recipient=body.get("recipient"),
            channel=body.get("channel"),
            subject=body.get("subject"),
            body=body.get("body"),
            target=body.get("target"),
            metadata=body.get("metadata"),
            idempotency_key=request.headers.get("idempotency-key"),
        )
        notification = sent.notification
        return JSONResponse(
            notification.public(),
            status_code=202 if sent.created else 200,
            headers={"Location": f"/api/notifications/{notification.id}"},
        )

    async def get_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        notification = await get(caller, request.path_params["id"])
        return JSONResponse(notification.public())

    async def list_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        page = await list_mine(
            caller,
            status=request.query_params.get("status") or None,
            limit=int_param(request, "limit", 20),
            cursor=request.query_params.get("cursor") or None,
        )
        return JSONResponse(
            {
                "items": [n.public() for n in page.items],
                "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
            }
        )

    async def patch_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        body = await json_object(request)
        notification = await mark(caller, request.path_params["id"], body.get("status"))
        return JSONResponse(notification.public())

    async def redeliver_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        notification = await redeliver(caller, request.path_params["id"])
        return JSONResponse(notification.public(), status_code=202)

    return [
        Route("/api/notifications", send_endpoint, methods=["POST"]),
        Route("/api/notifications", list_endpoint, methods=["GET"]),
        Route("/api/notifications/{id}", get_endpoint, methods=["GET"]),
        Route("/api/notifications/{id}", patch_endpoint, methods=["PATCH"]),
        Route("/api/notifications/{id}/redeliver", redeliver_endpoint, methods=["POST"]),
    ]
