"""The health routes' shape: the IETF health-check format."""

from typing import Any, Literal

import attrs
import msgspec

HealthStatus = Literal["pass", "warn", "fail"]


@attrs.frozen
class Health:
    """IETF health-check format (draft-inadarei-api-health-check): `checks` per component."""

    status: HealthStatus
    version: str | msgspec.UnsetType = msgspec.UNSET
    output: str | msgspec.UnsetType = msgspec.UNSET
    checks: dict[str, list[dict[str, Any]]] | msgspec.UnsetType = msgspec.UNSET


HEALTH_EXAMPLE = Health(
    status="pass",
    version="0.2.0",
    checks={"redis:connection": [{"status": "pass", "componentType": "datastore"}]},
)
