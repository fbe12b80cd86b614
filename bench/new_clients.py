"""What a request costs in process when each one comes from a new client, against one client
sending them all: the ASGI app called directly (no socket, no HTTP parsing, no wrk), one
worker's app on Redis with its background tasks (the limiter's sync every 100 ms), the
client named by X-Forwarded-For from a trusted proxy, the rate limit high enough that
nothing is refused (as bench/scale.py's distinct clients).

Run: `.venv/bin/python bench/new_clients.py` (`--profile` adds cProfile's top functions of
the distinct run). Two routes: `/api/auth/me` with a token (limited per user: a new address
costs only its resolution) and `/api/currency/convert` without one (limited per address: a
new address is a new key of the limiter). Prints CPU µs per request, one client against
distinct ones (the fastest of the rounds), then the memory the limiter holds per client at
100,000 (the synced limiter as the app builds it, its clock stopped so that none expires;
tracemalloc, so no resident-size noise: the key's string, the map's entry and the view).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its profile.py would hide the standard library's

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from typing import Any  # noqa: E402

from domain.ports import PasswordHasher  # noqa: E402
from entrypoints.api.app import create_app  # noqa: E402
from entrypoints.bootstrap import bootstrap  # noqa: E402
from entrypoints.settings import RateLimit, RedisSettings, Settings, Storage  # noqa: E402
from tests.fakes import fast_hasher  # noqa: E402
from tests.redis_fixtures import started_link  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.support import asgi  # noqa: E402
from tests.support.rate_limits import bytes_per_client  # noqa: E402

PASSWORD = "bench-password-bench-password"
ME = "/api/auth/me"
CONVERT = "/api/currency/convert"
ROUNDS = 9
HELD = 100_000
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def address(i: int) -> bytes:
    return b"10.%d.%d.%d" % (i // 65536 % 256, i // 256 % 256, i % 256)


async def call(app: App, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Any:
    """One request through the whole app; returns its status and body."""
    host = (b"host", b"127.0.0.1:8000")
    answer = await asgi.call(app, "POST" if body else "GET", path, [host, *headers], body)
    return answer.status, answer.body


async def run(app: App, path: str, auth: list[tuple[bytes, bytes]], first: int, n: int) -> float:
    """CPU µs per request over `n` requests from addresses first .. first + n - 1 (first < 0:
    every request from one address). CPU time, not wall time: on a shared machine the wait
    for a core is not the request's cost."""
    started = time.process_time()
    for i in range(n):
        forwarded = address(first + i if first >= 0 else 1)
        status, _ = await call(app, path, [*auth, (b"x-forwarded-for", forwarded)])
        assert status == 200, status
    return (time.process_time() - started) / n * 1e6


async def measure(app: App, path: str, auth: list[tuple[bytes, bytes]], args: Any) -> None:
    await run(app, path, auth, -1, 2_000)  # warm up
    ones, manys, arrived = [], [], 1_000_000  # new addresses, never seen before
    for _ in range(ROUNDS):
        ones.append(await run(app, path, auth, -1, args.requests))
        manys.append(await run(app, path, auth, arrived, args.requests))
        arrived += args.requests
    # The fastest round of each: the one least disturbed by whatever else shares the cores
    # (each round is long enough to hold the limiter's periodic work: a sweep of its map
    # every 12,500 new clients, the garbage collector's passes).
    one, many = min(ones), min(manys)
    token = "with" if auth else "without"
    print(f"| {path} {token} a token | {one:.1f} | {many:.1f} | {one / many:.2f} |")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        await run(app, path, auth, arrived, args.requests)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


async def main(args: Any) -> None:
    redis = RedisServer().start()
    settings = Settings(
        env="development",
        jwt_secret="bench-secret-bench-secret-bench-secret-123",
        admin_password=PASSWORD,
        log_level="WARNING",
        redis=RedisSettings(redis.url),
        storage=Storage.REDIS,
        rate_limit=RateLimit(1_000_000, 1),
        login_rate_limit=None,
        trusted_proxies=("127.0.0.1",),
    )
    app = create_app(bootstrap(settings, {PasswordHasher: fast_hasher()}))
    started: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await lifespan.put({"type": "lifespan.startup"})
    life = asyncio.create_task(app({"type": "lifespan"}, lifespan.get, started.put))
    assert (await started.get())["type"] == "lifespan.startup.complete"
    try:
        login = b'{"username": "admin", "password": "%s"}' % PASSWORD.encode()
        json = [(b"content-type", b"application/json")]
        status, body = await call(app, "/api/auth/login", json, login)
        assert status == 200, body
        token = body.split(b'"access_token":"')[1].split(b'"')[0]
        print("| route | one client µs | distinct clients µs | ratio |")
        print("|---|---:|---:|---:|")
        await measure(app, ME, [(b"authorization", b"Bearer " + token)], args)
        await measure(app, CONVERT + "?amount=10.50&from=USD&to=EUR", [], args)
        async with started_link(redis.url) as link:
            held = await bytes_per_client(link, HELD)
        print(f"\nlimiter memory per client, {HELD:,} held: {held:.0f} B")
    finally:
        await lifespan.put({"type": "lifespan.shutdown"})
        await life
        redis.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000, help="per run")
    parser.add_argument("--profile", action="store_true")
    asyncio.run(main(parser.parse_args()))
