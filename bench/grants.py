"""Client-credentials grants and client-token verification, side by side with bare Starlette
and the peer stack in one run: grants/s at POST /oauth/token (HTTP Basic, form body, wrk
with a Lua script), and GET /api/users?limit=1 called with a client's token (and, on
Ballast, with an admin's), against bare Starlette's requests/s on /api/auth/me.

The peer is bench/peers with Authlib's OAuth 2 server (bench/peers/oauth.py: clients in
Redis, RFC 9068 JWT access tokens, a ResourceProtector on its users route). Ballast runs on
a local Redis (two workers need it) with its default settings but the rate limits, off on
both sides (the cost is what is measured): a grant never asks Redis, the registry is each
worker's replica. Every server runs at once and they take turns, round after round, so
slow and fast moments of the machine fall on all of them alike; each row is the median of
its turns.

Run: `make bench` (after compare.py), or `.venv/bin/python bench/grants.py`. Writes its
section of docs/BENCHMARKS.md between its markers (`--out` for another file).
"""

import argparse
import base64
import json
import statistics
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compare import ballast_server, bare_server, peer_python, peer_server  # noqa: E402
from bench.failover import Server, ensure_wrk, login, wrk  # noqa: E402
from bench.report import machine_line, write_section  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

MARKER = "make bench: grants"
ME = "/api/auth/me"
USERS = "/api/users?limit=1"
OFF = "off"
BARE = "bare Starlette, GET /api/auth/me"
PEER_GRANTS = "peer (Authlib), POST /oauth/token (grants)"
PEER_CLIENT = "peer (Authlib), GET /api/users?limit=1, client's token"
GRANTS = "Ballast, POST /oauth/token (grants)"
USER = "Ballast, GET /api/users?limit=1, admin's token"
CLIENT = "Ballast, GET /api/users?limit=1, client's token"
# Each row's counterpart on the peer: the same request (Ballast's admin token has none).
PEER_OF = {GRANTS: PEER_GRANTS, CLIENT: PEER_CLIENT}
# wrk posts the grant: form body, HTTP Basic.
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


def client_token(base: str, basic: str) -> str:
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


def new_client(server: Server, admin: str) -> str:
    """A client holding `users:read`, registered by the admin: its HTTP Basic credentials."""
    created = _post(server.base, "/api/clients", {"name": "bench", "scopes": ["users:read"]}, admin)
    pair = f"{created['client_id']}:{created['client_secret']}"
    return base64.b64encode(pair.encode()).decode()


def grant_script(directory: Path, side: str, basic: str) -> Path:
    script = directory / f"{side}-grant.lua"
    script.write_text(LUA.format(basic=basic))
    return script


def turns(
    binary: str, directory: Path, servers: dict[str, Server], seconds: int, connections: int
) -> dict[str, Callable[[], dict[str, Any]]]:
    """Each row's one wrk run, ready to take its turn."""
    bare, peer, ballast = servers["bare"], servers["peer"], servers["ballast"]
    peer_basic = new_client(peer, login(peer.base))
    admin = login(ballast.base)
    basic = new_client(ballast, admin)
    peer_token, token = client_token(peer.base, peer_basic), client_token(ballast.base, basic)
    peer_script = grant_script(directory, "peer", peer_basic)
    script = grant_script(directory, "ballast", basic)

    def load(
        base: str, path: str, bearer: str | None, lua: Path | None = None
    ) -> Callable[[], dict[str, Any]]:
        return lambda: wrk(binary, base + path, bearer, seconds, connections, lua)

    return {
        BARE: load(bare.base, ME, None),
        PEER_GRANTS: load(peer.base, "/oauth/token", None, peer_script),
        PEER_CLIENT: load(peer.base, USERS, peer_token),
        GRANTS: load(ballast.base, "/oauth/token", None, script),
        USER: load(ballast.base, USERS, admin),
        CLIENT: load(ballast.base, USERS, token),
    }


def measure(args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    """Every row's turns: `args.rounds` rounds, each row once a round."""
    binary = ensure_wrk()
    runs: dict[str, list[dict[str, Any]]] = {}
    redis = RedisServer().start()
    servers: dict[str, Server] = {}
    try:
        servers["bare"] = bare_server(2)
        servers["peer"] = peer_server(peer_python(), redis.url, OFF)
        servers["ballast"] = ballast_server(redis.url, OFF)
        with tempfile.TemporaryDirectory() as directory:
            rows = turns(binary, Path(directory), servers, args.seconds, args.connections)
            for turn in range(args.rounds):
                for name, run in rows.items():
                    runs.setdefault(name, []).append(run())
                print(f"round {turn + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.stop()
        redis.stop()
    return runs


def ratios(runs: dict[str, list[dict[str, Any]]], top: str, bottom: str) -> tuple[float, float]:
    """Of the medians, and the median of the rounds' own ratios (seconds apart)."""
    rps = {name: [r["rps"] for r in runs[name]] for name in (top, bottom)}
    medians = statistics.median(rps[top]) / statistics.median(rps[bottom])
    paired = statistics.median(a / b for a, b in zip(rps[top], rps[bottom], strict=True))
    return medians, paired


def report(runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> list[str]:
    def median(name: str, key: str) -> float:
        return float(statistics.median(r[key] for r in runs[name]))

    lines = [
        machine_line(),
        f"`.venv/bin/python bench/grants.py --rounds {args.rounds} --seconds {args.seconds}"
        f" --connections {args.connections}`: every server at once (2 workers each: uvicorn;"
        " the peer: gunicorn sync workers), taking turns under wrk (2 threads,"
        f" {args.connections} connections, {args.seconds} s a turn) in each of {args.rounds}"
        " rounds; one local Redis; rate limits off on both sides. Each row: the median of"
        " its turns. `÷ peer`: against the peer's same request.",
        "",
        "| what | requests/s | all turns | p50 ms | p99 ms | errors | ÷ bare | ÷ peer |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, results in runs.items():
        peer = PEER_OF.get(name)
        to_peer = f"{ratios(runs, name, peer)[0]:.2f}" if peer else "—"
        all_turns = ", ".join(f"{r['rps']:,.0f}" for r in results)
        lines.append(
            f"| {name} | {median(name, 'rps'):,.0f} | {all_turns} | {median(name, 'p50'):.2f}"
            f" | {median(name, 'p99'):.2f} | {sum(r['errors'] for r in results)}"
            f" | {ratios(runs, name, BARE)[0]:.2f} | {to_peer} |"
        )
    lines += [
        "",
        "| target | ratio of the medians | median of the rounds' ratios | target |",
        "|---|---:|---:|---|",
    ]
    for target, top, bottom, wanted in (
        ("Ballast's grants/s ÷ bare Starlette's requests/s", GRANTS, BARE, "≥ 0.25"),
        ("a route with a client's token ÷ with a user's", CLIENT, USER, "≈ 1"),
        ("Ballast's grants/s ÷ the peer's", GRANTS, PEER_GRANTS, "—"),
        ("the route with a client's token, Ballast ÷ the peer", CLIENT, PEER_CLIENT, "—"),
    ):
        medians, paired = ratios(runs, top, bottom)
        lines.append(f"| {target} | {medians:.2f} | {paired:.2f} | {wanted} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args()
    lines = report(measure(args), args)
    write_section(args.out, MARKER, lines, "## Client-credentials grants")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
