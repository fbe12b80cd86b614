"""Building blocks for tests against a real redis-server: clients and started links."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.redis.client import make_client


def client_for(url: str, timeout: float = 0.25) -> object:
    return make_client(url, timeout, timeout)


@asynccontextmanager
async def started_link(
    url: str, failures_to_open: int = 1, command_timeout: float = 0.25
) -> AsyncIterator[RedisLink]:
    """A link whose breaker opens at the first failure, so tests need not warm it up."""
    link = RedisLink(
        client_for(url, command_timeout), ReplayJournal(1000), command_timeout, failures_to_open
    )
    await link.start()
    try:
        yield link
    finally:
        await link.stop()
