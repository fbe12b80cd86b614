"""deploy/prometheus/alerts.yml is valid for Prometheus (`promtool check rules`), its unit
tests pass (`promtool test rules`), and every alert has a test in which it fires. That the
metrics it reads are exported: tests/e2e/test_grafana_dashboard.py, against a live server."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool missing (make test installs Debian's prometheus package)"
)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=RULES, capture_output=True, text=True, timeout=60, check=False
    )


@needs_promtool
def test_the_rules_are_valid() -> None:
    result = promtool("check", "rules", "alerts.yml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
def test_the_rules_unit_tests_pass() -> None:
    result = promtool("test", "rules", "alerts.test.yml")

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_in_a_unit_test() -> None:
    alerts = set(re.findall(r"^\s*- alert: (\w+)", (RULES / "alerts.yml").read_text(), re.M))
    tests = (RULES / "alerts.test.yml").read_text()
    # An alertname followed by expected alerts that are not the empty list.
    fired = set(re.findall(r"alertname: (\w+)\n\s*exp_alerts:\n", tests))

    assert len(alerts) >= 10
    assert alerts - fired == set()
