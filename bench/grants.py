"""Client-credentials grants and client-token verification, side by side with bare
Starlette in one run: grants/s at POST /oauth/token (HTTP Basic, form body, wrk with a Lua
script) against bare Starlette's requests/s on /api/auth/me, and GET /api/users?limit=1 with
a client's token against the same route with an admin's token. Ballast on a local Redis (two
workers need it) with its default settings but the rate limits (off: the cost is what is
measured): a grant never asks Redis, the registry is each worker's replica.

Run: `make bench` (after compare.py), or `.venv/bin/python bench/grants.py`. Writes its
section of docs/BENCHMARKS.md between its markers.
"""

import argparse
import base64
import json
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compare import ballast_server, bare_server  # noqa: E402
from bench.failover import _ms, ensure_wrk, login, measure  # noqa: E402
from bench.report import machine_line, write_section  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

MARKER = "make bench: grants"
USERS = "/api/users?limit=1"
OFF = "off"
# wrk posts the grant: form body, HTTP Basic (the header is filled in by `script`).
LUA = """
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic {basic}"
"""


def _post(base: str, path: str, body: dict[str, Any], token: str) -> Any:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def client_token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        base + "/oauth/token",
        data=b"grant_type=client_credentials",
        method="POST",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        token: str = json.loads(answer.read())["access_token"]
        return token


def wrk_grants(binary: str, base: str, basic: str, seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(basic=basic))
    argv = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name]
    out = subprocess.run(
        [*argv, base + "/oauth/token"], capture_output=True, text=True, check=True
    ).stdout
    Path(script.name).unlink()
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out)[1]),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out)[1]),
        "errors": int(non2xx[1]) if non2xx else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args()
    binary = ensure_wrk()
    rows: list[tuple[str, dict]] = []

    bare = bare_server(2)
    try:
        rows.append(
            (
                "bare Starlette, GET /api/auth/me",
                measure(binary, bare, None, args.seconds, args.connections, "/api/auth/me"),
            )
        )
    finally:
        bare.stop()

    redis = RedisServer().start()
    server = ballast_server(redis.url, OFF)
    try:
        admin = login(server.base)
        created = _post(
            server.base, "/api/clients", {"name": "bench", "scopes": ["users:read"]}, admin
        )
        cid, secret = created["client_id"], created["client_secret"]
        basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()
        token = client_token(server.base, cid, secret)
        rows.append(
            (
                "Ballast, POST /oauth/token (grants)",
                wrk_grants(binary, server.base, basic, args.seconds, args.connections),
            )
        )
        rows.append(
            (
                "Ballast, GET /api/users?limit=1, admin's token",
                measure(binary, server, admin, args.seconds, args.connections, USERS),
            )
        )
        rows.append(
            (
                "Ballast, GET /api/users?limit=1, client's token",
                measure(binary, server, token, args.seconds, args.connections, USERS),
            )
        )
    finally:
        server.stop()
        redis.stop()

    bare_rps = rows[0][1]["rps"]
    lines = [
        machine_line(),
        f"`.venv/bin/python bench/grants.py` ({args.seconds} s per row, {args.connections}"
        " connections, 2 workers each, wrk -t2; Ballast on a local Redis, rate limits off).",
        "",
        "| what | requests/s | p50 ms | p99 ms | errors | ÷ bare |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']}"
            f" | {r['rps'] / bare_rps:.2f} |"
        )
    user, client = rows[2][1]["rps"], rows[3][1]["rps"]
    lines += [
        "",
        f"Targets: grants/s ÷ bare = {rows[1][1]['rps'] / bare_rps:.2f} (target ≥ 0.25);"
        f" a route called with a client's token ÷ with a user's = {client / user:.2f}"
        " (target ≈ 1).",
    ]
    write_section(args.out, MARKER, lines, "## Client-credentials grants")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
