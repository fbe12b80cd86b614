"""Revocations over HTTP: a logged-out token stays refused however many revocations follow;
past the list's bound /health says warn and a metric says so, nothing is dropped."""

from starlette.testclient import TestClient

from adapters.memory.auth import MemoryRevocationList
from adapters.system import SystemClock
from domain.ports import PasswordHasher, RevocationList
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from tests.fakes import fast_hasher
from tests.support.apps import assert_problem, bearer, login, settings

BOUND = 8


def test_past_its_bound_the_revocation_list_keeps_every_entry_and_health_warns() -> None:
    small = MemoryRevocationList(SystemClock(), max_entries=BOUND)
    container = bootstrap(settings(), {PasswordHasher: fast_hasher(), RevocationList: small})
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        first = login(client)
        assert (
            client.post("/api/auth/logout", headers=bearer(first["access_token"])).status_code
            == 204
        )
        health = client.get("/health").json()
        assert health["checks"]["revocations"][0]["status"] == "pass"

        for _ in range(BOUND):  # each logout adds two revocations (token and family)
            tokens = login(client)
            client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))

        assert_problem(client.get("/api/auth/me", headers=bearer(first["access_token"])), 401)
        refused = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert_problem(refused, 401)
        health = client.get("/health")
        assert health.status_code == 200
        body = health.json()
        [check] = body["checks"]["revocations"]
        assert (body["status"], check["status"]) == ("warn", "warn")
        assert check["observedValue"] == 2 * (BOUND + 1) and check["bound"] == BOUND
        metrics = client.get("/metrics").text
        assert "ballast_revocations_over_bound 1.0" in metrics
        assert f"ballast_revocations_held {2.0 * (BOUND + 1)}" in metrics
