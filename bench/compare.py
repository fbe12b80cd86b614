"""Benchmark side by side: a bare Starlette endpoint, the peer stack (bench/peers: Flask,
Flask-JWT-Extended with a Redis blocklist, Flask-Limiter, Flask-Caching, gunicorn) and
Ballast (default settings, rate limit off, memory mode), one after another in one run with
the same load and the same Redis; then Redis killed and Redis hung for the peer and for
Ballast, with a revoked token tried in each outage; and the Redis commands each route costs.

Run: `make bench` (or `.venv/bin/python bench/compare.py`). Needs wrk (installed with apt-get
when missing) and creates bench/peers/.venv from bench/peers/requirements.txt. Writes its
section of docs/BENCHMARKS.md (between its markers), leaving the rest as it is.
"""

import argparse
import contextlib
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.failover import (  # noqa: E402
    BIN,
    PASSWORD,
    Server,
    ballast_env,
    ensure_wrk,
    login,
    time_back_on_redis,
    wrk,
)
from bench.report import machine_line, write_section  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

PEERS = ROOT / "bench" / "peers"
PEER_VENV = PEERS / ".venv"
MARKER = "make bench"
ME = "/api/auth/me"
CONVERT = "/api/currency/convert?amount=10.50&from=USD&to=EUR"
ROUTES = {"me": ME, "convert": CONVERT}
# High enough that the benchmark's one client is never refused: the cost is what is measured.
LIMIT = "1000000/second"
# Login storm: more concurrent logins than the hash pools take (2 hashes at a time per
# worker, 2 workers), each a wrong password, so every one costs a full argon2id hash.
STORM_CLIENTS = 8
BEFORE_STORM = "healthy, just before the login storm"


def before(kind: str) -> str:
    return f"healthy, just before Redis {kind}"


def peer_python() -> Path:
    """The peer's own venv, rebuilt when its pinned requirements change."""
    stamp = PEER_VENV / ".requirements"
    wanted = (PEERS / "requirements.txt").read_text()
    if not stamp.exists() or stamp.read_text() != wanted:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
        pip = [str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "-r", str(PEERS / "requirements.txt")], check=True)
        stamp.write_text(wanted)
    return PEER_VENV / "bin"


def peer_server(peer_bin: Path, redis_url: str, rate_limit: str | None = None) -> Server:
    """`rate_limit`: the peer's limit (e.g. `off`), else its default of 1000000 per second."""
    # gunicorn takes --bind, not --port: a tiny shim keeps Server's `--port N` convention.
    shim = (
        "import sys, os; port = sys.argv[-1]; "
        "os.execv(sys.argv[1], [sys.argv[1], '-w', '2', '-b', f'127.0.0.1:{port}', "
        "'--chdir', sys.argv[2], '--log-level', 'warning', 'app:app'])"
    )
    env = {
        "PEER_REDIS_URL": redis_url,
        "PEER_ADMIN_PASSWORD": PASSWORD,
        "PEER_JWT_SECRET": "bench-secret-bench-secret-bench-secret-123",
    }
    if rate_limit is not None:
        env["PEER_RATE_LIMIT"] = rate_limit
    argv = [sys.executable, "-c", shim, str(peer_bin / "gunicorn"), str(PEERS)]
    return Server(argv, env)


def bare_server(workers: int) -> Server:
    argv = [str(BIN / "uvicorn"), "bench.bare_app:create_app", "--factory"]
    argv += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    return Server(argv, {"PYTHONPATH": str(ROOT)})


def ballast_server(redis_url: str | None, rate_limit: str, workers: int = 2) -> Server:
    argv = [str(BIN / "ballast"), "serve", "--workers", str(workers)]
    return Server(argv, ballast_env(redis_url, rate_limit))


