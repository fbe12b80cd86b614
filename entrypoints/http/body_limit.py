"""Refuse request bodies over a size limit before they are read whole."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.problems import BodyTooLargeError, problem

MAX_BODY = 64 * 1024


class BodyLimitMiddleware:
    """A declared Content-Length over the limit is refused at once; an undeclared (chunked)
    body is counted as it arrives and refused when it passes the limit."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # In HTTP/1.x a request with neither Content-Length nor Transfer-Encoding has no
        # body: nothing to count (HTTP/2 may send one without either).
        announced = not scope.get("http_version", "1.1").startswith("1")
        for name, value in scope["headers"]:
            if name == b"transfer-encoding":
                announced = True
            if name != b"content-length":
                continue
            announced = True
            if not value.isdigit():
                await problem(400, "malformed-body", "Content-Length is not a number")(
                    scope, receive, send
                )
                return
            if int(value) > self.max_body:
                await self._refuse(scope, receive, send)
                return
        if not announced:
            await self.app(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLargeError(f"request body is over {self.max_body} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "body-too-large", f"request body is over {self.max_body} bytes")
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
