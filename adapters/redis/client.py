"""The Redis client every adapter on a link shares, built from `REDIS_URL` (any of the forms
adapters/redis/url.py reads)."""

from collections.abc import Callable, Coroutine
from typing import Any

import attrs
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ResponseError

from adapters.redis.url import Topology, parse_redis_url


@attrs.frozen
class TlsFiles:
    """PEM files for TLS to Redis: a private CA, and a client certificate when the server
    asks for one (paths; checked readable when settings are read)."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


# The attribute naming the command an error reply answered (never its arguments: user data).
FAILED_COMMAND = "redis_command"
Execute = Callable[..., Coroutine[Any, Any, Any]]


def _names_failed_commands(execute: Execute) -> Execute:
    """Names on a refused command's error the command it answered: redis-py's error says
    only what the server replied, and the link logs which command was refused."""

    async def execute_command(self: Any, *args: Any, **options: Any) -> Any:
        try:
            return await execute(self, *args, **options)
        except ResponseError as e:
            name = args[0] if args else ""
            if isinstance(name, bytes):
                name = name.decode(errors="replace")
            setattr(e, FAILED_COMMAND, str(name).split(" ", 1)[0].upper())
            raise

    return execute_command


class Client(aioredis.Redis):
    """A single server's client."""

    execute_command = _names_failed_commands(aioredis.Redis.execute_command)


class ClusterClient(RedisCluster):
    """A cluster's client."""

    execute_command = _names_failed_commands(RedisCluster.execute_command)


class SentinelClient(aioredis.Redis):
    """The master's client, which also closes its connections to the sentinels."""

    execute_command = _names_failed_commands(aioredis.Redis.execute_command)

    watched_by: aioredis.Sentinel | None = None
    service: str | None = None  # the master's name at the sentinels

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        for sentinel in self.watched_by.sentinels if self.watched_by else []:
            await sentinel.aclose()


_take_new_connection = ClusterNode.acquire_connection


def _last_released_first(node: ClusterNode) -> Connection:
    """A cluster node's idle connection, the last released first (redis-py: the first).
    redis-py follows an ASK with ASKING and then the command: two calls on the target node
    that each take and give back an idle connection, with no task switch in between.
    Taken last released first, both use one connection, as ASKING requires. Taken oldest
    first, they use two as soon as the node has two idle connections, and the command,
    without ASKING, is sent back with MOVED to the slot's source, which answers ASK again,
    until redis-py gives up (TTL exhausted): every command on a moved key failed while
    its slot was being resharded."""
    if node._free:
        return node._free.pop()
    return _take_new_connection(node)


def _send_asking_on_the_same_connection() -> None:
    if ClusterNode.acquire_connection is not _last_released_first:
        ClusterNode.acquire_connection = _last_released_first  # type: ignore[method-assign,assignment]


def make_client(
    url: str, connect_timeout: float, command_timeout: float, tls: TlsFiles | None = None
) -> Any:
    """A client that never retries on its own: redis-py's default retries turn one call
    against a hung server into a minute of waiting. The breaker decides, not the client."""
    target = parse_redis_url(url)
    options: dict[str, Any] = {
        "socket_timeout": command_timeout,
        "socket_connect_timeout": connect_timeout,
        "retry": Retry(NoBackoff(), 0),
        "decode_responses": True,
        "max_connections": 64,
    }
    if target.tls:
        files = tls or TlsFiles()
        options |= {
            "ssl_ca_certs": files.ca_file,
            "ssl_certfile": files.cert_file,
            "ssl_keyfile": files.key_file,
        }
    if target.topology is Topology.SINGLE:
        return Client.from_url(url, health_check_interval=0, **options)
    credentials: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.topology is Topology.SENTINEL:
        if target.tls:
            options["ssl"] = True
        # The sentinels get the timeouts only: the URL's credentials are the data nodes'.
        sentinel = aioredis.Sentinel(
            list(target.nodes),
            socket_timeout=command_timeout,
            socket_connect_timeout=connect_timeout,
        )
        options.pop("max_connections")
        assert target.service is not None  # the URL parser requires one for Sentinel
        client: SentinelClient = sentinel.master_for(
            target.service,
            redis_class=SentinelClient,
            db=target.db,
            health_check_interval=0,
            **credentials,
            **options,
        )
        client.watched_by = sentinel
        client.service = target.service
        return client
    _send_asking_on_the_same_connection()
    # A MOVED reply (a slot was resharded) corrects that slot's entry and nothing more:
    # by default redis-py rebuilds its whole view every fifth MOVED, closing every
    # connection on the way, the revocation feed's subscription and commands in flight
    # included, which turns a routine resharding into an outage. A node that fails is
    # still found by the reinitialisation that a connection error triggers.
    return ClusterClient(
        startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
        reinitialize_steps=0,
        ssl=target.tls,
        **credentials,
        **options,
    )
