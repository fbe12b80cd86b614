"""`ballast serve` as an operator runs it: a real process on a free port, its log lines
parsed, stopped with SIGTERM (the test fails when it does not stop)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.logfmt import parse
from tests.redis_server import free_port
from tests.support.clients import ADMIN_PASSWORD

__all__ = ["ADMIN_PASSWORD", "BALLAST", "BIN", "clean_env", "server_lines", "serving"]

BIN = Path(sys.executable).parent
BALLAST = str(BIN / "ballast")
START_TIMEOUT = 20.0


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any Ballast or Redis setting, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BALLAST_") and k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    # Cheap hashes, except in production, which refuses less than OWASP's cost.
    cheap = (
        {}
        if extra.get("BALLAST_ENV") == "production"
        else {"BALLAST_PASSWORD_HASH_MEMORY_KIB": "256"}
    )
    return {**env, **cheap, **extra}


def wait_until_live(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ballast serve exited with {process.returncode} before serving")
        try:
            if httpx.get(f"{base}/health/live", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"ballast serve did not answer /health/live within {START_TIMEOUT} s")


@contextmanager
def serving(tmp_path: Path, *args: str, **env: str) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [BALLAST, "serve", "--port", str(port), *args],
            env=clean_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_live(base, process)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail("ballast serve did not stop on SIGTERM")
    server_lines(tmp_path, env.get("BALLAST_LOG_FORMAT", "logfmt"))


def server_lines(tmp_path: Path, form: str = "logfmt") -> list[dict[str, Any]]:
    """Every log line `serve` wrote, parsed (ValueError at the first that does not parse).
    Lines starting `ballast: ` are the command's own words to the operator (the development
    admin password, a refusal), printed, never logged."""
    lines = (tmp_path / "serve.log").read_text().splitlines()
    return [parse(line, form) for line in lines if line and not line.startswith("ballast: ")]
