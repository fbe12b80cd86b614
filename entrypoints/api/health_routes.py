"""Health, liveness and readiness (IETF health-check format)."""

from typing import Any

import punq
from starlette.requests import Request
from starlette.responses import Response

from application.health import CheckHealth, HealthReport
from domain.health import HealthStatus
from entrypoints.api.health_shapes import HEALTH_EXAMPLE, Health
from entrypoints.http.contract import Endpoint, Operation
from entrypoints.http.json_body import JsonResponse
from entrypoints.lifecycle import Lifecycle
from entrypoints.version import ballast_version

HEALTH_MEDIA = "application/health+json"
OPS = "operations"
HEALTH = Operation(
    "GET",
    "/health",
    "getHealth",
    "Health in the IETF health-check format",
    OPS,
    response=Health,
    media=HEALTH_MEDIA,
    also_ok=((503, "A dependency needed under fail_closed is down"),),
    secured=False,
    example=HEALTH_EXAMPLE,
)
LIVE = Operation(
    "GET",
    "/health/live",
    "getLiveness",
    "Liveness",
    OPS,
    response=Health,
    media=HEALTH_MEDIA,
    secured=False,
    example=Health(status="pass"),
)
READY = Operation(
    "GET",
    "/health/ready",
    "getReadiness",
    "Readiness: 503 only when a fail_closed dependency is down or shutting down",
    OPS,
    response=Health,
    media=HEALTH_MEDIA,
    also_ok=((503, "Not ready: shutting down, or a fail_closed dependency is down"),),
    secured=False,
    example=Health(status="pass"),
)


class HealthResponse(JsonResponse):
    media_type = HEALTH_MEDIA


def report_json(report: HealthReport) -> dict[str, Any]:
    checks: dict[str, list[dict[str, Any]]] = {}
    for c in report.checks:
        entry: dict[str, Any] = {"status": c.status.value, "componentType": c.component_type}
        if c.observed_unit is not None:
            entry["observedValue"] = c.observed_value
            entry["observedUnit"] = c.observed_unit
        entry.update(c.details)
        checks.setdefault(c.name, []).append(entry)
    return {"status": report.status.value, "version": ballast_version(), "checks": checks}


def routes(container: punq.Container) -> list[Endpoint]:
    check: CheckHealth = container.resolve(CheckHealth)
    lifecycle: Lifecycle = container.resolve(Lifecycle)
    no_store = {"Cache-Control": "no-store"}

    async def health(request: Request) -> Response:
        report = await check()
        status = 503 if report.status is HealthStatus.FAIL else 200
        return HealthResponse(report_json(report), status_code=status, headers=no_store)

    async def live(request: Request) -> Response:
        return HealthResponse({"status": "pass"}, headers=no_store)

    async def ready(request: Request) -> Response:
        if lifecycle.shutting_down:
            return HealthResponse({"status": "fail", "output": "shutting down"}, 503, no_store)
        report = await check()
        status = 503 if report.status is HealthStatus.FAIL else 200
        return HealthResponse({"status": report.status.value}, status, no_store)

    return [Endpoint(HEALTH, health), Endpoint(LIVE, live), Endpoint(READY, ready)]
