"""How the cost grows with the work: one `ballast serve` worker on Redis, with 1k to 1M
revocations held (memory per revocation, `/api/auth/me` rate against none held, start to
ready and to a complete replica), 1k to 100k distinct client addresses arriving through a
trusted proxy (rate against one client, memory per client), and the 1st against the
1,000th page of a growing collection (users and an inbox, memory and Redis adapters).

Run: `make bench-scale` (or `.venv/bin/python bench/scale.py`); `--quick` is the CI-sized
run that `tests/e2e/test_scale_shape.py` checks the shape of. Needs wrk (installed with
apt-get when missing) and matplotlib (the `bench` extra) for the plots. Writes its section
of docs/BENCHMARKS.md and docs/scale/*.png.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.failover import BIN, ballast_env, ensure_wrk, login, wrk  # noqa: E402
from bench.report import machine_line, write_section  # noqa: E402
from tests.redis_server import RedisServer, free_port  # noqa: E402

MARKER = "make bench-scale"
LIMIT = "1000000/second"  # the limiter decides on every request and never refuses
PLOTS = ROOT / "docs" / "scale"
FULL = {
    "revocations": [1_000, 10_000, 100_000, 1_000_000],
    "clients": [1_000, 10_000, 100_000],
    "pages": [1_000, 10_000, 100_000],
}
QUICK = {"revocations": [1_000, 100_000], "clients": [1_000], "pages": [2_000]}
PAGE = 100
CODE = ""  # --code
# One address per request from a counter, so that `n` distinct ones arrive and then repeat.
DISTINCT_LUA = """
local n = 0
local distinct = {distinct}
request = function()
  n = n + 1
  local i = (n + {offset}) % distinct
  local a, b = math.floor(i / 65536) % 256, math.floor(i / 256) % 256
  local ip = "10." .. a .. "." .. b .. "." .. i % 256
  return wrk.format(nil, nil, {{["X-Forwarded-For"] = ip}})
end
"""


class Worker:
    """`ballast serve --workers 1` on Redis, timed from spawn to its first answer."""

    def __init__(self, redis_url: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full = {**os.environ, **ballast_env(redis_url, LIMIT), **(env or {})}
        if CODE:  # another checkout's code (e.g. the commit before a change), same venv
            full["PYTHONPATH"] = CODE
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(BIN / "ballast"), "serve", "--workers", "1", "--port", str(self.port)],
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.started = started
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/api/auth/me", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # answering (401 without a token)
            except OSError:
                time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError("ballast did not start")
        self.ready = time.perf_counter() - started

    def metric(self, name: str) -> float:
        with urllib.request.urlopen(self.base + "/metrics", timeout=10) as response:
            text = response.read().decode()
        found = re.search(rf"^{name} ([\d.e+]+)$", text, re.M)
        return float(found[1]) if found else 0.0

    def wait_held(self, count: int, within: float = 600) -> float:
        """Seconds from spawn until the replica holds `count` revocations."""
        deadline = time.monotonic() + within
        while self.metric("ballast_revocations_held") < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the replica was not filled in time")
            time.sleep(0.05)
        return time.perf_counter() - self.started

    def rss(self) -> int:
        """Resident bytes of the worker process."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(found[1]) * 1024 if found else 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def seed_revocations(redis_url: str, count: int) -> None:
    """`count` family revocations written straight into Redis, as many logouts leave them."""
    import secrets

    import redis

    from adapters.redis import keys

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    until = int(time.time()) + 86_400
    for start in range(0, count, 10_000):
        pipe = client.pipeline(transaction=False)
        for _ in range(min(10_000, count - start)):
            key = keys.revocation("family", secrets.token_urlsafe(16))
            pipe.set(key, str(until), exat=until)
        pipe.execute()
    client.close()


def me_rate(worker: Worker, wrk_bin: str, seconds: int) -> float:
    token = login(worker.base)
    return float(wrk(wrk_bin, worker.base + "/api/auth/me", token, seconds, 16)["rps"])


