"""Fixtures shared by every test layer."""

from collections.abc import Iterator

import pytest

from tests.redis_server import RedisServer


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
