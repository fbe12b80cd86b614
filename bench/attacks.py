"""Benchmark: one worker serving GET /api/auth/me while anonymous clients attack it, as a
share of its rate right before each attack (target: at least 80%).

- bodies: a loop posting the 64 KiB login body that was quadratic to scan (`{`x33, `"`,
  then `\\"`x32000) to /api/auth/login without pause; then four such loops at once;
- login storm: 150 concurrent wrong logins from one address, each with another username
  (every attempt has a fresh login-limit bucket, so each one is hashed in full).

Both attackers and the measuring client are wrk (its Lua scripts written to a temporary
directory), so that no Python client competes with the worker for the CPU. Runs in memory
mode and on a Redis of its own. Also measures the body reader alone: CPU per KiB of the
attack bodies against a plain JSON parse of as many bytes.

Run: `.venv/bin/python bench/attacks.py` (after `make bench` has installed wrk); writes its
section of docs/BENCHMARKS.md (between its markers).
"""

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.failover import (  # noqa: E402
    BIN,
    Server,
    ballast_env,
    ensure_wrk,
    login,
    measure,
)
from bench.report import machine_line, write_section  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

MARKER = "bench/attacks.py"
TARGET = 0.80
# (attack, its script, concurrent connections): one loop, as the report had it, and four.
ATTACKS = [("bodies", "bodies", 1), ("bodies", "bodies", 4), ("login storm", "storm", 150)]
# `{`x33 `"` then `\"`x32000: 64,034 bytes, under the 64 KiB body limit.
ATTACK_BODY = "{" * 33 + '"' + '\\"' * 32_000

BODIES_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.rep("{", 33) .. '"' .. string.rep('\\\\"', 32000)
"""
STORM_LUA = """
local n = 0
request = function()
  n = n + 1
  local body = '{"username":"storm-' .. n .. '","password":"wrong-password-' .. n .. '"}'
  return wrk.format("POST", "/api/auth/login", {["Content-Type"] = "application/json"}, body)
