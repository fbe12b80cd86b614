"""Fixtures shared by every test layer."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from tests.redis_fixtures import client_for
from tests.redis_server import RedisServer

# No property here is about speed (speed is bench/'s business): an example that runs slowly on
# a loaded machine (CI shares two cores) is not a failure. Hypothesis's default 200 ms
# deadline made such runs fail at random.
settings.register_profile("ballast", deadline=None)
settings.load_profile("ballast")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One server for tests that only need a healthy Redis; flushed between tests by users."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A server this test alone may kill, hang and restart."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def empty_redis(redis_server: RedisServer) -> RedisServer:
    """The shared server, emptied for this test."""

    async def flush() -> None:
        client: Any = client_for(redis_server.url, timeout=2.0)
        await client.flushall()
        await client.aclose()

    asyncio.run(flush())
    return redis_server
