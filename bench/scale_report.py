"""The Markdown and the plots of bench/scale.py: its tables, the before/after table of a
change, and the curves (matplotlib, the `bench` extra; skipped, saying so, without it)."""

import os
from pathlib import Path
from typing import Any

from bench.report import machine_line

ROOT = Path(__file__).resolve().parent.parent
PLOTS = ROOT / "docs" / "scale"
PAGE = 100


def _ratio_axis(ax: Any, target: float, ceiling: float = 1.2) -> None:
    """A ratio's axis from 0, with its target dashed: a few percent of noise must not look
    like a cliff."""
    top = max([ceiling, target * 1.1, *(max(line.get_ydata()) * 1.1 for line in ax.lines)])
    ax.set_ylim(0, top)
    ax.axhline(target, linestyle="--", color="grey", linewidth=1, label=f"target {target}")


def plots(revocations: list[dict], clients: list[dict], pages: list[dict]) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["(plots skipped: matplotlib is the `bench` extra)"]
    PLOTS.mkdir(parents=True, exist_ok=True)
    held = revocations[1:]
    figures = {
        "revocations.png": [
            ("memory per revocation (B)", [r["bytes_each"] for r in held]),
            ("/me rate against none held", [r["rate_ratio"] for r in held]),
            ("start to ready (s)", [r["ready"] for r in held]),
            ("start to complete replica (s)", [r["complete"] for r in held]),
        ],
    }
    lines = []
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.5))
    for ax, (title, values) in zip(axes, figures["revocations.png"], strict=True):
        ax.plot([r["count"] for r in held], values, marker="o")
        ax.set_xscale("log")
        ax.set_title(title)
        ax.set_xlabel("revocations held")
        if title.startswith("/me rate"):
            _ratio_axis(ax, 0.95)
        else:
            ax.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(PLOTS / "revocations.png")
    lines.append("![revocations](scale/revocations.png)")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    shown = (("rate against one client", "ratio"), ("memory per client (B)", "bytes_each"))
    for ax, (title, key) in zip(axes, shown, strict=True):
        for route in sorted({_route(r) for r in clients}):
            rows = [r for r in clients if _route(r) == route]
            ax.plot([r["distinct"] for r in rows], [r[key] for r in rows], marker="o")
            ax.lines[-1].set_label(ROUTE_TITLES.get(route, route))
        ax.set_xscale("log")
        ax.set_title(title)
        ax.set_xlabel("distinct client addresses")
        if key == "ratio":
            _ratio_axis(ax, 0.90)
        ax.legend()
    fig.tight_layout()
    fig.savefig(PLOTS / "clients.png")
    lines.append("![clients](scale/clients.png)")
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for kind in sorted({p["kind"] for p in pages}):
        for mode in ("memory", "redis"):
            rows = [r for r in pages if r["kind"] == kind and r["mode"] == mode]
            ax.plot([r["size"] for r in rows], [r["ratio"] for r in rows], marker="o")
            ax.lines[-1].set_label(f"{kind}, {mode}")
    ax.set_xscale("log")
    _ratio_axis(ax, 2.0, 2.4)
    ax.set_title("deep page / first page")
    ax.set_xlabel("collection size")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    fig.savefig(PLOTS / "pages.png")
    lines.append("![pages](scale/pages.png)")
    plt.close("all")
    return lines


def _route(row: dict) -> str:
    return str(row.get("route", "me"))  # runs before the convert curve measured `/me` only


ROUTE_TITLES = {"me": "/me, a token", "convert": "convert, no token"}


def _figure(rows: list[dict], field: str, key: str, value: int, fmt: str, route: str = "me") -> str:
    found = [r for r in rows if r.get(key) == value and field in r and _route(r) == route]
    if not found or found[0][field] != found[0][field]:  # absent, or NaN: never reached
        return "never" if found else "-"
    return fmt.format(found[0][field])


