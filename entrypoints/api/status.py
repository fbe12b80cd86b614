"""GET /status: one HTML page that tells an operator how this Ballast is doing, at a glance.

Drawn only from what `/health` and `/metrics` already expose (status_page.py), rendered on
the server (readable without JavaScript), with no external assets and a strict
Content-Security-Policy (status_assets.py); a small script fetches the page again every 2 s
and swaps it in. Requests/s and 5xx/s over the last 10 minutes are sampled every 5 s from the
request counter (../status_history.py). The metrics are read in a thread, never on the event
loop: a scrape of many series costs the page its time, not every other request.
"""

from collections.abc import Callable

import punq
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from application.health import CheckHealth
from entrypoints.api.health_routes import report_json
from entrypoints.api.status_assets import HEADERS, SCRIPT, STYLE
from entrypoints.api.status_page import render
from entrypoints.http.contract import Endpoint, Operation
from entrypoints.settings import Settings
from entrypoints.status_history import Metrics, StatusHistory


def _page_op(
    path: str, operation_id: str, summary: str, media: str, errors: tuple[int, ...]
) -> Operation:
    return Operation(
        "GET",
        path,
        operation_id,
        summary,
        "operations",
        response=str,
        media=media,
        secured=False,
        errors=errors,
        example="",
    )


def routes(container: punq.Container, authorize: Callable[[Request], None]) -> list[Endpoint]:
    """The page and its two files; `authorize` is /metrics' token check (BALLAST_METRICS_TOKEN),
    since the page shows what /metrics does."""
    check: CheckHealth = container.resolve(CheckHealth)
    history: StatusHistory = container.resolve(StatusHistory)

    async def page(request: Request) -> Response:
        authorize(request)
        health = report_json(await check())
        metrics = await Metrics.sampled()
        history.observe(metrics)
        return HTMLResponse(render(health, metrics, history), headers=HEADERS)

    async def script(request: Request) -> Response:
        return Response(SCRIPT, media_type="text/javascript", headers=HEADERS)

    async def style(request: Request) -> Response:
        return Response(STYLE, media_type="text/css", headers=HEADERS)

    settings: Settings = container.resolve(Settings)
    locked = (401,) if settings.metrics_token else ()
    return [
        Endpoint(
            _page_op(
                "/status",
                "getStatusPage",
                "Live status page for operators (HTML; refreshes itself every 2 s): what /health"
                " and /metrics expose, at a glance",
                "text/html",
                locked,
            ),
            page,
        ),
        Endpoint(
            _page_op(
                "/status/status.js",
                "getStatusScript",
                "The status page's refresh script",
                "text/javascript",
                (),
            ),
            script,
        ),
        Endpoint(
            _page_op(
                "/status/status.css",
                "getStatusStyle",
                "The status page's style sheet",
                "text/css",
                (),
            ),
            style,
        ),
    ]