end
"""


def attacker(binary: str, script: Path, base: str, connections: int, seconds: int) -> Any:
    argv = [binary, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    argv += ["-s", str(script), base + "/api/auth/login"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def attacked(
    binary: str, server: Server, token: str, script: Path, connections: int, args: Any
) -> tuple[dict[str, Any], int]:
    """/api/auth/me measured while the attacker runs; and how many attacks were answered."""
    process = attacker(binary, script, server.base, connections, args.seconds + 3)
    try:
        time.sleep(1.5)  # the attack is under way before the measure starts
        row = measure(binary, server, token, args.seconds, args.connections)
    finally:
        out, _ = process.communicate(timeout=args.seconds + 60)
    answered = next((int(w) for w, n in _pairs(out) if n == "requests"), 0)
    return row, answered


def _pairs(text: str) -> list[tuple[str, str]]:
    words = text.split()
    return list(itertools.pairwise(words))


def run_mode(binary: str, mode: str, redis_url: str | None, scripts: dict[str, Path], args: Any):
    env = ballast_env(redis_url, "off")
    # The login limit at its default: the storm's usernames each have a fresh bucket.
    env["BALLAST_LOGIN_RATE_LIMIT"] = "10/minute"
    env.pop("BALLAST_PASSWORD_HASH_LOG2_N", None)  # the production cost of a hash
    server = Server([str(BIN / "ballast"), "serve", "--workers", "1"], env)
    rows = []
    try:
        token = login(server.base)
        for attack, script, connections in ATTACKS:
            # Rounds of healthy then attacked: the median of their ratios stands less on the
            # load of the rest of the machine than one pair of phases.
            rounds = []
            for _ in range(args.rounds):
                healthy = measure(binary, server, token, args.seconds, args.connections)
                row, answered = attacked(binary, server, token, scripts[script], connections, args)
                ratio = row["rps"] / healthy["rps"] if healthy["rps"] else 0.0
                rounds.append((ratio, healthy, row, answered))
                print(json.dumps([mode, attack, connections, ratio, answered]), flush=True)
            ratio, healthy, row, answered = sorted(rounds, key=lambda r: r[0])[len(rounds) // 2]
            rows.append(
                {
                    "mode": mode,
                    "attack": attack,
                    "attackers": connections,
                    "healthy": healthy,
                    "attacked": row,
                    "answered": answered / (args.seconds + 3),
                    "ratio": ratio,
                    "ratios": sorted(r[0] for r in rounds),
                }
            )
    finally:
        server.stop()
    return rows


def reader_cost(repeat: int = 20) -> list[tuple[str, int, float, float]]:
    """CPU microseconds per KiB: the body reader on each attack body, and json.loads on a
    plain body of as many bytes (an array of short strings)."""
    from entrypoints.http.problems import MalformedBodyError
    from entrypoints.http.requests import parse_body

    bodies = {
        "reported (unclosed escaped quotes)": ATTACK_BODY,
        "quotes only": '"' * 64_000,
        "brackets, then escaped quotes": "[" * 33 + '"' + '\\"' * 32_000 + '"' + "]" * 33,
        "deep nesting": "[" * 32_000 + "]" * 32_000,
    }
    out = []
    for name, text in bodies.items():
        raw = text.encode()
        plain = json.dumps(["ab"] * (len(raw) // 5)).encode()[: len(raw)]
        plain = plain[: plain.rfind(b",")] + b"]"
        started = time.process_time()
        for _ in range(repeat):
            with contextlib.suppress(MalformedBodyError):
                parse_body(raw)
        ours = (time.process_time() - started) / repeat
        started = time.process_time()
        for _ in range(repeat):
            json.loads(plain)
        theirs = (time.process_time() - started) / repeat
        kib = len(raw) / 1024
        out.append((name, len(raw), ours / kib * 1e6, theirs / kib * 1e6))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-redis", action="store_true", help="memory mode only")
    parser.add_argument("--output", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    args = parser.parse_args()
    binary = ensure_wrk()
    load_before = os.getloadavg()[0]
    costs = reader_cost()
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {"bodies": Path(tmp) / "bodies.lua", "storm": Path(tmp) / "storm.lua"}
        scripts["bodies"].write_text(BODIES_LUA)
        scripts["storm"].write_text(STORM_LUA)
        rows = run_mode(binary, "memory", None, scripts, args)
        if not args.no_redis:
            redis = RedisServer().start()
            try:
                rows += run_mode(binary, "redis", redis.url, scripts, args)
            finally:
                redis.stop()
    load_after = os.getloadavg()[0]
    write_section(
        Path(args.output),
        MARKER,
        report(rows, costs, args, load_before, load_after),
        "## Attacks before authentication (bench/attacks.py)",
    )


def report(
    rows: list[dict[str, Any]],
    costs: list[tuple[str, int, float, float]],
    args: Any,
    load_before: float,
    load_after: float,
) -> list[str]:
    lines = [
        machine_line(),
        f"Command: `.venv/bin/python bench/attacks.py --seconds {args.seconds} --rounds"
        f" {args.rounds} --connections {args.connections}`. One worker (`ballast serve"
        " --workers 1`, rate limit off, login limit 10/minute, production hash cost);"
        " GET /api/auth/me measured with wrk (2 threads,"
        f" {args.connections} connections, {args.seconds} s) right before and during each"
        f" attack, {args.rounds} rounds: the round of the median ratio is shown, and every"
        " ratio. Every client is on loopback, so all share one address. Load average (1 min)"
        f" {load_before:.2f} before, {load_after:.2f} after.",
        "",
        "| storage | attack | attackers | /me healthy (req/s) | /me attacked (req/s) | share"
        f" (target {TARGET:.0%}) | every round's ratio | attacked p99 (ms) | attacks answered"
        " (per s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        met = "met" if r["ratio"] >= TARGET else "**not met**"
        lines.append(
            f"| {r['mode']} | {r['attack']} | {r['attackers']} | {r['healthy']['rps']:.0f} |"
            f" {r['attacked']['rps']:.0f} | {r['ratio']:.0%} ({met}) |"
            f" {' / '.join(f'{x:.0%}' for x in r['ratios'])} |"
            f" {r['attacked']['p99']:.1f} | {r['answered']:.0f} |"
        )
    lines += [
        "",
        "The body reader alone (`parse_body`, CPU per KiB, against `json.loads` of a plain"
        " array of as many bytes):",
        "",
        "| body | bytes | reader (us/KiB) | plain parse (us/KiB) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n} | {b} | {o:.1f} | {p:.1f} |" for n, b, o, p in costs]
    return lines


if __name__ == "__main__":
    main()
