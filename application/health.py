"""The service's health: the worst of its probes."""

import asyncio

import attrs

from domain.health import ComponentHealth, HealthStatus
from domain.ports import HealthProbe


@attrs.frozen
class HealthReport:
    status: HealthStatus
    checks: list[ComponentHealth]


@attrs.define
class CheckHealth:
    """Runs every probe concurrently; a probe answers within its own timeout."""

    probes: list[HealthProbe]

    async def __call__(self) -> HealthReport:
        checks = list(await asyncio.gather(*(p.check() for p in self.probes)))
        return HealthReport(HealthStatus.worst([c.status for c in checks]), checks)
