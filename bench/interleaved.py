"""Ratios with less noise on a shared machine: the servers of a comparison all run at once
and take turns under the same wrk load, round after round; the median of each is reported.

Run: `.venv/bin/python bench/interleaved.py` (after `make bench` has installed wrk). Prints
one Markdown table for docs/BENCHMARKS.md.
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.compare import LIMIT, ME, ballast_server, bare_server
from bench.failover import Server, ensure_wrk, login, wrk
from tests.redis_server import RedisServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    binary = ensure_wrk()
    redis = RedisServer().start()
    servers: dict[str, tuple[Server, str | None]] = {}
    try:
        servers["bare Starlette"] = (bare_server(2), None)
        for name, limit in (("Ballast default", LIMIT), ("Ballast, rate limit off", "off")):
            server = ballast_server(redis.url, limit)
            servers[name] = (server, login(server.base))
        rps: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(args.rounds):
            for name, (server, token) in servers.items():
                result = wrk(binary, server.base + ME, token, args.seconds, args.connections)
                rps[name].append(result["rps"])
    finally:
        for server, _ in servers.values():
            server.stop()
        redis.stop()
    bare = statistics.median(rps["bare Starlette"])
    print(
        f"| GET /api/auth/me, 2 workers each | median requests/s of {args.rounds} turns |"
        " ÷ bare | all turns |"
    )
    print("|---|---:|---:|---|")
    for name, values in rps.items():
        median = statistics.median(values)
        turns = ", ".join(f"{v:,.0f}" for v in values)
        print(f"| {name} | {median:,.0f} | {median / bare:.2f} | {turns} |")
    on, off = (statistics.median(rps[n]) for n in ("Ballast default", "Ballast, rate limit off"))
    print(f"\nrate limit on ÷ off: {on / off:.2f}")


if __name__ == "__main__":
    main()
