"""What one request costs in process, with an admin's token against a client's, and one
grant: the app (the bench's settings, rate limits off) called directly as an ASGI app, no
server, no socket, no load generator, so the figures hold on a busy machine.

Run: `.venv/bin/python bench/token_costs.py` (µs per request, the best of 5 runs, and
Python function calls per request from cProfile, a count that no load moves), `--redis` for
Ballast on a Redis of its own, as bench/grants.py runs it. For instruction counts, run one
kind at two sizes under callgrind and divide the difference by the difference in requests:
`valgrind --tool=callgrind .venv/bin/python bench/token_costs.py --plain --only client
--requests 200` (then 2200). Prints a Markdown table; writes nothing.
"""

import argparse
import asyncio
import base64
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.failover import PASSWORD, ballast_env  # noqa: E402
from entrypoints.api.app import create_app  # noqa: E402
from entrypoints.bootstrap import bootstrap  # noqa: E402
from entrypoints.settings import Settings  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.support import asgi  # noqa: E402

USERS = "/api/users?limit=1"
FORM = (b"content-type", b"application/x-www-form-urlencoded")
JSON = (b"content-type", b"application/json")
Headers = list[tuple[bytes, bytes]]


async def call(app: Any, method: str, target: str, headers: Headers, body: bytes = b"") -> Any:
    """One request through the whole app; its JSON answer (None when empty)."""
    answer = await asgi.call(app, method, target, [(b"host", b"127.0.0.1"), *headers], body)
    assert answer.status < 300, (target, answer)
    return answer.json() if answer.body else None


async def requests(app: Any) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Each kind of request measured, once set up: an admin and a client holding users:read."""
    login = json.dumps({"username": "admin", "password": PASSWORD}).encode()
    admin = (await call(app, "POST", "/api/auth/login", [JSON], login))["access_token"]
    bearer = (b"authorization", f"Bearer {admin}".encode())
    new = json.dumps({"name": "bench", "scopes": ["users:read"]}).encode()
    created = await call(app, "POST", "/api/clients", [bearer, JSON], new)
    pair = f"{created['client_id']}:{created['client_secret']}".encode()
    basic = [(b"authorization", b"Basic " + base64.b64encode(pair)), FORM]
    grant = b"grant_type=client_credentials"
    token = (await call(app, "POST", "/oauth/token", basic, grant))["access_token"]
    client = (b"authorization", f"Bearer {token}".encode())
    return {
        "user": lambda: call(app, "GET", USERS, [bearer]),
        "client": lambda: call(app, "GET", USERS, [client]),
        "grant": lambda: call(app, "POST", "/oauth/token", basic, grant),
    }


async def count_calls(run: Callable[[], Awaitable[Any]], times: int) -> int:
    """Python and C function calls made by `times` runs (what cProfile counts; its module
    name is taken here by bench/profile.py)."""
    calls = 0

    def seen(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(seen)
    try:
        for _ in range(times):
            await run()
    finally:
        sys.setprofile(None)
    return calls


async def costs(app: Any, args: argparse.Namespace) -> list[str]:
    kinds = await requests(app)
    lines = ["| request | µs/request (best of runs) | function calls/request |", "|---|---:|---:|"]
    for name in args.only or list(kinds):
        run = kinds[name]
        for _ in range(args.warmup):
            await run()
        if args.plain:  # under callgrind: the requests alone
            for _ in range(args.requests):
                await run()
            continue
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            for _ in range(args.requests):
                await run()
            best = min(best, (time.perf_counter() - started) / args.requests)
        calls = await count_calls(run, args.requests) / args.requests
        lines.append(f"| {name} | {best * 1e6:.1f} | {calls:.0f} |")
    return lines


async def measure(args: argparse.Namespace) -> list[str]:
    redis = RedisServer().start() if args.redis else None
    try:
        env = ballast_env(redis.url if redis else None, "off")
        app = create_app(bootstrap(Settings.from_env(env)))
        async with app.router.lifespan_context(app):
            return await costs(app, args)
    finally:
        if redis is not None:
            redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", action="store_true", help="Ballast on a Redis of its own")
    parser.add_argument("--only", action="append", choices=["user", "client", "grant"])
    parser.add_argument("--requests", type=int, default=5000, help="per run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each kind")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument(
        "--plain", action="store_true", help="only run the requests (under callgrind)"
    )
    args = parser.parse_args()
    print("\n".join(asyncio.run(measure(args))))


if __name__ == "__main__":
    main()
