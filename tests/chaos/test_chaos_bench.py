"""bench/chaos.py, CI-sized (seconds, two clients), on each topology: the script itself
checks the promises and exits non-zero when one breaks; the test reads its report too."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.mark.parametrize("topology", ["single", "sentinel", "cluster"])
def test_a_short_chaos_run_keeps_every_promise(tmp_path: Path, topology: str) -> None:
    options = ["--topology", topology, "--duration", "8", "--clients", "3", "--no-plot"]
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "chaos.py"), *options, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / f"chaos-{topology}.json").read_text())
    assert report["requests"] > 0 and report["faults"]
    assert report["errors_5xx"] == 0
    assert report["revoked_tokens_accepted"] == 0
    assert report["accepted_notifications_missing"] == 0
    if topology != "single":  # only a server restarted empty loses what Redis held
        assert report["notifications_lost_with_redis"] == 0
    assert report["revoked_tokens"] > 0 and report["accepted_notifications"] > 0