def before_after(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The issue's table: the same measures on the code before the change and after."""
    rows = [
        ("memory per revocation (RSS), 100,000 held", "bytes_each", 100_000, "{:,.0f} B"),
        ("memory per revocation (RSS), 1,000,000 held", "bytes_each", 1_000_000, "{:,.0f} B"),
        ("`/me` with 100,000 held, against none", "rate_ratio", 100_000, "{:.2f}x"),
        ("`/me` with 1,000,000 held, against none", "rate_ratio", 1_000_000, "{:.2f}x"),
        ("start to ready, 100,000 held", "ready", 100_000, "{:.2f} s"),
        ("start to ready, 1,000,000 held", "ready", 1_000_000, "{:.2f} s"),
        ("start to a complete replica, 1,000,000 held", "complete", 1_000_000, "{:.1f} s"),
    ]
    lines = ["| measure (one worker, Redis) | before | after |", "|---|---:|---:|"]
    for title, field, size, fmt in rows:
        old = _figure(before["revocations"], field, "count", size, fmt)
        new = _figure(after["revocations"], field, "count", size, fmt)
        lines.append(f"| {title} | {old} | {new} |")
    for route, title in (("me", "`/me` (a token)"), ("convert", "convert (no token)")):
        for distinct in (10_000, 100_000):
            old, new = (
                _figure(run["clients"], "ratio", "distinct", distinct, "{:.2f}x", route)
                for run in (before, after)
            )
            lines.append(
                f"| {title} while {distinct:,} distinct addresses arrive, against one"
                f" | {old} | {new} |"
            )
    return lines


def report(revocations: list[dict], clients: list[dict], pages: list[dict], argv: str) -> list:
    load = os.getloadavg()
    lines = [
        machine_line(),
        f"Command: `{argv}`. Load average at the end: {load[0]:.1f} / {load[1]:.1f} /"
        f" {load[2]:.1f} (the bench's own load is about 2: above that, other work shared"
        " the cores, and the ratios matter, not the rates).",
        "",
        "Each size is measured in turns with a worker holding none (its own empty Redis),"
        " as many turns of wrk each (5; `--rounds`); the ratio is the median of the turns'"
        " ratios.",
        "",
        "| revocations held | memory per revocation (RSS) | /me rate (none held) | against none"
        " | start to ready | start to complete replica |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    empty = revocations[0]
    lines.append(f"| 0 | - | - | 1.00 | {empty['ready']:.2f} s | - |")
    for r in revocations[1:]:
        lines.append(
            f"| {r['count']:,} | {r['bytes_each']:,.0f} B | {r['rate']:,.0f}/s"
            f" ({r['reference_rate']:,.0f}/s) | {r['rate_ratio']:.2f} | {r['ready']:.2f} s"
            f" | {r['complete']:.2f} s |"
        )
    lines += [
        "",
        "One client and many distinct addresses (X-Forwarded-For through a trusted proxy, new"
        " ones in every turn) in turns on one worker, until all have arrived: `/me` with one"
        " user's token (limited per user) and a conversion without a token (limited per"
        " address: each new address is a new key of the limiter, held until its requests"
        " are spread out again, plus 1 s), the limit at `60000000/minute`: the default's"
        " period and a count no client reaches.",
        "",
        "| route | distinct clients | one client | distinct clients | ratio"
        " | memory per client (RSS) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in clients:
        lines.append(
            f"| {ROUTE_TITLES.get(_route(c), _route(c))} | {c['arrived']:,} | {c['one']:,.0f}/s"
            f" | {c['many']:,.0f}/s | {c['ratio']:.2f} | {c['bytes_each']:,.0f} B |"
        )
    lines += [
        "",
        f"Pages of {PAGE}: the first page against the 1,000th (or the last, when there are"
        " fewer), each the median of five reads.",
        "",
        "| collection | mode | size | first page | deep page | deep / first |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for p in pages:
        lines.append(
            f"| {p['kind']} | {p['mode']} | {p['size']:,} | {p['first'] * 1000:.2f} ms"
            f" | {p['deep'] * 1000:.2f} ms | {p['ratio']:.2f} |"
        )
    return [*lines, "", *plots(revocations, clients, pages)]
