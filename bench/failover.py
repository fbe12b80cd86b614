"""Benchmark: GET /api/auth/me through Redis healthy, killed and hung, against Ballast in
memory mode and a bare Starlette endpoint; rate limiting on and off; time back to Redis.

Run: `.venv/bin/python bench/failover.py` (after `make bench` has installed wrk). Starts
its own redis-server and servers on free loopback ports, each with 2 uvicorn workers; writes
its section of docs/BENCHMARKS.md (between its markers). Its helpers (servers, wrk, login)
are shared by bench/compare.py, which `make bench` runs.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import machine_line, write_section  # noqa: E402
from tests.redis_server import RedisServer, free_port  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "bench-admin-password"
READS = "/api/notifications?limit=10"
QUIET_WAIT = 2.0  # seconds of silent hang before the load starts


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("bench: wrk is needed (apt-get install wrk)")
    return wrk


class Server:
    """A server process with 2 workers on a free port."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env}
        self.process = subprocess.Popen(
            [*argv, "--port", str(self.port)],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/api/auth/me", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # answering (401 without a token)
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"server did not start: {argv}")
        time.sleep(1.0)  # let both workers finish starting

    def workers(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        pids = [int(p) for p in out]
        # uvicorn's multiprocess supervisor may sit between us and the workers
        nested = []
        for pid in pids:
            kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
            nested += [int(p) for p in kids.stdout.split()]
        return [p for p in pids + nested if _is_worker(p)]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def _is_worker(pid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"spawn_main" in cmd and b"resource_tracker" not in cmd


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def login(base: str) -> str:
    request = urllib.request.Request(
        base + "/api/auth/login",
        data=json.dumps({"username": "admin", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    return float(m[1]) * UNITS[m[2]]


def wrk(
    binary: str,
    url: str,
    token: str | None,
    seconds: int,
    connections: int,
    script: Path | None = None,
) -> dict:
    """`script`: a Lua file that shapes the request (a POST with its body and headers)."""
    argv = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out)[1])
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out)[1])
    requests = int(re.search(r"(\d+) requests in", out)[1])
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx[1]) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"rps": rps, "p50": p50, "p99": p99, "requests": requests, "errors": errors}


def measure(
    binary: str,
    server: Server,
    token: str | None,
    seconds: int,
    conns: int,
    path: str = "/api/auth/me",
) -> dict:
    workers = server.workers()
    before = {p: cpu_seconds(p) for p in workers}
    result = wrk(binary, server.base + path, token, seconds, conns)
    result["worker_cpu"] = [round(cpu_seconds(p) - before[p], 2) for p in workers]
    return result


