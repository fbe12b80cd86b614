"""Ballast on a Redis Cluster while the slots holding its keys move between masters (live
resharding, as `redis-cli --cluster reshard` does it): commands meet ASK while a slot is
half moved and MOVED once it is assigned. Under a small mixed load over two instances: no
5xx, revoked stays revoked, every accepted notification reads back afterwards, and Ballast
never leaves Redis for its fallbacks: resharding is not an outage."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import pytest
import redis
from starlette.testclient import TestClient

from adapters.failover.link import RedisLink
from adapters.redis import keys
from adapters.redis.client import make_client
from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import Settings
from tests.chaos.workload import Workload
from tests.fakes import fast_hasher
from tests.redis_server import RedisServer
from tests.redis_topologies import Cluster
from tests.support.apps import bearer, redis_settings

pytestmark = [pytest.mark.redis, pytest.mark.slow]

# The slots of the keys the workload touches: revocations, the user, its refresh families,
# the auth event log (a script over two keys), the admin's inbox, the pending set.
MOVED_KEYS = (
    keys.revocation("token", "x"),
    keys.user("admin"),
    keys.user_families("admin"),
    keys.EVENTS,
    keys.inbox("admin"),
    keys.PENDING,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster(replicas=True).start()
    yield cluster
    cluster.stop()


def redirection(server: RedisServer, key: str) -> str | None:
    """What `server` answers a read of `key` with: "ASK", "MOVED" or None (the value)."""
    with server.client() as c:
        try:
            c.get(key)
        except redis.exceptions.MovedError:  # a subclass of AskError in redis-py
            return "MOVED"
        except redis.exceptions.AskError:
            return "ASK"
    return None


def patient(url: str) -> Settings:
    """Timeouts far above what a loaded test machine needs: a breaker that opens here
    means Redis refused (TRYAGAIN, a redirection loop), not that the machine was slow."""
    settings = redis_settings(url)
    assert settings.redis is not None
    timeouts = {"command_timeout": 3.0, "connect_timeout": 3.0, "heartbeat_timeout": 3.0}
    return attrs.evolve(settings, redis=attrs.evolve(settings.redis, **timeouts))


@contextmanager
def instance(url: str) -> Iterator[tuple[TestClient, RedisLink]]:
    container = bootstrap(patient(url), {PasswordHasher: fast_hasher()})
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client, container.resolve(RedisLink)


def test_slots_moved_between_masters_under_load_are_no_outage(cluster: Cluster) -> None:
    with (
        instance(cluster.url) as (a, link_a),
        instance(f"redis+cluster://127.0.0.1:{cluster.nodes[1].port}") as (b, link_b),
    ):
        work = Workload([a, b], refresh=True)
        for _ in range(4):
            work.step()
        asked: set[int] = set()
        masters = cluster.masters()
        for key in MOVED_KEYS:
            slot = cluster.slot_of(key)
            source = cluster.master_of_slot(slot)
            target = masters[(masters.index(source) + 1) % len(masters)]

            def between(key: str = key, slot: int = slot, source: RedisServer = source) -> None:
                # While the slot is open, its source sends a key it lacks on with ASK.
                if redirection(source, f"{key}:absent") == "ASK":
                    asked.add(slot)
                work.step()

            cluster.migrate_slot(slot, target, between)
            assert cluster.master_of_slot(slot) is target
        for _ in range(3):
            work.step()

        assert asked == {cluster.slot_of(key) for key in MOVED_KEYS}
        assert work.server_errors == 0, work.statuses
        assert len(work.revoked) >= 20 and len(work.accepted) >= 20
        assert work.revoked_accepted() == 0
        assert work.accepted_missing() == 0
        assert a.get("/api/auth/me", headers=bearer(work.kept)).status_code == 200
        # Served by Redis throughout: no breaker opened, nothing fell back or was journaled.
        for link in (link_a, link_b):
            assert link.breaker.opened == 0
            assert link.counters.fallback_ops == {}
            assert link.journal.replayed == 0


def test_a_key_half_way_through_a_migration_is_read_through_a_client_with_idle_connections(
    cluster: Cluster,
) -> None:
    """ASK is followed by ASKING and the command on one connection, however many idle
    connections the client holds to the slot's target."""
    key = keys.user("asked")
    slot = cluster.slot_of(key)
    source = cluster.master_of_slot(slot)
    masters = cluster.masters()
    target = masters[(masters.index(source) + 1) % len(masters)]
    on_target = next(
        k for k in (keys.user(f"u{i}") for i in range(1000)) if cluster.master_of(k) is target
    )
    with source.client() as c:
        c.set(key, "v")

    async def read() -> str | None:
        client = make_client(cluster.url, 3.0, 3.0)
        try:
            await client.initialize()
            # Several connections to the target, idle once these are answered.
            await asyncio.gather(*(client.get(on_target) for _ in range(8)))
            value: str | None = await client.get(key)
            return value
        finally:
            await client.aclose()

    read_back: list[str | None] = []
    answers: list[str | None] = []

    def between() -> None:
        answers.append(redirection(source, key))
        read_back.append(asyncio.run(read()))

    cluster.migrate_slot(slot, target, between)

    # Slot open, key still there; key moved, slot still open; slot assigned to the target.
    assert answers == [None, "ASK", "MOVED"]
    assert read_back == ["v", "v", "v"]