def revocation_curve(redis: RedisServer, sizes: list[int], seconds: int) -> list[dict]:
    wrk_bin, rows = ensure_wrk(), []
    for count in [0, *sizes]:
        seed_revocations(redis.url, count)
        worker = Worker(redis.url)
        try:
            try:
                complete = worker.wait_held(count, within=300)
            except RuntimeError:  # never filled (the figure says so)
                complete = float("nan")
            time.sleep(1.0)
            row = {"count": count, "ready": worker.ready, "complete": complete}
            row["rss"] = worker.rss()
            row["rate"] = me_rate(worker, wrk_bin, seconds)
        finally:
            worker.stop()
        rows.append(row)
        print(row, flush=True)
    empty = rows[0]
    for row in rows[1:]:
        row["bytes_each"] = (row["rss"] - empty["rss"]) / row["count"]
        row["rate_ratio"] = row["rate"] / empty["rate"]
        row["ready_ratio"] = row["ready"] / empty["ready"]
    return rows


def distinct_rate(worker: Worker, wrk_bin: str, distinct: int, seconds: int) -> dict:
    token = login(worker.base)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(DISTINCT_LUA.format(distinct=distinct, offset=int(time.time() * 1000)))
    argv = [wrk_bin, "-t1", "-c16", f"-d{seconds}s", "-s", script.name]
    argv += ["-H", f"Authorization: Bearer {token}", worker.base + "/api/auth/me"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"rate": float(found[1]) if found else 0.0, "requests": int(total[1]) if total else 0}


def client_curve(redis: RedisServer, sizes: list[int], seconds: int) -> list[dict]:
    """Each size on a fresh worker: one client first, then `distinct` addresses."""
    wrk_bin, rows = ensure_wrk(), []
    for distinct in sizes:
        seed_revocations(redis.url, 0)
        worker = Worker(redis.url, {"BALLAST_TRUSTED_PROXIES": "127.0.0.1"})
        try:
            one = distinct_rate(worker, wrk_bin, 1, seconds)
            before = worker.rss()
            # Long enough for every address to arrive at least once.
            run = max(seconds, int(distinct / max(one["rate"], 1) * 1.3) + 1)
            many = distinct_rate(worker, wrk_bin, distinct, run)
            arrived = min(distinct, many["requests"])
            row = {"distinct": distinct, "arrived": arrived, "one": one["rate"]}
            row |= {"many": many["rate"], "ratio": many["rate"] / one["rate"]}
            row["bytes_each"] = (worker.rss() - before) / arrived
        finally:
            worker.stop()
        rows.append(row)
        print(row, flush=True)
    return rows


async def _page_costs(kind: str, size: int, redis_url: str | None) -> dict:
    """Seconds for the first page and for the page 1,000 pages in (or the last one), each
    the median of five reads."""
    from bench.scale_seed import pages_store

    read, first_cursor, deep_cursor, close = await pages_store(kind, size, redis_url, PAGE)
    try:
        timings = {}
        for name, cursor in (("first", first_cursor), ("deep", deep_cursor)):
            samples = []
            for _ in range(5):
                started = time.perf_counter()
                await read(cursor)
                samples.append(time.perf_counter() - started)
            timings[name] = statistics.median(samples)
    finally:
        await close()
    return timings


