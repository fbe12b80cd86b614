"""The adapter a contract suite runs against, picked by the kind of backend; and the
`backend` fixture over the kinds (all of them, or those a module's port has)."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

from adapters.failover.link import RedisLink
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer

KINDS = ("memory", "redis", "failover", "redis-cluster", "failover-cluster")


@attrs.define
class Backend:
    kind: str
    client: Any = None
    link: RedisLink | None = None

    def pick(
        self,
        memory: Callable[[], Any],
        redis: Callable[[Any], Any],
        failover: Callable[[RedisLink], Any],
    ) -> Any:
        if self.kind == "memory":
            return memory()
        if self.kind == "redis":
            return redis(self.client)
        assert self.link is not None
        return failover(self.link)


def backends(*kinds: str) -> Any:
    """The `backend` fixture, parametrised over `kinds`: the conftest's runs every kind; a
    module whose port only some kinds implement assigns its own (`backend = backends(...)`)
    rather than skipping the others."""
    unknown = set(kinds) - set(KINDS)
    assert not unknown, f"unknown backend kinds: {sorted(unknown)}"

    @pytest.fixture(params=list(kinds), name="backend")
    async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
        if request.param == "memory":
            yield Backend("memory")
            return
        kind, _, topology = request.param.partition("-")
        if topology == "cluster":
            url = request.getfixturevalue("redis_cluster").url
        else:
            server: RedisServer = request.getfixturevalue("redis_server")
            url = server.url
        client: Any = client_for(url, timeout=2.0)
        await client.flushall()
        if kind == "redis":
            yield Backend("redis", client=client)
        else:
            # A healthy server: the contract is about what Redis holds, so a generous
            # timeout (opening dozens of connections at once on a busy machine is not an
            # outage).
            async with started_link(url, command_timeout=2.0) as link:
                yield Backend("failover", client=client, link=link)
        await client.aclose()

    return backend
