"""The shared rate limiter and the instance census, each Lua: one round trip per exact
decision (the login limit), or one script call per sync interval carrying every key the
in-process limiter sends; atomic however many instances hit the same key. Times come from
the Redis server's clock (TIME), so instances with skewed clocks still agree. Keys: see
adapters/redis/keys.py."""

import asyncio
from typing import Any

from adapters.redis import keys
from adapters.redis.scripts import is_cluster
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

# The batched sync: for each key, adds the hits an instance let through since its last sync
# (all of them: what it let through beyond the limit is owed, not forgiven; the debt is capped
# at one period) and returns how far the key's arrival time lies ahead of now (us, >= 0).
# ARGV: period (us), count, hits of KEYS[1], then of KEYS[2], ... Returns one per key.
SYNC = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ahead = {}
for i, key in ipairs(KEYS) do
  local period = tonumber(ARGV[3 * i - 2])
  local count = tonumber(ARGV[3 * i - 1])
  local hits = tonumber(ARGV[3 * i])
  local tat = now
  local raw = redis.call('GET', key)
  if raw then tat = math.max(tonumber(raw), now) end
  if hits > 0 then
    tat = math.min(tat + hits * period / count, now + 2 * period)
    redis.call('SET', key, string.format('%.17g', tat), 'PX',
               math.max(1, math.ceil((tat - now) / 1000)))
  end
  ahead[i] = math.ceil(tat - now)
end
return ahead
"""
# Keys in one script call at most: the server runs nothing else while a script runs (about
# 1 to 4 us a key), so a sync of a thousand keys holds it a few milliseconds at most.
MAX_CALL_KEYS = 1000

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
    """GCRA in Redis: `hit` for an exact decision, `sync` for the in-process limiter's hits.

    A sync is one script call carrying every key (up to MAX_CALL_KEYS), not one per key. On
    a cluster a script's keys must share a slot, so a rate-limit key's hash tag is one of
    keys.RATE_LIMIT_BUCKETS buckets (by the key's CRC-32) and a sync is one call per bucket
    it touches, sent at once: at most 16 calls however many keys. Grouping the keys by their
    own slots instead would leave about one call per key (16,384 slots); redis-py refuses
    scripts in a cluster pipeline, and a script over several slots needs Redis 7 and a
    client that skips its own slot check. 16 buckets spread the limiter's keys over up to
    16 masters (its keys are small strings that expire within a period) while keeping the
    calls per sync few, as Gubernator's GLOBAL mode sends each owner peer one batch.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._hit = client.register_script(HIT)
        self._sync = client.register_script(SYNC)
        self._sharded = is_cluster(client)

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
        the server's now. One script call for them all (see the class), one round trip."""
        groups = self._groups(hits)
        if len(groups) == 1:
            return await self._call(groups[0])
        replies = await asyncio.gather(*(self._call(group) for group in groups))
        ahead: dict[str, float] = {}
        for group, reply in zip(groups, replies, strict=True):
            ahead.update(zip((key for key, _, _ in group), reply, strict=True))
        return [ahead[key] for key, _, _ in hits]

    def _groups(self, hits: list[tuple[str, Quota, int]]) -> list[list[tuple[str, Quota, int]]]:
        """The calls of a sync: its keys by bucket on a cluster, all of them elsewhere; at
        most MAX_CALL_KEYS each."""
        if self._sharded:
            buckets: dict[int, list[tuple[str, Quota, int]]] = {}
            for hit in hits:
                buckets.setdefault(keys.rate_limit_bucket(hit[0]), []).append(hit)
            together = list(buckets.values())
        else:
            together = [hits]
        return [
            group[start : start + MAX_CALL_KEYS]
            for group in together
            for start in range(0, len(group), MAX_CALL_KEYS)
        ]

    async def _call(self, group: list[tuple[str, Quota, int]]) -> list[float]:
        names: list[str] = []
        args: list[int] = []
        for key, quota, count in group:
            names.append(keys.rate_limit(key))
            args += (round(quota.period * MICRO), quota.count, count)
        ahead = await self._sync(keys=names, args=args)
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
