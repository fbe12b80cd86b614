"""How the cost grows with the work: one `ballast serve` worker on Redis, with 1k to 1M
revocations held (memory per revocation, `/api/auth/me` rate against none held, start to
ready and to a complete replica), 1k to 100k distinct client addresses arriving through a
trusted proxy (rate against one client, memory per client), and the 1st against the
1,000th page of a growing collection (users, an inbox, the auth event log and the OAuth
clients, memory and Redis adapters).

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
import shlex
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
from bench.report import write_section  # noqa: E402
from bench.scale_report import PAGE, before_after, report  # noqa: E402
from tests.redis_server import RedisServer, free_port  # noqa: E402

MARKER = "make bench-scale"
# The limiter decides on every request and never refuses: the default's period (a minute)
# with a count no client reaches.
LIMIT = "60000000/minute"
FULL = {
    "revocations": [1_000, 10_000, 100_000, 1_000_000],
    "clients": [1_000, 10_000, 100_000],
    "pages": [1_000, 10_000, 100_000],
}
QUICK = {"revocations": [1_000, 100_000], "clients": [1_000], "pages": [2_000]}
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
        """The metric's value; -1 when /metrics does not answer within 10 s."""
        try:
            with urllib.request.urlopen(self.base + "/metrics", timeout=10) as response:
                text = response.read().decode()
        except OSError:
            return -1.0
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


ROUNDS = 5  # interleaved rounds per ratio: the median of the rounds' ratios


def me_rate(base: str, token: str, wrk_bin: str, seconds: int) -> float:
    return float(wrk(wrk_bin, base + "/api/auth/me", token, seconds, 16)["rps"])


def revocation_curve(redis: RedisServer, sizes: list[int], seconds: int) -> list[dict]:
    """Each size against a reference worker that holds none (on its own empty Redis), the
    two measured in turns, so that the load of the machine weighs on both alike."""
    wrk_bin, rows = ensure_wrk(), []
    empty = RedisServer().start()
    reference = Worker(empty.url)
    try:
        time.sleep(1.0)
        rows.append({"count": 0, "ready": reference.ready, "complete": reference.ready})
        rows[0]["rss"] = reference.rss()
        for count in sizes:
            seed_revocations(redis.url, count)
            worker = Worker(redis.url)
            try:
                try:
                    complete = worker.wait_held(count, within=600)
                except RuntimeError:  # never filled (the figure says so)
                    complete = float("nan")
                time.sleep(1.0)
                row = {"count": count, "ready": worker.ready, "complete": complete}
                row["rss"] = worker.rss()
                row |= interleaved(reference.base, worker.base, wrk_bin, seconds)
            finally:
                worker.stop()
            rows.append(row)
            print(row, flush=True)
    finally:
        reference.stop()
        empty.stop()
    for row in rows[1:]:
        row["bytes_each"] = (row["rss"] - rows[0]["rss"]) / row["count"]
        row["ready_ratio"] = row["ready"] / rows[0]["ready"]
    return rows


def interleaved(reference: str, measured: str, wrk_bin: str, seconds: int) -> dict:
    tokens = login(reference), login(measured)
    ref_rates, rates = [], []
    for _ in range(ROUNDS):
        ref_rates.append(me_rate(reference, tokens[0], wrk_bin, seconds))
        rates.append(me_rate(measured, tokens[1], wrk_bin, seconds))
    ratios = [r / max(ref, 1.0) for ref, r in zip(ref_rates, rates, strict=True)]
    return {
        "rate": statistics.median(rates),
        "reference_rate": statistics.median(ref_rates),
        "rate_ratio": statistics.median(ratios),
    }


def distinct_rate(
    base: str, token: str | None, wrk_bin: str, distinct: int, offset: int, seconds: int
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(DISTINCT_LUA.format(distinct=distinct, offset=offset))
    argv = [wrk_bin, "-t1", "-c16", f"-d{seconds}s", "-s", script.name]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*argv, base], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"rate": float(found[1]) if found else 0.0, "requests": int(total[1]) if total else 0}


# The routes of the distinct-client curve: `/me` with one user's token (limited per user:
# a new address costs its parsing) and a conversion without a token (limited per address:
# a new address is a new key in the limiter, the case that costs memory).
CLIENT_ROUTES = {
    "me": ("/api/auth/me", True),
    "convert": ("/api/currency/convert?amount=10.50&from=USD&to=EUR", False),
}


def client_curve(redis: RedisServer, sizes: list[int], seconds: int) -> list[dict]:
    """Each route and size on a fresh worker: one client and `distinct` addresses in turns
    (new addresses in every turn), until all of them have arrived, at least `ROUNDS` turns."""
    wrk_bin, rows = ensure_wrk(), []
    for route, (path, with_token) in CLIENT_ROUTES.items():
        for distinct in sizes:
            seed_revocations(redis.url, 0)
            worker = Worker(redis.url, {"BALLAST_TRUSTED_PROXIES": "127.0.0.1"})
            try:
                token = login(worker.base) if with_token else None
                url = worker.base + path
                before, arrived, ones, manys = worker.rss(), 0, [], []
                while arrived < distinct or len(ones) < ROUNDS:
                    ones.append(distinct_rate(url, token, wrk_bin, 1, 0, seconds)["rate"])
                    many = distinct_rate(url, token, wrk_bin, distinct, arrived, seconds)
                    manys.append(many["rate"])
                    arrived += many["requests"]
                ratios = [m / max(o, 1.0) for o, m in zip(ones, manys, strict=True)]
                row = {"route": route, "distinct": distinct, "arrived": min(distinct, arrived)}
                row |= {"one": statistics.median(ones), "many": statistics.median(manys)}
                row["ratio"] = statistics.median(ratios)
                row["bytes_each"] = (worker.rss() - before) / min(distinct, arrived)
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
    from bench.scale_seed import KINDS

    rows = []
    for kind in KINDS:
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
    global CODE, ROUNDS
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="the CI-sized run")
    parser.add_argument("--seconds", type=int, default=3, help="wrk run per turn")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="turns of each side")
    parser.add_argument("--code", default="", help="serve another checkout's code")
    parser.add_argument("--parts", default="revocations,clients,pages")
    parser.add_argument("--json", default="", help="also write the results there")
    parser.add_argument("--revocations", default="", help="sizes, e.g. 1000,1000000")
    parser.add_argument("--clients", default="", help="sizes, e.g. 10000,100000")
    parser.add_argument("--before", default="", help="--json of a run on the code before")
    parser.add_argument("--before-label", default="the commit before", help="what it ran")
    args = parser.parse_args()
    CODE, ROUNDS = args.code, args.rounds
    for part in ("revocations", "clients"):
        if getattr(args, part):
            FULL[part] = [int(n) for n in getattr(args, part).split(",")]
    parts = set(args.parts.split(","))
    results = run(args.quick, args.seconds, parts)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.quick or args.code or parts != {"revocations", "clients", "pages"}:
        return
    # The command as anyone reruns it: files named without the directories of this machine.
    named = [Path(a).name if os.path.isabs(a) else a for a in sys.argv]
    argv = "make bench-scale" if len(sys.argv) == 1 else shlex.join(["python", *named])
    lines = report(results["revocations"], results["clients"], results["pages"], argv)
    if args.before:
        before = json.loads(Path(args.before).read_text())
        lines += ["", f"Before ({args.before_label}) and after, from the same run's machine:", ""]
        lines += before_after(before, results)
    write_section(ROOT / "docs" / "BENCHMARKS.md", MARKER, lines, "## Scale")


if __name__ == "__main__":
    main()
