"""The Redis auth event log: a capped stream, paged by its entry ids. Plain: it raises redis
errors, the failover layer decides what an error means."""

from typing import Any

from adapters.redis import keys
from adapters.skipped_records import SkippedRecords
from domain.events import (
    REDIS_EVENT_CURSOR,
    AuthEvent,
    AuthEventPage,
    AuthEventType,
    own_event_cursor,
)

EVENTS_MAX = 10_000
EVENT_REPLAY_GUARD_TTL = 7 * 86_400

# The replay guard is one sorted set (event id -> when its guard ends), not a key per
# event: the slot of the log then holds two keys whatever the traffic, so resharding moves
# them together, and a script over both never meets a slot half moved (TRYAGAIN).
RECORD_EVENT = """
local at = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. at)
if redis.call('ZADD', KEYS[2], 'NX', at + ARGV[6], ARGV[1]) == 1 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[7], '*',
             'id', ARGV[1], 'type', ARGV[2], 'username', ARGV[3], 'at', ARGV[4], 'client', ARGV[5],
             'actor', ARGV[8])
end
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 1
"""


class RedisAuthEventLog:
    """A capped stream; a replayed event is written once (its id in the guard set). A page
    is XREVRANGE below the cursor (the last entry id shown, an exclusive bound): O(log n)
    to find its start wherever that is, then the page."""

    def __init__(self, client: Any, max_events: int = EVENTS_MAX) -> None:
        self._redis = client
        self._record = client.register_script(RECORD_EVENT)
        self._max = max_events
        self._skipped = SkippedRecords("auth_event")

    async def record(self, event: AuthEvent) -> None:
        await self._record(
            keys=[keys.EVENTS, keys.EVENTS_SEEN],
            args=[
                event.id,
                event.type.value,
                event.username,
                repr(event.at),
                event.client,
                EVENT_REPLAY_GUARD_TTL,
                self._max,
                event.actor,
            ],
        )

    async def page(self, limit: int, cursor: str | None = None) -> AuthEventPage:
        top = "+"
        cursor = own_event_cursor(cursor, REDIS_EVENT_CURSOR)
        if cursor is not None:
            if not any(int(part) for part in cursor.split("-")):
                return AuthEventPage((), None)  # nothing is older than 0-0
            top = f"({cursor}"
        # One more than the page says whether another follows, so the last page says so.
        entries = await self._redis.xrevrange(keys.EVENTS, max=top, min="-", count=limit + 1)
        shown = entries[:limit]
        events = []
        for entry_id, f in shown:
            try:
                event = AuthEvent(
                    f["id"],
                    AuthEventType(f["type"]),
                    f["username"],
                    float(f["at"]),
                    f["client"],
                    f.get("actor", ""),
                )
            except (KeyError, ValueError) as e:
                self._skipped.skip(entry_id, type(e).__name__)
                continue
            events.append(event)
        next_cursor = str(shown[-1][0]) if len(entries) > limit else None
        return AuthEventPage(tuple(events), next_cursor)
