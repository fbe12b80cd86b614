"""deploy/grafana/ballast.json and deploy/prometheus/alerts.yml query only metrics that a
running `ballast serve` exports."""

import json
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.redis_server import RedisServer
from tests.support.servers import serving

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "ballast.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\bballast_[a-z0-9_]+")
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
    "summary": ("", "_sum", "_count"),
}


def queried_metrics() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    expressions += [v["definition"] for v in dashboard["templating"]["list"]]
    assert expressions
    return {name for e in expressions for name in METRIC.findall(e)}


def exported_names(text: str) -> set[str]:
    """Every sample name /metrics declares, a labelled family included before its first sample."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


@pytest.mark.slow
def test_every_metric_the_dashboard_queries_is_exported(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    with serving(tmp_path, REDIS_URL=redis_server.url) as base:
        httpx.get(f"{base}/health")
        text = httpx.get(f"{base}/metrics").text

    queried = queried_metrics()
    alerted = set(METRIC.findall(ALERTS.read_text()))
    assert "ballast_redis_breaker_state" in queried
    assert {"ballast_logins_total", "ballast_token_refreshes_total"} <= queried
    assert "ballast_logins_total" in alerted
    assert queried - exported_names(text) == set()
    assert alerted - exported_names(text) == set()
    assert "_created" not in text  # prometheus_client's switch: no `_created` series
    assert re.search(r'ballast_build_info\{python="[0-9.]+",version="[^"]+"\} 1\.0', text)


def test_every_panel_has_a_title_a_description_and_the_prometheus_input() -> None:
    dashboard = json.loads(DASHBOARD.read_text())

    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    for panel in dashboard["panels"]:
        assert panel["title"]
        assert panel["description"]
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}"