def revoked_token(base: str) -> str:
    """A token logged out while Redis is healthy: every later use must be refused."""
    token = login(base)
    request = urllib.request.Request(
        base + "/api/auth/logout", method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    urllib.request.urlopen(request, timeout=10).close()
    return token


def accepted(base: str, token: str, tries: int = 20) -> int:
    """How many of `tries` requests with `token` got a 200."""
    ok = 0
    for _ in range(tries):
        request = urllib.request.Request(base + ME, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                ok += response.status == 200
        except (urllib.error.HTTPError, OSError):
            pass
    return ok


def commandstats(redis: RedisServer) -> dict[str, int]:
    with redis.client() as client:
        stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


class Bench:
    def __init__(self, seconds: int, connections: int) -> None:
        self.binary = ensure_wrk()
        self.seconds, self.connections = seconds, connections
        self.rows: list[dict[str, Any]] = []
        self.commands: list[tuple[str, str, dict[str, float]]] = []

    def run(
        self,
        side: str,
        phase: str,
        route: str,
        server: Server,
        token: str | None,
        seconds: int | None = None,
        redis: RedisServer | None = None,
    ) -> dict[str, Any]:
        before = commandstats(redis) if redis is not None else None
        result = wrk(
            self.binary,
            server.base + ROUTES[route],
            token,
            seconds or self.seconds,
            self.connections,
        )
        if redis is not None and before is not None:
            after = commandstats(redis)
            per = {
                name: (calls - before.get(name, 0)) / max(1, result["requests"])
                for name, calls in after.items()
                if calls - before.get(name, 0) > 0 and name != "info"
            }
            self.commands.append((side, route, per))
        row = {"side": side, "phase": phase, "route": route, **result}
        self.rows.append(row)
        print(json.dumps(row), flush=True)
        return row

    def sweep(
        self,
        side: str,
        server: Server,
        token: str | None,
        redis: RedisServer | None = None,
        phase: str = "healthy",
    ) -> None:
        for route in ROUTES:
            self.run(side, phase, route, server, token if route == "me" else None, redis=redis)

    def storm(self, side: str, server: Server, token: str) -> int:
        """/api/auth/me under load while STORM_CLIENTS threads log in without pause;
        returns how many logins were answered meanwhile."""
        stop = threading.Event()
        answered = [0] * STORM_CLIENTS

        def log_in(slot: int) -> None:
            body = json.dumps({"username": "admin", "password": "wrong-password"}).encode()
            while not stop.is_set():
                request = urllib.request.Request(
                    server.base + "/api/auth/login",
                    data=body,
                    headers={"Content-Type": "application/json"},
                )
                # 401 is the answer expected (a wrong password, hashed in full)
                with contextlib.suppress(urllib.error.HTTPError, OSError):
                    urllib.request.urlopen(request, timeout=10).close()
                answered[slot] += 1

        # The reference right before: phases minutes apart differ by more than the effect.
        self.run(side, BEFORE_STORM, "me", server, token)
        threads = [threading.Thread(target=log_in, args=(i,)) for i in range(STORM_CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1)  # the storm is under way before the load is measured
            row = self.run(side, "login storm", "me", server, token)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        row["logins"] = sum(answered)
        return row["logins"]

    def outages(self, side: str, server: Server, redis: RedisServer) -> dict[str, int]:
        """Killed, then hung: load from the first moment (a 1 s run), then the rest; the
        revoked token is tried after each."""
        token, revoked = login(server.base), revoked_token(server.base)
        seen = {}
        for kind, stop, restore in (
            ("killed", redis.kill, redis.start),
            ("hung", redis.hang, redis.resume),
        ):
            self.run(side, before(kind), "me", server, token)  # the adjacent reference
            stop()
            self.run(side, f"Redis {kind}, first second", "me", server, token, seconds=1)
            self.run(side, f"Redis {kind}, after 1 s", "me", server, token)
            seen[kind] = accepted(server.base, revoked)
            self.rows[-1]["revoked_accepted"] = seen[kind]
            restore()
            if side.startswith("Ballast"):
                time_back_on_redis(server.base)
            else:
                time.sleep(2)
        return seen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--output", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    args = parser.parse_args()
    bench = Bench(args.seconds, args.connections)
    peer_bin = peer_python()
    redis = RedisServer().start()
    try:
        for workers in (2, 1):
            server = bare_server(workers)
            try:
                bench.sweep(f"bare Starlette, {workers} worker(s)", server, None)
            finally:
                server.stop()

        redis.restart()
        server = peer_server(peer_bin, redis.url)
        try:
            bench.sweep("peer", server, login(server.base), redis)
            bench.outages("peer", server, redis)
        finally:
            server.stop()

        redis.restart()
        server = ballast_server(redis.url, LIMIT)
        try:
            bench.sweep("Ballast default", server, login(server.base), redis)
            bench.storm("Ballast default", server, login(server.base))
            bench.outages("Ballast default", server, redis)
        finally:
            server.stop()

        redis.restart()
        server = ballast_server(redis.url, "off")
        try:
            bench.sweep("Ballast, rate limit off", server, login(server.base), redis)
        finally:
            server.stop()
    finally:
        redis.stop()

    # Several workers need Redis (`serve` refuses otherwise): memory mode runs one.
    server = ballast_server(None, LIMIT, workers=1)
    try:
        bench.sweep("Ballast memory mode, 1 worker(s)", server, login(server.base))
    finally:
        server.stop()
    write_report(Path(args.output), bench, args.seconds, args.connections)


def _find(rows: list[dict[str, Any]], side: str, phase: str, route: str) -> dict[str, Any]:
    return next(r for r in rows if (r["side"], r["phase"], r["route"]) == (side, phase, route))


def _bare(row: dict[str, Any]) -> str:
    return (
        "bare Starlette, 1 worker(s)"
        if "1 worker" in row["side"]
        else ("bare Starlette, 2 worker(s)")
    )


def table(bench: Bench) -> list[str]:
    rows = bench.rows
    lines = [
        "| side | phase | route | requests/s | p50 ms | p99 ms | errors | ÷ bare | ÷ peer"
        " | revoked token accepted |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        bare = _find(rows, _bare(r), "healthy", r["route"])["rps"]
        peer = next(
            (
                p["rps"]
                for p in rows
                if p["side"] == "peer" and (p["phase"], p["route"]) == (r["phase"], r["route"])
            ),
            None,
        )
        # A peer that answered (next to) nothing has no ratio: hung on Redis, it served none.
        to_peer = f"{r['rps'] / peer:.1f}" if peer and peer >= 1 else "—"
        lines.append(
            f"| {r['side']} | {r['phase']} | {r['route']} | {r['rps']:,.0f} | {r['p50']:.2f}"
            f" | {r['p99']:.2f} | {r['errors']} | {r['rps'] / bare:.2f} | {to_peer}"
            f" | {r.get('revoked_accepted', '')} |"
        )
    return lines


def targets(bench: Bench) -> list[str]:
    rows = bench.rows

    def rps(side: str, route: str, phase: str = "healthy") -> float:
        return float(_find(rows, side, phase, route)["rps"])

    def p99(side: str, phase: str) -> float:
        return float(_find(rows, side, phase, "me")["p99"])

    bare2, ballast = "bare Starlette, 2 worker(s)", "Ballast default"
    checks = [
        ("/api/auth/me ÷ bare, default settings", rps(ballast, "me") / rps(bare2, "me"), 0.55),
        (
            "convert ÷ bare, default settings",
            rps(ballast, "convert") / rps(bare2, "convert"),
            0.50,
        ),
        ("/api/auth/me ÷ peer", rps(ballast, "me") / rps("peer", "me"), 10.0),
        ("convert ÷ peer", rps(ballast, "convert") / rps("peer", "convert"), 10.0),
        (
            "rate limit on ÷ off, /api/auth/me",
            rps(ballast, "me") / rps("Ballast, rate limit off", "me"),
            0.90,
        ),
        (
            "memory mode ÷ bare, 1 worker each",
            rps("Ballast memory mode, 1 worker(s)", "me")
            / rps("bare Starlette, 1 worker(s)", "me"),
            0.55,
        ),
    ]
    checks.append(
        (
            "login storm: /api/auth/me ÷ without it",
            rps(ballast, "me", "login storm") / rps(ballast, "me", BEFORE_STORM),
            0.80,
        )
    )
    for kind in ("killed", "hung"):
        after = f"Redis {kind}, after 1 s"
        checks.append(
            (
                f"Redis {kind} ÷ healthy, requests/s",
                rps(ballast, "me", after) / rps(ballast, "me", before(kind)),
                0.90,
            )
        )
        checks.append(
            (
                f"Redis {kind}: 2 x healthy p99 ÷ p99",
                2 * p99(ballast, before(kind)) / p99(ballast, after),
                1.0,
            )
        )
    lines = ["| target | measured | at least | met |", "|---|---:|---:|---|"]
    for name, value, floor in checks:
        lines.append(
            f"| {name} | {value:.2f} | {floor:.2f} | {'yes' if value >= floor else 'no'} |"
        )
    return lines


def commands(bench: Bench) -> list[str]:
    lines = ["| side | route | Redis commands per request (by command) |", "|---|---|---|"]
    for side, route, per in bench.commands:
        total = sum(per.values())
        detail = ", ".join(f"{name} {n:.3f}" for name, n in sorted(per.items())) or "none"
        lines.append(f"| {side} | {route} | {total:.3f} ({detail}) |")
    return lines


def storm_logins(bench: Bench) -> int:
    return sum(int(row.get("logins", 0)) for row in bench.rows)


def write_report(path: Path, bench: Bench, seconds: int, connections: int) -> None:
    generated = [
        machine_line(),
        "",
        f"Command: `make bench` (`python bench/compare.py --seconds {seconds} --connections"
        f" {connections}`). Load: wrk, 2 threads, {connections} keep-alive connections,"
        f" {seconds} s per phase, over loopback, on the same cores as the servers: absolute"
        " figures are this machine's, the ratios (measured in this one run) are the point.",
        "Every server runs 2 workers (uvicorn; the peer: gunicorn sync workers), except the"
        " `1 worker(s)` rows (Ballast's memory mode serves one process: several need Redis)."
        f" Rate limits are on at `{LIMIT}` (Ballast) and `1000000 per second` (peer), so the"
        " one benchmark client is never refused: their cost is what is measured (for a client"
        " under its rate: its key is at rest at every request). `÷ bare` is"
        " against the bare Starlette row with the same number of workers and route; `÷ peer`"
        " against the peer in the same phase. `revoked token accepted`: of 20 requests made"
        " with a token logged out before the outage, how many got a 200. Each outage and the login"
        " storm is compared with the healthy phase run just before it (`healthy, just"
        " before ...`): phases minutes apart differ on this kind of machine by more than the"
        " effects measured. `login storm`:"
        f" {STORM_CLIENTS} clients log in with a wrong password without pause (each a full"
        " argon2id hash; more than the 2 x 2 hashes the workers run at once, at a lower CPU"
        " priority than the requests) while the load"
        f" runs; {storm_logins(bench)} logins were answered during it.",
        "",
        *table(bench),
        "",
        "### Targets",
        "",
        "From the phases above, run one after another: the next section (bench/interleaved.py,"
        " which `make bench` runs next) measures the ratios again with the servers taking"
        " turns, less touched by the machine drifting between phases.",
        "",
        *targets(bench),
        "",
        "### Redis commands per request",
        "",
        "INFO commandstats deltas over each healthy phase, divided by its requests. Ballast's"
        " include the background work of the phase (the rate limiter's sync, one EVALSHA per"
        " 100 ms per worker carrying the keys near their limit, and the heartbeats), reported"
        " per request.",
        "",
        *commands(bench),
    ]
    write_section(
        path,
        MARKER,
        generated,
        "## Side by side: bare Starlette, the peer stack, Ballast (`make bench`)",
    )


if __name__ == "__main__":
    main()
