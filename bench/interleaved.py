"""The target ratios with less noise on a shared machine: every server of the comparison runs
at once and they take turns under the same wrk load, round after round; each ratio is taken
from the medians of the turns. Sequential phases minutes apart (as `make bench` runs them)
differ on a virtual machine by more than some of the effects measured.

Servers: bare Starlette (2 workers and 1), the peer stack (2 gunicorn workers), Ballast with
default settings, with the rate limit off (2 workers each, on one Redis) and in memory mode
(1 worker). Routes: /api/auth/me (with a token) and convert.

Run: `.venv/bin/python bench/interleaved.py` (needs wrk, which `make bench` installs; makes
the peer's venv on first use). Writes its section of docs/BENCHMARKS.md.
"""

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compare import LIMIT, ROUTES, ballast_server, bare_server, peer_python, peer_server  # noqa: E402
from bench.failover import Server, ensure_wrk, login, wrk  # noqa: E402
from bench.report import machine_line, write_section  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

BARE, BARE_1 = "bare Starlette, 2 workers", "bare Starlette, 1 worker"
PEER = "peer, 2 workers"
DEFAULT, OFF = "Ballast default, 2 workers", "Ballast, rate limit off, 2 workers"
MEMORY = "Ballast memory mode, 1 worker"
MARKER = "bench/interleaved.py"
# (target, numerator (side, route), denominator (side, route), at least)
TARGETS = [
    ("/api/auth/me ÷ bare, default settings", (DEFAULT, "me"), (BARE, "me"), 0.55),
    ("convert ÷ bare, default settings", (DEFAULT, "convert"), (BARE, "convert"), 0.50),
    ("/api/auth/me ÷ peer", (DEFAULT, "me"), (PEER, "me"), 10.0),
    ("convert ÷ peer", (DEFAULT, "convert"), (PEER, "convert"), 10.0),
    ("rate limit on ÷ off, /api/auth/me", (DEFAULT, "me"), (OFF, "me"), 0.90),
    ("memory mode ÷ bare, 1 worker each, /api/auth/me", (MEMORY, "me"), (BARE_1, "me"), 0.55),
    ("memory mode ÷ bare, 1 worker each, convert", (MEMORY, "convert"), (BARE_1, "convert"), 0.55),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--output", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    args = parser.parse_args()
    binary = ensure_wrk()
    redis = RedisServer().start()
    servers: dict[str, tuple[Server, str | None]] = {}
    try:
        servers[BARE] = (bare_server(2), None)
        servers[BARE_1] = (bare_server(1), None)
        peer = peer_server(peer_python(), redis.url)
        servers[PEER] = (peer, login(peer.base))
        for name, url, limit, workers in (
            (DEFAULT, redis.url, LIMIT, 2),
            (OFF, redis.url, "off", 2),
            (MEMORY, None, LIMIT, 1),
        ):
            server = ballast_server(url, limit, workers)
            servers[name] = (server, login(server.base))
        rps: dict[tuple[str, str], list[float]] = {}
        errors: dict[tuple[str, str], int] = {}
        for turn in range(args.rounds):
            for name, (server, token) in servers.items():
                for route, path in ROUTES.items():
                    result = wrk(
                        binary,
                        server.base + path,
                        token if route == "me" else None,
                        args.seconds,
                        args.connections,
                    )
                    rps.setdefault((name, route), []).append(result["rps"])
                    errors[(name, route)] = errors.get((name, route), 0) + result["errors"]
            print(f"round {turn + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    finally:
        for server, _ in servers.values():
            server.stop()
        redis.stop()
    median = {key: statistics.median(values) for key, values in rps.items()}
    lines = [
        machine_line(),
        "",
        f"Command: `.venv/bin/python bench/interleaved.py --rounds {args.rounds} --seconds"
        f" {args.seconds} --connections {args.connections}`. Every server runs at once; in each"
        f" of {args.rounds} rounds each takes its turn on each route under wrk (2 threads,"
        f" {args.connections} keep-alive connections, {args.seconds} s), so slow and fast"
        " moments of the machine fall on all of them alike. Ballast's rate limit is"
        f" `{LIMIT}` (never refusing the one client), the peer's likewise.",
        "",
        f"| side | route | median requests/s of {args.rounds} turns | all turns | errors |",
        "|---|---|---:|---|---:|",
    ]
    for (name, route), values in rps.items():
        turns = ", ".join(f"{v:,.0f}" for v in values)
        failed = errors[(name, route)]
        lines.append(f"| {name} | {route} | {median[(name, route)]:,.0f} | {turns} | {failed} |")
    lines += [
        "",
        "Each ratio two ways: of the medians, and the median of the rounds' own ratios (a"
        " round's turns are seconds apart, so its ratio is the least touched by the machine"
        " drifting); a target counts as met when both are at least the target.",
        "",
        "| target | ratio of the medians | median of the rounds' ratios | at least | met |",
        "|---|---:|---:|---:|---|",
    ]
    for target, numerator, denominator, least in TARGETS:
        ratio = median[numerator] / median[denominator]
        paired = statistics.median(
            a / b for a, b in zip(rps[numerator], rps[denominator], strict=True)
        )
        met = "yes" if min(ratio, paired) >= least else "no"
        lines.append(f"| {target} | {ratio:.2f} | {paired:.2f} | {least:.2f} | {met} |")
    print("\n".join(lines))
    write_section(
        Path(args.output), MARKER, lines, "## Interleaved: every target ratio, servers taking turns"
    )


if __name__ == "__main__":
    main()
