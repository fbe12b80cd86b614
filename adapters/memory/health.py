"""Health of what lives in process memory: Redis when not configured (nothing to check, by
design), and the revocation list every token is checked against."""

from adapters.memory.auth import MemoryRevocationList
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


class RevocationsProbe:
    """`warn` once the in-memory revocation list holds more than its bound: it keeps every
    unexpired revocation (so a revoked token stays revoked) and grows instead, which the
    operator should know about before memory runs short."""

    name = "revocations"

    def __init__(self, revocations: MemoryRevocationList) -> None:
        self._revocations = revocations

    async def check(self) -> ComponentHealth:
        held, bound = len(self._revocations), self._revocations.bound
        over = self._revocations.over_bound
        details: dict[str, object] = {"bound": bound}
        if over:
            details["output"] = f"{held} revocations held, over the bound of {bound}; none dropped"
        return ComponentHealth(
            name=self.name,
            status=HealthStatus.WARN if over else HealthStatus.PASS,
            component_type="component",
            observed_value=held,
            observed_unit="revocations",
            details=details,
        )
