"""Password logins per second per core, next to Keycloak's published sizing (15 password
logins/s per vCPU, with its default hashing).

One `ballast serve --workers 1` in memory, pinned to one core (taskset: the event loop and
both hashing threads share it), then to every core; wrk sends valid admin logins from a few
connections (no more than the hashing pool keeps waiting for one address: none is refused)
with the rate limits off, at the default argon2id cost (19 MiB, 2 passes, 1 lane).

Run: `make bench-logins` (or `.venv/bin/python bench/logins.py`). Writes its section of
docs/BENCHMARKS.md.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.failover import BIN, PASSWORD, Server, ballast_env, ensure_wrk, wrk  # noqa: E402
from bench.report import machine_line, write_section  # noqa: E402

MARKER = "make bench-logins"
KEYCLOAK_PER_VCPU = 15.0  # password logins/s per vCPU, Keycloak's sizing guide
CONNECTIONS = 4  # 2 hashing + 2 waiting: under the pool's 4 waiting per address

LOGIN_LUA = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
"""


def run(cores: list[int], seconds: int, binary: str, script: Path) -> dict[str, float]:
    env = {**ballast_env(None, "off"), "BALLAST_ACCESS_LOG": "off"}
    pin = ["taskset", "-c", ",".join(map(str, cores))]
    server = Server([*pin, str(BIN / "ballast"), "serve", "--workers", "1"], env)
    try:
        before = cpu_seconds(server.process.pid)
        result = wrk(binary, f"{server.base}/api/auth/login", None, seconds, CONNECTIONS, script)
        used = cpu_seconds(server.process.pid) - before
    finally:
        server.stop()
    result["per_core"] = result["rps"] / len(cores)
    # Logins per CPU second the server used: what one core of its own would serve, however
    # many other processes the machine ran meanwhile (the hashing threads run at nice 10).
    result["per_cpu_second"] = result["requests"] / used if used else 0.0
    result["cpu_seconds"] = used
    return result


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its descendants (threads included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue  # gone meanwhile
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        pending += [int(c) for c in children]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    binary = ensure_wrk()
    body = json.dumps(json.dumps({"username": "admin", "password": PASSWORD}))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LOGIN_LUA.format(body=body))
    script = Path(f.name)
    all_cores = sorted(os.sched_getaffinity(0))
    rows = [("1 core", run(all_cores[:1], args.seconds, binary, script))]
    if len(all_cores) > 1:
        rows.append((f"{len(all_cores)} cores", run(all_cores, args.seconds, binary, script)))
    script.unlink()
    lines = [
        machine_line(),
        "",
        f"`{MARKER}` (`.venv/bin/python bench/logins.py`): one worker in memory, pinned with"
        f" taskset; wrk, {CONNECTIONS} connections, {args.seconds} s of valid admin logins"
        " (rate limits off), argon2id at the default cost (19 MiB, t=2, p=1).",
        "",
        "| pinned to | logins/s | logins/s per core | logins per CPU second | Keycloak's sizing"
        " per vCPU | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['rps']:.1f} | {r['per_core']:.1f} | {r['per_cpu_second']:.1f}"
            f" | {KEYCLOAK_PER_VCPU:.0f}"
            f" | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
        )
        print(name, json.dumps(r))
    write_section(ROOT / "docs" / "BENCHMARKS.md", MARKER, lines, "## Password logins per core")


if __name__ == "__main__":
    main()
