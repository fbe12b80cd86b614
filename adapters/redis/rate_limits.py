"""The shared rate limiter and the instance census, each one Lua script: one round trip per
exact decision (the login limit), or one pipelined round trip per sync interval for every key
the in-process limiter touched; atomic however many instances hit the same key. Times come
from the Redis server's clock (TIME), so instances with skewed clocks still agree. Keys: see
adapters/redis/keys.py."""

from typing import Any

from adapters.redis import keys
from domain.rate_limits import Quota, RateDecision

MICRO = 1_000_000


# GCRA, as domain.rate_limits.gcra, in microseconds.
# ARGV: period (us), count. Returns {allowed, remaining, reset_after_us, retry_after_us}.
HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local interval = period / count
local tat = now
local raw = redis.call('GET', KEYS[1])
if raw then tat = math.max(tonumber(raw), now) end
local new_tat = tat + interval
local allow_at = new_tat - period
if allow_at > now then
  return {0, 0, math.ceil(tat - now), math.ceil(allow_at - now)}
end
redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX',
           math.max(1, math.ceil((new_tat - now) / 1000)))
local remaining = math.floor((period - (new_tat - now)) / interval + 1e-6)
return {1, remaining, math.ceil(new_tat - now), 0}
"""

# The batched sync of one key: adds the hits an instance let through since its last sync (all
# of them: what it let through beyond the limit is owed, not forgiven; the debt is capped at
# one period) and returns how far the key's arrival time lies ahead of now (us, >= 0).
# ARGV: period (us), count, hits. Single-key, so a pipeline of them is Cluster-safe.
SYNC = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local hits = tonumber(ARGV[3])
local tat = now
local raw = redis.call('GET', KEYS[1])
if raw then tat = math.max(tonumber(raw), now) end
if hits > 0 then
  tat = math.min(tat + hits * period / count, now + 2 * period)
  redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX',
             math.max(1, math.ceil((tat - now) / 1000)))
end
return math.ceil(tat - now)
"""

# ARGV: instance id, ttl (us). Announces the instance, forgets silent ones, returns the count.
HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000))
return redis.call('ZCARD', KEYS[1])
"""


class RedisRateLimiter:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._hit = client.register_script(HIT)
        self._sync = client.register_script(SYNC)

    async def hit(self, key: str, quota: Quota) -> RateDecision:
        period_us = round(quota.period * MICRO)
        allowed, remaining, reset_us, retry_us = await self._hit(
            keys=[keys.rate_limit(key)], args=[period_us, quota.count]
        )
        return RateDecision(
            allowed=bool(allowed),
            limit=quota.count,
            remaining=int(remaining),
            reset_after=int(reset_us) / MICRO,
            retry_after=int(retry_us) / MICRO,
        )

    async def sync(self, hits: list[tuple[str, Quota, int]]) -> list[float]:
        """Adds each key's hits; returns, per key, the seconds its arrival time lies ahead of
        the server's now. One pipeline: one round trip however many keys."""
        async with self._client.pipeline(transaction=False) as pipe:
            for key, quota, count in hits:
                args = [round(quota.period * MICRO), quota.count, count]
                await self._sync(keys=[keys.rate_limit(key)], args=args, client=pipe)
            ahead = await pipe.execute()
        return [int(us) / MICRO for us in ahead]


class RedisInstanceCensus:
    """Instances announce themselves; those silent for `ttl` seconds are no longer counted."""

    def __init__(self, client: Any, instance_id: str, ttl: float) -> None:
        self._redis = client
        self._heartbeat = client.register_script(HEARTBEAT)
        self.instance_id = instance_id
        self.ttl = ttl

    async def beat(self) -> int:
        """Announces this instance; returns how many are alive."""
        count = await self._heartbeat(
            keys=[keys.INSTANCES], args=[self.instance_id, round(self.ttl * MICRO)]
        )
        return int(count)

    async def leave(self) -> None:
        await self._redis.zrem(keys.INSTANCES, self.instance_id)
