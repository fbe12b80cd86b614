"""The health of a service that runs without Redis: nothing to check, by design."""

from domain.health import ComponentHealth, HealthStatus


class RedisNotConfiguredProbe:
    """Reports Redis as `not_configured`: the in-memory default is a healthy state."""

    name = "redis"

    async def check(self) -> ComponentHealth:
        return ComponentHealth(
            name=self.name,
            status=HealthStatus.PASS,
            component_type="datastore",
            observed_unit="ms",
            details={"mode": "not_configured", "breaker": "closed", "pending_replay": 0},
        )
