"""Where the CPU of one request goes: py-spy samples one Ballast worker (default settings,
Redis on loopback, the rate limit high enough that nothing is refused, access log on) while
wrk loads one route; the stacks are put in the buckets of docs/BENCHMARKS.md's profile.

Run: `.venv/bin/python bench/profile.py --route me` (or `convert`). Installs py-spy into its
own venv (bench/.profile-venv) on first use; needs wrk (`make bench` installs it). Prints
one Markdown table: each bucket's share of the samples and its microseconds per request (a
sample counts for the innermost frame that names a bucket: code's own time, not what it
awaits).
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compare import LIMIT, ROUTES, ballast_server  # noqa: E402
from bench.failover import ensure_wrk, login, wrk  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

PY_SPY = "py-spy==0.4.3"
VENV = ROOT / "bench" / ".profile-venv"

WRITER = "access log lines and HTTP metrics (writer thread)"
REST = "event loop and the rest"
# A sample goes to the bucket of the innermost frame that names one (its own code's time,
# not the time of what it awaits); the writer thread's samples go to the writer.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("request id", ("request_id (entrypoints", "read_headers (entrypoints")),
    ("access log entry (request path)", ("AccessLog.add",)),
    ("HTTP metrics (request path)", ("prometheus_client",)),
    ("token verification", ("VerifyToken", "authenticate", "jwt/", "is_revoked")),
    ("rate limiter", ("rate_limiting.py", "rate_limits.py", "ttl_map.py")),
    ("request validation (shapes)", ("contract.py", "msgspec", "_shapes.py")),
    (
        "route handler (use case, JSON, ETag)",
        ("_routes.py", "caching.py", "application/", "domain/", "json/", "hashlib"),
    ),
    ("response write (uvicorn's send, the socket)", ("RequestResponseCycle.send",)),
    ("HTTP parsing (uvicorn/httptools)", ("HttpToolsProtocol", "httptools")),
    ("background Redis traffic (limiter sync, heartbeat)", ("redis/", "adapters/failover/")),
    (
        "Ballast's other middleware and routing",
        ("edge.py", "client_address.py", "body_limit.py", "routing.py (e"),
    ),
    ("Starlette (middleware, routing, request, response)", ("starlette/",)),
]
NAMES = [WRITER, *(name for name, _ in BUCKETS), REST]


def py_spy() -> Path:
    binary = VENV / "bin" / "py-spy"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", PY_SPY]
        subprocess.run(pip, check=True)
    return binary


def bucket(stack: str) -> str:
    frames = stack.split(";")
    if any("AccessLog._run" in frame for frame in frames):
        return WRITER
    for frame in reversed(frames):
        for name, marks in BUCKETS:
            if any(mark in frame for mark in marks):
                return name
    return REST


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--route", choices=sorted(ROUTES), default="me")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--rate-limit", default=LIMIT, help="BALLAST_RATE_LIMIT, e.g. off")
    args = parser.parse_args()
    spy, binary = py_spy(), ensure_wrk()
    redis = RedisServer().start()
    server = ballast_server(redis.url, args.rate_limit, workers=1)
    try:
        token = login(server.base) if args.route == "me" else None
        worker = (server.workers() or [server.process.pid])[0]
        with tempfile.NamedTemporaryFile(suffix=".txt") as raw:
            record = ["record", "--pid", str(worker), "--rate", str(args.rate), "--nonblocking"]
            sampler = subprocess.Popen(
                [
                    str(spy),
                    *record,
                    "--duration",
                    str(args.seconds),
                    "--format",
                    "raw",
                    "-o",
                    raw.name,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            load = wrk(binary, server.base + ROUTES[args.route], token, args.seconds + 2, 16)
            sampler.wait()
            samples: dict[str, int] = {}
            for line in Path(raw.name).read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                samples[bucket(stack)] = samples.get(bucket(stack), 0) + int(count)
    finally:
        server.stop()
        redis.stop()
    total = sum(samples.values())
    requests = load["rps"] * args.seconds
    print(f"{args.route}: {load['rps']:,.0f} requests/s from one worker, {total} samples\n")
    print("| where the CPU goes | share | µs/request |")
    print("|---|---:|---:|")
    for name in NAMES:
        n = samples.get(name, 0)
        print(f"| {name} | {100 * n / total:.1f}% | {n / args.rate / requests * 1e6:.0f} |")
    print(f"| total | 100% | {total / args.rate / requests * 1e6:.0f} |")


if __name__ == "__main__":
    main()
