"""The Redis client every adapter on a link shares, built from `REDIS_URL`."""

from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


def make_client(url: str, connect_timeout: float, command_timeout: float) -> Any:
    """A client that never retries on its own: redis-py's default retries turn one call
    against a hung server into a minute of waiting. The breaker decides, not the client."""
    options: dict[str, Any] = {
        "socket_timeout": command_timeout,
        "socket_connect_timeout": connect_timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
        "decode_responses": True,
        "max_connections": 64,
    }
    scheme = urlsplit(url).scheme
    if scheme == "redis+sentinel":
        parts = urlsplit(url)
        nodes = [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) for h in parts.netloc.split(",")]
        service = parts.path.strip("/").split("/")[0] or "mymaster"
        sentinel = aioredis.Sentinel(
            nodes, socket_timeout=command_timeout, socket_connect_timeout=connect_timeout
        )
        options.pop("max_connections")
        return sentinel.master_for(service, **options)
    if scheme.endswith("+cluster"):
        from redis.asyncio.cluster import RedisCluster

        plain = url.replace("+cluster", "", 1)
        options.pop("health_check_interval")
        return RedisCluster.from_url(plain, **options)
    return aioredis.Redis.from_url(url, **options)
