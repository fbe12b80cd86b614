"""The local client registry replica: a grant never waits on Redis, and an outage never
brings back a client disabled or deleted before it."""

import logging

from adapters.failover.core import Failover
from adapters.failover.feed import Feed
from adapters.failover.link import RedisLink
from adapters.memory.clients import MemoryClientRegistry
from adapters.redis.clients import ClientRecord, RedisClientRegistry
from domain.clients import Client, ClientPage
from domain.errors import ConflictError, DependencyUnavailableError
from domain.ports import Clock

log = logging.getLogger("ballast.failover")

# A tombstone is kept this long: longer than any outage an instance could come back from
# still holding the deleted client.
TOMBSTONE_KEEP = 30 * 86_400


class ReplicatedClientRegistry:
    """Every instance holds every client in memory, as the revocations are held.

    Filled from Redis at start and on every recovery (which also writes back what Redis
    lacks or holds an older version of, e.g. after it restarted empty), and kept current by
    pub/sub in between. Every change is a versioned record (a deletion a tombstone), so the
    newest wins wherever it arrives from. With Redis down a change is applied here and
    journaled (refused under fail_closed, and then so are grants).
    """

    def __init__(
        self,
        redis: RedisClientRegistry,
        replica: MemoryClientRegistry,
        failover: Failover,
        link: RedisLink,
        clock: Clock,
    ) -> None:
        self._redis, self._replica, self._failover = redis, replica, failover
        self._link, self._clock = link, clock
        self._versions: dict[str, float] = {}
        self._tombstones: dict[str, float] = {}
        self._feed = Feed(
            link, "client_feed", lambda subscribed: redis.listen(subscribed, self._on_record)
        )

    async def get(self, client_id: str) -> Client | None:
        if self._failover.fail_closed and not self._link.is_up:
            raise DependencyUnavailableError("redis (clients)", self._failover.retry_after)
        return await self._replica.get(client_id)

    async def add(self, client: Client) -> None:
        if await self._replica.get(client.client_id) is not None:
            raise ConflictError("client", client.client_id)
        await self._change(client.client_id, client)

    async def put(self, client: Client) -> None:
        await self._change(client.client_id, client)

    async def remove(self, client_id: str) -> None:
        await self._change(client_id, None)

    async def page(self, limit: int, after: str | None) -> ClientPage:
        return await self._replica.page(limit, after)

    async def configured_ids(self) -> set[str]:
        return await self._replica.configured_ids()

    async def _change(self, client_id: str, client: Client | None) -> None:
        version = max(self._clock.now(), self._versions.get(client_id, 0.0) + 1e-6)
        record = ClientRecord(client_id, version, client)

        async def primary() -> None:
            await self._redis.put(record)
            await self._apply(record)

        async def fallback() -> None:
            await self._apply(record)

        await self._failover.write(
            primary, fallback, ("put_client", lambda: self._redis.put(record))
        )

    async def _apply(self, record: ClientRecord) -> None:
        """A record into the replica, when newer than what it holds."""
        if record.version <= self._versions.get(record.client_id, -1.0):
            return
        self._versions[record.client_id] = record.version
        if record.client is None:
            await self._replica.remove(record.client_id)
            self._tombstones[record.client_id] = record.version
        else:
            self._tombstones.pop(record.client_id, None)
            await self._replica.put(record.client)

    def _records(self) -> list[ClientRecord]:
        live = [
            ClientRecord(c.client_id, self._versions.get(c.client_id, 0.0), c)
            for c in self._replica.all()
        ]
        dead = [ClientRecord(i, v, None) for i, v in self._tombstones.items()]
        return live + dead

    @property
    def replica(self) -> MemoryClientRegistry:
        return self._replica

    async def resync(self) -> None:
        """Recovery hook: subscribe, then load, then write back (like the revocations)."""
        await self._feed.start()
        loaded = await self._link.raw(self._redis.load)
        for record in loaded:
            await self._apply(record)
        old = self._clock.now() - TOMBSTONE_KEEP
        expired = [i for i, v in self._tombstones.items() if v < old]
        for client_id in expired:
            del self._tombstones[client_id]
            self._versions.pop(client_id, None)
        await self._link.raw(lambda: self._redis.forget(expired))
        local = self._records()
        await self._link.raw(lambda: self._redis.write_back(local))
        log.info("event=clients_synced loaded=%d local=%d", len(loaded), len(local))

    async def _on_record(self, record: ClientRecord) -> None:
        await self._link.supervisor.attempt("client_feed", lambda: self._apply(record))

    async def stop(self) -> None:
        await self._feed.stop()
