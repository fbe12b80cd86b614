"""Every adapter of a port passes the same suite: memory, redis and failover alike, the
Redis ones on one server and on a cluster.

A suite asks for `backend` (parametrised over the kinds) and builds its port's adapter from
it with `backend.pick(memory=..., redis=..., failover=...)`. A module whose port only some
kinds implement overrides the fixture with `backend = backends(<those kinds>)`.
"""

from collections.abc import Iterator

import pytest

from tests.contract.backends import KINDS, backends
from tests.redis_topologies import Cluster


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[Cluster]:
    """Three masters without replicas: enough to spread keys over slots and nodes."""
    cluster = Cluster(replicas=False).start()
    yield cluster
    cluster.stop()


backend = backends(*KINDS)
