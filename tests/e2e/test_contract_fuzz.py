"""The served API against its own /openapi.json: schemathesis with every check, positive and
negative data, over every operation of a real `ballast serve`, in memory mode and on a real
Redis. A request the document allows and the server refuses (or the reverse), a status,
header or content type it does not document, a body that does not match its schema: each
fails here, naming the operation and how to replay the request."""

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.redis_server import RedisServer
from tests.support.servers import BIN, clean_env, serving

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the one documented exception
PASSWORD = "fuzz-admin-password"
# Per operation and phase; with the boundary cases of the coverage phase and the stateful
# phase, about 1,100 cases per run over the 30 operations; the time is the requests' (25-30 s
# per run on a 2-core machine; 80-110 s when it was shared with loads of 10-13).
MAX_EXAMPLES = "10"
SEED = "20261130"  # fixed, so that a failure in CI is replayed as is


def fuzz(tmp_path: Path, **env: str) -> None:
    server_env = {
        "BALLAST_ENV": "development",
        "BALLAST_ADMIN_PASSWORD": PASSWORD,
        "BALLAST_RATE_LIMIT": "off",
        "BALLAST_LOGIN_RATE_LIMIT": "off",
        # Loopback only: a fuzzed webhook must never leave this machine.
        "BALLAST_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        **env,
    }
    with serving(tmp_path, **server_env) as base:
        paths = httpx.get(f"{base}/openapi.json").json()["paths"].values()
        operations = sum(len(methods) for methods in paths)
        run = subprocess.run(
            [
                str(BIN / "schemathesis"),
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--mode",
                "all",
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                SEED,
                "--workers",
                "1",
                "--request-timeout",
                "10",
            ],
            cwd=tmp_path,
            env=clean_env(
                PYTHONPATH=str(ROOT),
                SCHEMATHESIS_HOOKS="tests.e2e.schemathesis_auth",
                BALLAST_FUZZ_BASE=base,
                BALLAST_FUZZ_PASSWORD=PASSWORD,
            ),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    # Every operation was exercised (schemathesis leaves out the document's own route).
    selected = re.search(r"Selected: (\d+)/(\d+)", run.stdout)
    assert selected is not None, run.stdout[-5_000:]
    assert int(selected[1]) == int(selected[2]) == operations - 1
    assert f"Tested: {operations - 1}\n" in run.stdout, run.stdout[-5_000:]


@pytest.mark.slow
def test_the_api_in_memory_mode_is_what_its_document_says(tmp_path: Path) -> None:
    fuzz(tmp_path)


@pytest.mark.slow
@pytest.mark.redis
def test_the_api_on_redis_is_what_its_document_says(tmp_path: Path, own_redis: RedisServer) -> None:
    fuzz(tmp_path, REDIS_URL=own_redis.url)
