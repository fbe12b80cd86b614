"""Health check results in the shape of the IETF health-check draft."""

import enum
from typing import Any

import attrs


class HealthStatus(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @staticmethod
    def worst(statuses: list["HealthStatus"]) -> "HealthStatus":
        order = [HealthStatus.PASS, HealthStatus.WARN, HealthStatus.FAIL]
        return max(statuses, key=order.index, default=HealthStatus.PASS)


@attrs.frozen
class ComponentHealth:
    """One component's check; `details` holds component-specific fields (mode, breaker, ...)."""

    name: str
    status: HealthStatus
    component_type: str
    observed_value: float | None = None
    observed_unit: str | None = None
    details: dict[str, Any] = attrs.field(factory=dict)