def page_curve(redis: RedisServer, sizes: list[int]) -> list[dict]:
    rows = []
    for kind in ("users", "inbox"):
        for mode in ("memory", "redis"):
            for size in sizes:
                seed_revocations(redis.url, 0)  # an empty Redis
                url = redis.url if mode == "redis" else None
                t = asyncio.run(_page_costs(kind, size, url))
                row = {"kind": kind, "mode": mode, "size": size, **t}
                row["ratio"] = t["deep"] / t["first"]
                rows.append(row)
                print(row, flush=True)
    return rows


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
    fig.tight_layout()
    fig.savefig(PLOTS / "revocations.png")
    lines.append("![revocations](scale/revocations.png)")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    shown = (("/me rate against one client", "ratio"), ("memory per client (B)", "bytes_each"))
    for ax, (title, key) in zip(axes, shown, strict=True):
        ax.plot([r["distinct"] for r in clients], [r[key] for r in clients], marker="o")
        ax.set_xscale("log")
        ax.set_title(title)
        ax.set_xlabel("distinct client addresses")
    fig.tight_layout()
    fig.savefig(PLOTS / "clients.png")
    lines.append("![clients](scale/clients.png)")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for kind in ("users", "inbox"):
        for mode in ("memory", "redis"):
            rows = [r for r in pages if r["kind"] == kind and r["mode"] == mode]
            ax.plot([r["size"] for r in rows], [r["ratio"] for r in rows], marker="o")
            ax.lines[-1].set_label(f"{kind}, {mode}")
    ax.set_xscale("log")
    ax.set_title("deep page / first page")
    ax.set_xlabel("collection size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(PLOTS / "pages.png")
    lines.append("![pages](scale/pages.png)")
    plt.close("all")
    return lines


def report(revocations: list[dict], clients: list[dict], pages: list[dict], argv: str) -> list:
    load = os.getloadavg()
    lines = [
        machine_line(),
        f"Command: `{argv}`. Load average at the end: {load[0]:.1f} / {load[1]:.1f} /"
        f" {load[2]:.1f} (other work shared the cores: the ratios matter, not the rates).",
        "",
        "| revocations held | memory per revocation (RSS) | /me rate | against none"
        " | start to ready | start to complete replica |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    empty = revocations[0]
    lines.append(
        f"| 0 | - | {empty['rate']:,.0f}/s | 1.00 | {empty['ready']:.2f} s |"
        f" {empty['complete']:.2f} s |"
    )
    for r in revocations[1:]:
        lines.append(
            f"| {r['count']:,} | {r['bytes_each']:,.0f} B | {r['rate']:,.0f}/s"
            f" | {r['rate_ratio']:.2f} | {r['ready']:.2f} s | {r['complete']:.2f} s |"
        )
    lines += [
        "",
        "| distinct clients | one client | distinct clients | ratio | memory per client (RSS) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for c in clients:
        lines.append(
            f"| {c['arrived']:,} | {c['one']:,.0f}/s | {c['many']:,.0f}/s | {c['ratio']:.2f}"
            f" | {c['bytes_each']:,.0f} B |"
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


def run(quick: bool, seconds: int, parts: set[str]) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    redis = RedisServer().start()
    results: dict[str, Any] = {"revocations": [], "clients": [], "pages": []}
    try:
        if "revocations" in parts:
            results["revocations"] = revocation_curve(redis, sizes["revocations"], seconds)
        if "clients" in parts:
            results["clients"] = client_curve(redis, sizes["clients"], seconds)
        if "pages" in parts:
            results["pages"] = page_curve(redis, sizes["pages"])
    finally:
        redis.stop()
    return results


def main() -> None:
    global CODE
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="the CI-sized run")
    parser.add_argument("--seconds", type=int, default=5, help="wrk run per measure")
    parser.add_argument("--code", default="", help="serve another checkout's code")
    parser.add_argument("--parts", default="revocations,clients,pages")
    parser.add_argument("--json", default="", help="also write the results there")
    args = parser.parse_args()
    CODE = args.code
    parts = set(args.parts.split(","))
    results = run(args.quick, args.seconds, parts)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.quick or args.code or parts != {"revocations", "clients", "pages"}:
        return
    lines = report(results["revocations"], results["clients"], results["pages"], "make bench-scale")
    write_section(ROOT / "docs" / "BENCHMARKS.md", MARKER, lines, "## Scale")


if __name__ == "__main__":
    main()
