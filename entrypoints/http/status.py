"""GET /status: one HTML page that tells an operator how this Ballast is doing, at a glance.

Drawn only from what `/health` and `/metrics` already expose (the health report and the
parsed metrics exposition), so it can never say more than they do. Rendered on the server
(readable without JavaScript), with no external assets and a strict Content-Security-Policy;
a small script from /status/status.js fetches the page again every 2 s and swaps it in.
Requests/s and 5xx/s over the last 10 minutes are sampled every 5 s from the request counter
and drawn as an inline SVG by Ballast itself.
"""

import datetime
import html
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable

import attrs
import punq
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from application.health import CheckHealth
from entrypoints.http.contract import Endpoint, Operation
from entrypoints.http.health_routes import report_json
from entrypoints.lifecycle import Lifecycle
from entrypoints.metrics import exposition
from entrypoints.settings import Settings

WINDOW = 600.0  # seconds of traffic the chart shows
SAMPLE_EVERY = 5.0
WIDTH, HEIGHT, PAD = 640, 160, 32

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

SCRIPT = """"use strict";
// Fetches the page again every 2 s and swaps the new <main> in; the page reads fine without it.
(function () {
  var refreshes = 0;
  function again() { window.setTimeout(refresh, 2000); }
  function refresh() {
    window.fetch(window.location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("status");
        var old = document.getElementById("status");
        if (fresh && old) {
          refreshes += 1;
          fresh.setAttribute("data-refreshes", String(refreshes));
          old.replaceWith(document.importNode(fresh, true));
        }
      })
      .catch(function () {
        var old = document.getElementById("status");
        if (old) { old.classList.add("unreachable"); }
      })
      .then(again, again);
  }
  again();
})();
"""

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1b1f24; }
main { max-width: 760px; margin: 0 auto; padding: 16px 20px 40px; }
main.unreachable { opacity: .55; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 15px; margin: 22px 0 6px; text-transform: uppercase; color: #57606a; }
.meta { color: #57606a; margin: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; }
.pass, .primary, .closed { background: #1a7f37; }
.warn, .fallback, .half_open { background: #bf8700; }
.fail, .open { background: #cf222e; }
.not_configured { background: #57606a; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d0d7de; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { background: #fff; border: 1px solid #d0d7de; max-width: 100%; height: auto; }
svg .req { stroke: #0969da; fill: none; stroke-width: 2; }
svg .err { stroke: #cf222e; fill: none; stroke-width: 2; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
svg text { font-size: 11px; fill: #57606a; }
.legend-req { color: #0969da; }
.legend-err { color: #cf222e; }
"""


@attrs.frozen
class Metrics:
    """The parsed /metrics exposition: sample values by name and labels."""

    samples: tuple[Sample, ...]

    @classmethod
    def read(cls) -> "Metrics":
        text = exposition().decode()
        return cls(tuple(s for f in text_string_to_metric_families(text) for s in f.samples))

    def total(self, name: str, match: Callable[[dict[str, str]], bool] = lambda _: True) -> float:
        return sum(s.value for s in self.samples if s.name == name and match(s.labels))

    def get(self, name: str) -> float | None:
        values = [s.value for s in self.samples if s.name == name]
        return max(values) if values else None

    def by(self, name: str, label: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.samples:
            if s.name == name and label in s.labels:
                out[s.labels[label]] = out.get(s.labels[label], 0.0) + s.value
        return out

    def named(self, word: str) -> dict[str, float]:
        """Every counter/gauge sample whose name holds `word`, keyed by name and labels."""
        out: dict[str, float] = {}
        for s in self.samples:
            if word in s.name and not s.name.endswith("_created"):
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
        return out


@attrs.frozen
class Replay:
    at: float
    writes: int
    seconds: float


class StatusHistory:
    """What the page remembers between renders: traffic samples for the chart, and the
    replays seen (the metrics keep only the last one)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.traffic: deque[tuple[float, float, float]] = deque(
            maxlen=int(WINDOW / SAMPLE_EVERY) + 2
        )
        self.replays: deque[Replay] = deque(maxlen=5)

    def observe(self, metrics: Metrics) -> None:
        now = self.clock()
        requests = metrics.total("ballast_http_requests_total")
        errors = metrics.total(
            "ballast_http_requests_total", lambda labels: labels.get("status", "").startswith("5")
        )
        if not self.traffic or now - self.traffic[-1][0] >= SAMPLE_EVERY / 2:
            self.traffic.append((now, requests, errors))
        at = metrics.get("ballast_replay_last_timestamp_seconds")
        if at and (not self.replays or self.replays[-1].at != at):
            writes = metrics.get("ballast_replay_last_writes") or 0
            seconds = metrics.get("ballast_replay_last_duration_seconds") or 0.0
            self.replays.append(Replay(at, int(writes), seconds))

    async def sample(self) -> None:
        self.observe(Metrics.read())

    def rates(self) -> list[tuple[float, float, float]]:
        """(time, requests/s, 5xx/s) between consecutive samples in the window."""
        now = self.clock()
        points = [p for p in self.traffic if now - p[0] <= WINDOW + SAMPLE_EVERY]
        out = []
        for (t0, r0, e0), (t1, r1, e1) in itertools.pairwise(points):
            dt = t1 - t0
            if dt > 0:
                out.append((t1, max(0.0, r1 - r0) / dt, max(0.0, e1 - e0) / dt))
        return out


def _rfc3339(at: float) -> str:
    moment = datetime.datetime.fromtimestamp(at, datetime.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(header: tuple[str, str], rows: Iterable[tuple[str, str]], empty: str) -> str:
    body = "".join(f"<tr><td>{_e(k)}</td><td class=n>{_e(v)}</td></tr>" for k, v in rows)
    if not body:
        return f"<p>{_e(empty)}</p>"
    return f"<table><tr><th>{_e(header[0])}</th><th>{_e(header[1])}</th></tr>{body}</table>"


def chart(rates: list[tuple[float, float, float]], now: float) -> str:
    """Requests/s and 5xx/s over the window as an inline SVG (no script, no external file)."""
    top = max([1.0, *(r for _, r, _ in rates)])
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def line(index: int) -> str:
        points = []
        for point in rates:
            x = PAD + inner_w * (1 - min(WINDOW, max(0.0, now - point[0])) / WINDOW)
            y = PAD + inner_h * (1 - point[index] / top)
            points.append(f"{x:.1f},{y:.1f}")
        return " ".join(points)

    last = rates[-1] if rates else (now, 0.0, 0.0)
    summary = f"now {last[1]:.2f} requests/s, {last[2]:.2f} 5xx/s"
    return (
        f'<svg id="traffic" role="img" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>Requests/s and 5xx/s over the last 10 minutes: {_e(summary)}</title>"
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" '
        f'y2="{HEIGHT - PAD}"/>'
        f'<line class="axis" x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}"/>'
        f'<text x="2" y="{PAD + 4}">{_e(_number(round(top, 2)))}</text>'
        f'<text x="2" y="{HEIGHT - PAD}">0</text>'
        f'<text x="{PAD}" y="{HEIGHT - 10}">-10 min</text>'
        f'<text x="{WIDTH - PAD - 20}" y="{HEIGHT - 10}">now</text>'
        f'<polyline class="req" points="{line(1)}"/>'
        f'<polyline class="err" points="{line(2)}"/>'
        "</svg>"
        f'<p><span class="legend-req">requests/s</span> and '
        f'<span class="legend-err">5xx/s</span>: {_e(summary)}</p>'
    )


def render(health: dict[str, object], metrics: Metrics, history: StatusHistory) -> str:
    now = history.clock()
    status = str(health.get("status", "unknown"))
    checks = health.get("checks")
    checks = checks if isinstance(checks, dict) else {}
    redis_checks = checks.get("redis") or [{}]
    redis = redis_checks[0] if isinstance(redis_checks[0], dict) else {}
    mode = str(redis.get("mode", "unknown"))
    breaker = str(redis.get("breaker", "none"))

    parts = [
        f'<main id="status" data-mode="{_e(mode)}" data-breaker="{_e(breaker)}" '
        f'data-status="{_e(status)}">',
        f'<h1>Ballast <span class="badge {_e(status)}">{_e(status)}</span></h1>',
        f'<p class="meta">version {_e(health.get("version", "?"))} · {_e(_rfc3339(now))} · '
        "this page refreshes itself every 2 s</p>",
        "<h2>Redis</h2>",
    ]
    rows = [("mode", f'<span class="badge {_e(mode)}">{_e(mode)}</span>')]
    if mode != "not_configured":
        since = metrics.get("ballast_redis_breaker_changed_timestamp_seconds")
        held = f" for {_duration(now - since)} (since {_rfc3339(since)})" if since else ""
        rows.append(("breaker", f'<span class="badge {_e(breaker)}">{_e(breaker)}</span>{held}'))
        depth = metrics.get("ballast_replay_journal_depth") or 0
        rows.append(("journal", f"{_e(_number(depth))} writes waiting for replay"))
        instances = metrics.get("ballast_instances")
        if instances is not None:
            rows.append(("instances", f"{_e(_number(instances))} seen through Redis"))
    parts.append(
        "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"
    )
    if mode != "not_configured":
        parts.append("<h2>Last replays</h2>")
        replays = [
            (
                _rfc3339(r.at),
                f"{r.writes} writes in {r.seconds:.3f} s",
            )
            for r in reversed(history.replays)
        ]
        parts.append(_table(("finished", "replayed"), replays, "none since this process started"))

    parts.append("<h2>Traffic, last 10 minutes</h2>")
    parts.append(chart(history.rates(), now))

    fallback = metrics.by("ballast_fallback_operations_total", "capability")
    parts.append("<h2>Fallback operations</h2>")
    parts.append(
        _table(
            ("capability", "operations"),
            ((k, _number(v)) for k, v in sorted(fallback.items())),
            "none: every operation went to Redis (or Redis is not configured)",
        )
    )
    dropped = {k: v for k, v in metrics.named("dropped").items()}
    parts.append("<h2>Dropped entries</h2>")
    parts.append(
        _table(
            ("metric", "dropped"),
            ((k, _number(v)) for k, v in sorted(dropped.items())),
            "none",
        )
    )

    parts.append("<h2>Rates</h2>")
    sources = metrics.by("ballast_rates_source", "source")
    source = next((k for k, v in sources.items() if v), "unknown")
    age = metrics.get("ballast_rates_age_seconds")
    age_text = "built-in table" if source == "fallback" or age is None else _duration(age)
    parts.append(_table(("table", "value"), [("source", source), ("age", age_text)], ""))

    parts.append("<h2>Notifications</h2>")
    outcomes = metrics.by("ballast_notification_deliveries_total", "outcome")
    pending = metrics.get("ballast_notification_deliveries_queued") or 0
    parts.append(
        _table(
            ("deliveries", "count"),
            [
                ("pending (queued in this process)", _number(pending)),
                ("failed (attempts that ended failed)", _number(outcomes.get("failed", 0))),
                ("sent", _number(outcomes.get("sent", 0))),
                ("retried", _number(outcomes.get("retry", 0))),
            ],
            "",
        )
    )

    parts.append("<h2>Health checks</h2>")
    rows_html = []
    for name, entries in sorted(checks.items()):
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                fields = ", ".join(f"{k}: {v}" for k, v in entry.items())
                rows_html.append(f"<tr><td>{_e(name)}</td><td>{_e(fields)}</td></tr>")
    parts.append("<table><tr><th>check</th><th>report</th></tr>" + "".join(rows_html) + "</table>")
    parts.append("</main>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Ballast status</title>"
        '<link rel="stylesheet" href="/status/status.css"></head><body>'
        + "".join(parts)
        + '<script src="/status/status.js"></script></body></html>\n'
    )


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
    lifecycle: Lifecycle = container.resolve(Lifecycle)
    history = StatusHistory()
    lifecycle.every(SAMPLE_EVERY, history.sample, "status_sample")

    async def page(request: Request) -> Response:
        authorize(request)
        health = report_json(await check())
        metrics = Metrics.read()
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
