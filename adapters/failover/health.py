"""The `redis` health check: latency, mode, breaker state, writes waiting for replay, and
what the memory fallbacks dropped (only when they did)."""

from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.memory.bounds import DroppedEntries
from domain.health import ComponentHealth, HealthStatus


class RedisHealthProbe:
    """`warn` while serving from fallbacks (still ready); `fail` only when a capability
    configured `fail_closed` cannot serve."""

    name = "redis"

    def __init__(
        self,
        link: RedisLink,
        journal: ReplayJournal,
        fail_closed: tuple[str, ...] = (),
        dropped: DroppedEntries | None = None,
    ) -> None:
        self._link = link
        self._journal = journal
        self._fail_closed = fail_closed
        self._dropped = dropped or DroppedEntries()

    async def check(self) -> ComponentHealth:
        latency = await self._link.ping_ms()
        up = latency is not None
        if up:
            status = HealthStatus.PASS
        else:
            status = HealthStatus.FAIL if self._fail_closed else HealthStatus.WARN
        details: dict[str, object] = {
            "mode": "primary" if up else "fallback",
            "breaker": self._link.breaker.state.value,
            "pending_replay": len(self._journal),
        }
        if dropped := self._dropped.nonzero():
            details["dropped"] = dropped
        if not up and self._fail_closed:
            details["output"] = "down; fail_closed: " + ", ".join(self._fail_closed)
        return ComponentHealth(
            name=self.name,
            status=status,
            component_type="datastore",
            observed_value=latency,
            observed_unit="ms",
            details=details,
        )
