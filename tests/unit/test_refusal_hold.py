"""An address looping on refused password checks over many connections is held back: a
refused check with another check of its address in flight waits before its 429 (a bounded
number at once), while a lone refused check is answered at once."""

import asyncio
import json
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from application.auth.tokens import VerifyToken
from application.rate_limits import CheckRateLimits
from domain.ports import PasswordHasher
from entrypoints.bootstrap import bootstrap
from entrypoints.http.rate_limiting import RateLimitMiddleware
from entrypoints.settings import RateLimit
from tests.fakes import fast_hasher
from tests.support.apps import settings

pytestmark = pytest.mark.anyio
FOREVER = 3600.0  # a held check is still held when the test looks


async def _served(scope: Scope, receive: Receive, send: Send) -> None:
    return None


def _middleware(max_held: int) -> RateLimitMiddleware:
    container = bootstrap(settings(), {PasswordHasher: fast_hasher()})
    return RateLimitMiddleware(
        _served,
        check=container.resolve(CheckRateLimits),
        verify=container.resolve(VerifyToken),
        default=None,
        login=RateLimit(1, 3600),
        hold=FOREVER,
        max_held=max_held,
    )


async def _login(middleware: RateLimitMiddleware, address: str = "198.51.100.7") -> int:
    """The status the middleware answers (0: it let the login through to the app)."""
    body = json.dumps({"username": "mallory", "password": "wrong-password"}).encode()

    async def receive() -> Message:
        await asyncio.sleep(0)  # the body comes from the network: others run meanwhile
        return {"type": "http.request", "body": body, "more_body": False}

    status = 0

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/api/auth/login",
        "headers": [],
        "client": (address, 40000),
    }
    await middleware(scope, receive, send)  # no edge around it: it works alone too
    return status


async def test_a_lone_refused_check_is_answered_at_once() -> None:
    middleware = _middleware(max_held=3)
    assert await _login(middleware) == 0  # the one the limit allows

    assert await asyncio.wait_for(_login(middleware), FOREVER / 2) == 429
    assert middleware.held == 0


async def test_concurrent_refused_checks_of_one_address_are_held_up_to_the_bound() -> None:
    middleware = _middleware(max_held=3)
    await _login(middleware)
    storm = [asyncio.ensure_future(_login(middleware)) for _ in range(8)]
    for _ in range(50):  # a few turns of the loop: every one reaches its decision
        await asyncio.sleep(0)

    answered = [t for t in storm if t.done()]
    other = asyncio.ensure_future(_login(middleware, "203.0.113.9"))
    await asyncio.wait([other])
    held = middleware.held
    for task in storm:
        task.cancel()
    await asyncio.gather(*storm, return_exceptions=True)

    assert held == 3  # the bound: the rest were answered at once
    assert len(answered) == 5
    assert all(t.result() == 429 for t in answered)
    assert other.result() == 0  # another address: its own limit, not held
    assert middleware.held == 0 and middleware._checking == {}
