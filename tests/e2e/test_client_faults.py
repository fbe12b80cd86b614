"""A request whose body breaks off (a malformed chunk, a connection closed early) is the
client's fault: a 400 or no answer, an INFO line without a traceback, no 5xx in the metrics.
Every route that takes a body meets every fault, over raw sockets against `ballast serve`
(uvicorn's httptools parser) and against uvicorn's h11 parser with the same logging."""

import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest

from entrypoints.cli import logging_config
from tests.redis_server import free_port
from tests.support.servers import (
    ADMIN_PASSWORD,
    BIN,
    clean_env,
    server_lines,
    serving,
    wait_until_live,
)

HEAD = "{method} {path} HTTP/1.1\r\nHost: ballast\r\nAuthorization: Bearer {token}\r\n"
JSON = "Content-Type: application/json\r\n"
CHUNKED = JSON + "Transfer-Encoding: chunked\r\n\r\n"
# (name, what follows the request line and auth header, whether the client closes its side)
FAULTS = [
    ("broken chunk extension", CHUNKED + '5;a"b\r\n{"a":\r\n0\r\n\r\n', False),
    ("chunk size not hex", CHUNKED + "zz\r\n{}\r\n0\r\n\r\n", False),
    ("chunk without its CRLF", CHUNKED + '5\r\n{"a":1XX0\r\n\r\n', False),
    ("chunked, closed mid-body", CHUNKED + '5\r\n{"a":', True),
    ("Content-Length, closed mid-body", JSON + 'Content-Length: 100\r\n\r\n{"user', True),
    ("Content-Length, closed before the body", JSON + "Content-Length: 10\r\n\r\n", True),
]
REQUESTS = re.compile(
    r'^ballast_http_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\}'
)
MAX_WAIT = 15.0  # seconds for the access log to count every request (off the event loop)


ENV = {
    "BALLAST_ENV": "development",
    "BALLAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
    "BALLAST_RATE_LIMIT": "off",
    "BALLAST_LOGIN_RATE_LIMIT": "off",
}


@contextmanager
def served_by_h11(tmp_path: Path) -> Iterator[str]:
    """The app under uvicorn's h11 parser, logging as `ballast serve` configures it."""
    port = free_port()
    config = tmp_path / "logging.json"
    config.write_text(json.dumps(logging_config()))
    argv = [str(BIN / "uvicorn"), "entrypoints.api.app:create_app", "--factory"]
    argv += ["--http", "h11", "--port", str(port), "--log-config", str(config)]
    argv += ["--no-access-log", "--no-proxy-headers"]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(argv, env=clean_env(**ENV), stdout=log, stderr=log)
        try:
            wait_until_live(f"http://127.0.0.1:{port}", process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=15)


def served(parser: str, tmp_path: Path) -> AbstractContextManager[str]:
    return serving(tmp_path, **ENV) if parser == "httptools" else served_by_h11(tmp_path)


def send_raw(base: str, request: bytes, close: bool) -> bytes:
    """The answer to `request` (empty when there was none): read until the server closes."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        if close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return answer


def counted(base: str) -> dict[tuple[str, str, str], float]:
    found = {}
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if m := REQUESTS.match(line):
            found[m[1], m[2], m[3]] = float(line.rsplit(" ", 1)[1])
    return found


@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_every_body_route_answers_a_broken_body_as_the_clients_fault(
    parser: str, tmp_path: Path
) -> None:
    with served(parser, tmp_path) as base:
        login = {"username": "admin", "password": ADMIN_PASSWORD}
        token = httpx.post(f"{base}/api/auth/login", json=login).json()["access_token"]
        document = httpx.get(f"{base}/openapi.json").json()
        routes = [
            (method.upper(), path)
            for path, methods in document["paths"].items()
            for method, op in methods.items()
            if "requestBody" in op
        ]
        assert len(routes) >= 8, routes
        before = counted(base)
        for method, template in routes:
            path = re.sub(r"\{[^}]+\}", "x", template)
            for name, rest, close in FAULTS:
                head = HEAD.format(method=method, path=path, token=token)
                answer = send_raw(base, (head + rest).encode(), close)
                status = answer.split(b" ", 2)[1] if answer else b""
                assert status in (b"", b"400"), (method, template, name, answer[:300])
        # Every faulty request reached the access log (counted off the event loop).
        sent = len(routes) * len(FAULTS)
        deadline = time.monotonic() + MAX_WAIT
        while True:
            metrics = {k: n - before.get(k, 0) for k, n in counted(base).items()}
            metrics = {k: n for k, n in metrics.items() if n}
            faulty = sum(n for (m, r, _), n in metrics.items() if (m, r) in routes)
            if faulty >= sent or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert faulty == sent
    assert {s for (m, r, s) in metrics if (m, r) in routes} == {"400"}
    assert not [key for key in metrics if key[2].startswith("5")]
    lines = server_lines(tmp_path)
    assert [line for line in lines if line["level"] not in ("INFO", "DEBUG")] == []
    assert not [line for line in lines if "exc" in line or "Traceback" in str(line)]
    assert any(line.get("msg") == "Invalid HTTP request received." for line in lines)
