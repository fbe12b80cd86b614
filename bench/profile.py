"""Where the CPU of one request goes: py-spy samples one Ballast worker (default settings,
Redis on loopback, the rate limit high enough that nothing is refused, access log on) while
wrk loads one route; the stacks are put in the buckets of docs/BENCHMARKS.md's profile.

Run: `.venv/bin/python bench/profile.py --route me` (or `convert`). Installs py-spy into its
own venv (bench/.profile-venv) on first use; needs wrk (`make bench` installs it). Prints
one Markdown table: each bucket's share of the samples and its microseconds per request.
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

# First bucket whose frame appears in a sample's stack takes the sample (order matters).
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("access log and HTTP metrics (writer thread)", ("AccessLog._run", "AccessLog.flush")),
    ("access log entry (request path)", ("AccessLog.add",)),
    ("rate limiter", ("CheckRateLimits.__call__", "rate_limit_headers", "is_exempt")),
    ("token verification", ("authenticate_scope", "VerifyToken.__call__")),
    ("route handler (the endpoint, its JSON, ETag)", ("_endpoint (entrypoints/http",)),
    ("request id", ("request_id (entrypoints",)),
    ("response write to the socket", ("RequestResponseCycle.send",)),
    ("background Redis traffic (limiter sync, heartbeat)", ("redis/", "adapters/failover/")),
    ("HTTP parsing (uvicorn/httptools)", ("HttpToolsProtocol",)),
    ("middleware and routing (Starlette, Ballast)", ("starlette/", "entrypoints/http/")),
    ("event loop and the rest", ("",)),
]


def py_spy() -> Path:
    binary = VENV / "bin" / "py-spy"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", PY_SPY]
        subprocess.run(pip, check=True)
    return binary


def bucket(stack: str) -> str:
    for name, frames in BUCKETS:
        if any(frame in stack for frame in frames):
            return name
    return BUCKETS[-1][0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--route", choices=sorted(ROUTES), default="me")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200)
    args = parser.parse_args()
    spy, binary = py_spy(), ensure_wrk()
    redis = RedisServer().start()
    server = ballast_server(redis.url, LIMIT, workers=1)
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
    for name, _ in BUCKETS:
        n = samples.get(name, 0)
        print(f"| {name} | {100 * n / total:.1f}% | {n / args.rate / requests * 1e6:.0f} |")
    print(f"| total | 100% | {total / args.rate / requests * 1e6:.0f} |")


if __name__ == "__main__":
    main()
