"""One Redis budget per HTTP request: however many Redis calls a request makes, it waits on
Redis one command timeout in total at most; after that (after its first timeout, at the
latest) its remaining calls go straight to the fallbacks.

A pure ASGI middleware: it only sets the request's budget in the context its calls run in.
The budget itself is the failover layer's; the composition root hands it over.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager

import attrs
from starlette.types import ASGIApp, Receive, Scope, Send


@attrs.frozen
class RequestBudget:
    """Opens one request's Redis budget for the code that runs inside it."""

    open: Callable[[], AbstractContextManager[object]]


class RedisBudgetMiddleware:
    def __init__(self, app: ASGIApp, budget: RequestBudget) -> None:
        self.app = app
        self.budget = budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.budget.open():
            await self.app(scope, receive, send)
