"""Every adapter of a port passes the same suite: memory, redis and failover alike, the
Redis ones on one server and on a cluster.

A suite asks for `backend` (parametrised over the kinds) and builds its port's adapter from
it with `backend.pick(memory=..., redis=..., failover=...)`.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.contract.backends import Backend
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer
from tests.redis_topologies import Cluster

KINDS = ["memory", "redis", "failover", "redis-cluster", "failover-cluster"]


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[Cluster]:
    """Three masters without replicas: enough to spread keys over slots and nodes."""
    cluster = Cluster(replicas=False).start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=KINDS)
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
        # A healthy server: the contract is about what Redis holds, so a generous timeout
        # (opening dozens of connections at once on a busy machine is not an outage).
        async with started_link(url, command_timeout=2.0) as link:
            yield Backend("failover", client=client, link=link)
    await client.aclose()
