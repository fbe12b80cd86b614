"""Which server answers: its run id, and the master the sentinels announce. Either changing
means another server (a restart, a promoted replica), whose recovery runs again the recent
writes it may lack (see RedisLink)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from adapters.failover.redis_errors import LINK_ERRORS, is_outage
from adapters.redis.client import SentinelClient

log = logging.getLogger("ballast.failover")
Address = tuple[str, int]


class SentinelMaster:
    """The master the sentinels announce now: None if the client is not on Sentinel, or if
    no sentinel answers in time (a sentinel's trouble is not the data server's)."""

    def __init__(self, client: Any, timeout: float) -> None:
        self._client = client if isinstance(client, SentinelClient) else None
        self.timeout = timeout

    async def announced(self) -> Address | None:
        client = self._client
        if client is None or client.watched_by is None or client.service is None:
            return None
        try:
            async with asyncio.timeout(self.timeout):
                host, port = await client.watched_by.discover_master(client.service)
        except LINK_ERRORS as e:
            log.debug("event=sentinel_lookup_failed error=%s", type(e).__name__)
            return None
        return str(host), int(port)


class ServerIdentity:
    """The run id of the server that answered last, and the master announced then. A
    cluster's nodes each have a run id, so a cluster only pings (its failovers show as
    failed calls); so does a user that may not run INFO."""

    def __init__(self, client: Any, sentinel: SentinelMaster) -> None:
        self.client = client
        self.sentinel = sentinel
        self.run_id: str | None = None
        self.announced: Address | None = None
        self._can_identify = not isinstance(client, RedisCluster)

    async def ask(self) -> str | None:
        """The answering server's run id (None where it cannot be had: a PING instead)."""
        if self._can_identify:
            try:
                info = await self.client.info("server")
                return str(info["run_id"])
            except (ResponseError, KeyError) as e:
                if isinstance(e, ResponseError) and is_outage(e):
                    raise
                self._can_identify = False
                log.warning("event=redis_identity_unavailable error=%s", type(e).__name__)
        await self.client.ping()
        return None

    def changed(self, run_id: str | None, announced: Address | None) -> bool:
        """True when another server answers than before, or the sentinels announce another
        master (the first values seen are the ones compared with)."""
        if self.run_id is None:
            self.run_id = run_id
        if self.announced is None:
            self.announced = announced
        return run_id != self.run_id or announced not in (None, self.announced)

    async def renew(
        self, bounded: Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]
    ) -> bool:
        """Asked afresh at recovery (each call through `bounded`): False only when the same
        server as before is known to answer."""
        previous, self.run_id = self.run_id, None
        with contextlib.suppress(*LINK_ERRORS):
            self.run_id = await bounded(self.ask)
        self.announced = await self.sentinel.announced()
        return self.run_id is None or self.run_id != previous
