"""The operational routes: /metrics, /docs and the status page."""

import attrs
import punq

from entrypoints import metrics
from entrypoints.access_log import AccessLog
from entrypoints.api import status
from entrypoints.http import docs
from entrypoints.http.contract import Endpoint, Operation
from entrypoints.settings import Settings

METRICS = Operation(
    "GET",
    "/metrics",
    "getMetrics",
    "Prometheus metrics (text exposition format), names prefixed ballast_",
    "operations",
    response=str,
    media="text/plain",
    secured=False,
    example="ballast_redis_up 1.0\n",
)


def routes(container: punq.Container) -> list[Endpoint]:
    exporter: metrics.StateExporter = container.resolve(metrics.StateExporter)
    access_log: AccessLog = container.resolve(AccessLog)
    token = container.resolve(Settings).metrics_token
    # With BALLAST_METRICS_TOKEN the handler itself asks for that bearer token (not a JWT).
    metrics_op = attrs.evolve(METRICS, errors=(401,)) if token else METRICS
    return [
        Endpoint(metrics_op, metrics.endpoint(exporter, token, access_log.flush)),
        *docs.endpoints(),
        *status.routes(container, metrics.token_check(token)),
    ]
