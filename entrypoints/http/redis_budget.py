"""One Redis budget per HTTP request: however many Redis calls a request makes, it waits on
Redis one command timeout in total at most; after that (after its first timeout, at the
latest) its remaining calls go straight to the fallbacks.

A pure ASGI middleware: it only sets the request's budget in the context its calls run in.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.failover.link import request_budget


class RedisBudgetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with request_budget():
            await self.app(scope, receive, send)
