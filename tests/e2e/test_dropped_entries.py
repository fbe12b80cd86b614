"""What a bounded memory store drops is counted, never silent: /health shows it (only when
something was dropped) and /metrics counts it per store."""

from starlette.testclient import TestClient

from domain.events import AuthEvent, AuthEventType
from domain.ports import AuthEventLog, PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from tests.fakes import fast_hasher
from tests.support.apps import settings
from tests.support.metrics import scraped

EVENTS_KEPT = 10_000  # the memory event log's bound
SAMPLE = 'ballast_memory_dropped_entries_total{store="auth_event_log"}'


def test_entries_dropped_by_a_full_memory_store_show_in_health_and_metrics() -> None:
    container = bootstrap(settings(), {PasswordHasher: fast_hasher()})
    log: AuthEventLog = container.resolve(AuthEventLog)
    with TestClient(create_app(container)) as client:
        [redis] = client.get("/health").json()["checks"]["redis"]
        assert "dropped" not in redis
        before = scraped(client, SAMPLE)

        async def overfill() -> None:
            for i in range(EVENTS_KEPT + 3):
                await log.record(AuthEvent(f"e{i}", AuthEventType.LOGIN_FAILED, "bob", i, "c"))

        client.portal.call(overfill)

        health = client.get("/health")
        assert health.status_code == 200
        [redis] = health.json()["checks"]["redis"]
        assert redis["dropped"] == {"auth_event_log": 3}
        assert scraped(client, SAMPLE) == before + 3
