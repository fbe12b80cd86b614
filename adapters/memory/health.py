"""The health of a service that runs without Redis: nothing to check, by design."""

from adapters.memory.bounds import DroppedEntries
from domain.health import ComponentHealth, HealthStatus


class RedisNotConfiguredProbe:
    """Reports Redis as `not_configured`: the in-memory default is a healthy state. What the
    memory adapters dropped (when they did) is under `dropped`."""

    name = "redis"

    def __init__(self, dropped: DroppedEntries | None = None) -> None:
        self._dropped = dropped or DroppedEntries()

    async def check(self) -> ComponentHealth:
        details: dict[str, object] = {
            "mode": "not_configured",
            "breaker": "closed",
            "pending_replay": 0,
        }
        if dropped := self._dropped.nonzero():
            details["dropped"] = dropped
        return ComponentHealth(
            name=self.name,
            status=HealthStatus.PASS,
            component_type="datastore",
            observed_unit="ms",
            details=details,
        )
