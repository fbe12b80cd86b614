"""The status page's HTML, drawn only from the health report and the metrics' samples (so it
can never say more than /health and /metrics do), one function per section, and its traffic
chart, an inline SVG Ballast draws itself."""

import datetime
import html
from collections.abc import Iterable

from entrypoints.status_history import WINDOW, Metrics, StatusHistory

WIDTH, HEIGHT, PAD = 640, 160, 32


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


def _redis(mode: str, breaker: str, metrics: Metrics, history: StatusHistory) -> list[str]:
    now = history.clock()
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
    parts = [
        "<h2>Redis</h2>",
        "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows) + "</table>",
    ]
    if mode != "not_configured":
        replays = [
            (_rfc3339(r.at), f"{r.writes} writes in {r.seconds:.3f} s")
            for r in reversed(history.replays)
        ]
        parts.append("<h2>Last replays</h2>")
        parts.append(_table(("finished", "replayed"), replays, "none since this process started"))
    return parts


def _fallbacks_and_drops(metrics: Metrics) -> list[str]:
    fallback = metrics.by("ballast_fallback_operations_total", "capability")
    dropped = metrics.named("dropped")
    return [
        "<h2>Fallback operations</h2>",
        _table(
            ("capability", "operations"),
            ((k, _number(v)) for k, v in sorted(fallback.items())),
            "none: every operation went to Redis (or Redis is not configured)",
        ),
        "<h2>Dropped entries</h2>",
        _table(
            ("metric", "dropped"), ((k, _number(v)) for k, v in sorted(dropped.items())), "none"
        ),
    ]


def _rates_and_notifications(metrics: Metrics) -> list[str]:
    sources = metrics.by("ballast_rates_source", "source")
    source = next((k for k, v in sources.items() if v), "unknown")
    age = metrics.get("ballast_rates_age_seconds")
    age_text = "built-in table" if source == "fallback" or age is None else _duration(age)
    outcomes = metrics.by("ballast_notification_deliveries_total", "outcome")
    pending = metrics.get("ballast_notification_deliveries_queued") or 0
    deliveries = [
        ("pending (queued in this process)", _number(pending)),
        ("failed (attempts that ended failed)", _number(outcomes.get("failed", 0))),
        ("sent", _number(outcomes.get("sent", 0))),
        ("retried", _number(outcomes.get("retry", 0))),
    ]
    return [
        "<h2>Rates</h2>",
        _table(("table", "value"), [("source", source), ("age", age_text)], ""),
        "<h2>Notifications</h2>",
        _table(("deliveries", "count"), deliveries, ""),
    ]


def _checks(checks: dict[str, object]) -> list[str]:
    rows = []
    for name, entries in sorted(checks.items()):
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                fields = ", ".join(f"{k}: {v}" for k, v in entry.items())
                rows.append(f"<tr><td>{_e(name)}</td><td>{_e(fields)}</td></tr>")
    return [
        "<h2>Health checks</h2>",
        "<table><tr><th>check</th><th>report</th></tr>" + "".join(rows) + "</table>",
    ]


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
        *_redis(mode, breaker, metrics, history),
        "<h2>Traffic, last 10 minutes</h2>",
        chart(history.rates(), now),
        *_fallbacks_and_drops(metrics),
        *_rates_and_notifications(metrics),
        *_checks(checks),
        "</main>",
    ]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Ballast status</title>"
        '<link rel="stylesheet" href="/status/status.css"></head><body>'
        + "".join(parts)
        + '<script src="/status/status.js"></script></body></html>\n'
    )