def ballast_env(redis_url: str | None, rate_limit: str) -> dict[str, str]:
    env = {
        "BALLAST_ENV": "development",
        "BALLAST_ADMIN_PASSWORD": PASSWORD,
        "BALLAST_JWT_SECRET": "bench-secret-bench-secret-bench-secret-123",
        "BALLAST_RATE_LIMIT": rate_limit,
        "BALLAST_LOGIN_RATE_LIMIT": "off",
        "BALLAST_LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


def time_back_on_redis(base: str, within: float = 30.0) -> float:
    """Seconds from Redis answering again until 20 /health answers in a row say pass
    (so both workers are back, whichever answers)."""
    started = time.monotonic()
    streak = 0
    while time.monotonic() - started < within:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as r:
                ok = json.loads(r.read())["status"] == "pass"
        except urllib.error.HTTPError:
            ok = False
        streak = streak + 1 if ok else 0
        if streak >= 20:
            return time.monotonic() - started
        time.sleep(0.005)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--output", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    args = parser.parse_args()
    binary = ensure_wrk()
    load_before = os.getloadavg()[0]
    secs, conns = args.seconds, args.connections
    serve = [str(BIN / "ballast"), "serve", "--workers", "2"]
    rows: list[tuple[str, dict]] = []

    quiet: list[tuple[str, dict]] = []

    def run(name: str, server: Server, token: str | None, seconds: int = secs) -> dict:
        result = measure(binary, server, token, seconds, conns)
        rows.append((name, result))
        print(f"{name}: {result}", flush=True)
        return result

    def run_reads(name: str, server: Server, token: str, seconds: int) -> dict:
        result = measure(binary, server, token, seconds, conns, READS)
        quiet.append((name, result))
        print(f"{name}: {result}", flush=True)
        return result

    bare = Server(
        [
            str(BIN / "uvicorn"),
            "bench.bare_app:create_app",
            "--factory",
            "--workers",
            "2",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        {"PYTHONPATH": str(ROOT)},
    )
    try:
        baseline = run("bare Starlette endpoint", bare, None)
    finally:
        bare.stop()

    # Several workers need Redis (`serve` refuses otherwise): memory mode runs one.
    memory = Server([*serve[:-1], "1"], ballast_env(None, "off"))
    try:
        run("Ballast, memory mode (no Redis), 1 worker", memory, login(memory.base))
    finally:
        memory.stop()

    redis = RedisServer().start()
    results: dict[str, dict] = {}
    back: dict[str, float] = {}
    try:
        for limit in ("off", "1000000/second"):
            tag = "rate limit off" if limit == "off" else "rate limit on"
            redis.restart()
            server = Server(serve, ballast_env(redis.url, limit))
            try:
                token = login(server.base)
                results[f"healthy/{tag}"] = run(f"Redis healthy, {tag}", server, token)
                redis.kill()
                run(f"Redis killed, first second, {tag}", server, token, 1)
                results[f"killed/{tag}"] = run(f"Redis killed, after 1 s, {tag}", server, token)
                redis.start()
                back[f"after kill, {tag}"] = time_back_on_redis(server.base)
                redis.hang()
                # Load from the first moment of the outage; the target is on what follows
                # the first second, measured by a second wrk run straight after.
                run(f"Redis hung, first second, {tag}", server, token, 1)
                results[f"hung/{tag}"] = run(f"Redis hung, after 1 s, {tag}", server, token)
                redis.resume()
                back[f"after hang, {tag}"] = time_back_on_redis(server.base)
            finally:
                server.stop()

        # Hung from a quiet start: a route that reads Redis on every request, healthy, then
        # Redis hung while nothing runs; load starts QUIET_WAIT seconds into the hang, with
        # no request in between: only the heartbeat can have noticed it. Then the same with
        # the heartbeat effectively off (one PING a minute), as it was before it existed.
        for heartbeat, label in ((None, ""), ("60", ", heartbeat off")):
            redis.restart()
            env = ballast_env(redis.url, "off")
            if heartbeat:
                env["BALLAST_REDIS_HEARTBEAT_INTERVAL"] = heartbeat
            server = Server(serve, env)
            try:
                token = login(server.base)
                results[f"reads healthy{label}"] = run_reads(
                    f"Redis healthy{label}", server, token, secs
                )
                redis.hang()
                time.sleep(QUIET_WAIT)
                results[f"reads quiet hang{label}"] = run_reads(
                    f"Redis hung {QUIET_WAIT:g} s before, no request meanwhile{label}:"
                    " first second",
                    server,
                    token,
                    1,
                )
                redis.resume()
                back[f"after a quiet hang{label}"] = time_back_on_redis(server.base)
            finally:
                server.stop()
    finally:
        redis.stop()

    healthy = results["healthy/rate limit off"]
    ratios = {
        "healthy /me vs bare (requests/s)": healthy["rps"] / baseline["rps"],
        "hung p99 / healthy p99 (limits off)": results["hung/rate limit off"]["p99"]
        / healthy["p99"],
        "hung p99 / healthy p99 (limits on)": results["hung/rate limit on"]["p99"]
        / results["healthy/rate limit on"]["p99"],
        "rate limiting cost (healthy, requests/s on/off)": results["healthy/rate limit on"]["rps"]
        / healthy["rps"],
        "quiet hang, first second p99 / healthy p99 (Redis reads)": results["reads quiet hang"][
            "p99"
        ]
        / results["reads healthy"]["p99"],
        "same, heartbeat off (for comparison)": results["reads quiet hang, heartbeat off"]["p99"]
        / results["reads healthy, heartbeat off"]["p99"],
    }
    load = (load_before, os.getloadavg()[0])
    write_report(Path(args.output), rows, quiet, ratios, back, secs, conns, load)


def table(rows: list[tuple[str, dict]]) -> list[str]:
    lines = [
        "| phase | requests/s | p50 ms | p99 ms | errors | worker CPU s |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} |"
            f" {', '.join(str(c) for c in r['worker_cpu'])} |"
        )
    return lines


def write_report(
    path: Path,
    rows: list[tuple[str, dict]],
    quiet: list[tuple[str, dict]],
    ratios: dict[str, float],
    back: dict[str, float],
    secs: int,
    conns: int,
    load: tuple[float, float],
) -> None:
    lines = [
        machine_line(),
        "",
        f"Command: `.venv/bin/python bench/failover.py --seconds {secs} --connections {conns}`.",
        f"Load: wrk, 2 threads, {conns} keep-alive connections, {secs} s per phase, over loopback,"
        " on the same 2 cores as the servers (absolute figures are modest;"
        " the ratios are the point).",
        "Every server runs 2 uvicorn workers (memory mode: 1, as `serve` refuses more without"
        " Redis). `worker CPU s` is each worker's CPU time during"
        " the phase: it shows whether the load reached both workers.",
        f"Load average (1 min) of the machine: {load[0]:.1f} at the start, {load[1]:.1f} at the"
        " end; above the 2 cores, other processes competed with the run, and figures taken"
        " minutes apart compare less well than adjacent phases.",
        "",
        "### GET /api/auth/me",
        "",
        *table(rows),
        "",
        f"### Hung from a quiet start: GET {READS}",
        "",
        "A route that reads Redis on every request (the caller's notifications), rate"
        " limiting off. Redis is hung (SIGSTOP) while no request runs; the load starts"
        f" {QUIET_WAIT:g} s into the hang, so only the link's heartbeat can have noticed it"
        " (PING every 0.5 s, 0.25 s each, two misses open the breaker). The figure that"
        " matters is the first second's p99 against the healthy p99."
        " On a machine so loaded that the healthy p99 is itself above the 0.25 s command"
        " timeout, neither this ratio nor the heartbeat-off comparison can show the waits the"
        " heartbeat saves; tests/chaos/test_silent_hang.py shows functionally that the"
        " breaker is open before the first request after a quiet hang.",
        "",
        *table(quiet),
    ]
    lines += ["", "### Ratios", "", "| ratio | value | target |", "|---|---:|---|"]
    targets = {
        "healthy /me vs bare (requests/s)": ">= 0.50",
        "hung p99 / healthy p99 (limits off)": "<= 2.0",
        "hung p99 / healthy p99 (limits on)": "<= 2.0",
        "rate limiting cost (healthy, requests/s on/off)": "(informative)",
        "quiet hang, first second p99 / healthy p99 (Redis reads)": "<= 2.0",
        "same, heartbeat off (for comparison)": "(informative)",
    }
    for name, value in ratios.items():
        lines.append(f"| {name} | {value:.2f} | {targets[name]} |")
    lines += [
        "",
        "Reading the figures: `/api/auth/me` never needs Redis (the revocation replica is in"
        " each process), so with rate limiting off Redis dying or hanging changes nothing."
        " With rate limiting on, requests are decided in process too (the limiter's hits are"
        " exchanged with Redis in the background every 100 ms), so a dead or hung Redis"
        " costs the request path nothing; the breaker opens on the heartbeat or the"
        " background sync and closes when the probe sees Redis answer.",
    ]
    lines += [
        "",
        "### Back on Redis",
        "",
        "Seconds from Redis answering again until 20 consecutive `/health` answers (either"
        " worker) say `pass`.",
        "",
        "| after | seconds |",
        "|---|---:|",
    ]
    for name, seconds in back.items():
        lines.append(f"| {name} | {seconds:.2f} |")
    write_section(path, "bench/failover.py", lines, "## Failover phases (`bench/failover.py`)")


if __name__ == "__main__":
    main()
