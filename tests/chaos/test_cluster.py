"""Ballast on a Redis Cluster (three masters, one replica each): logout works (no PUBLISH in
a cluster pipeline), a revocation reaches an instance whose seed is another node, and a
master killed under load is survived."""

from collections.abc import Iterator

import pytest

from adapters.redis import keys
from tests.chaos.workload import Workload
from tests.redis_topologies import Cluster
from tests.support.apps import bearer, login, redis_settings, redis_status, running_app
from tests.support.waiting import eventually

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster(replicas=True).start()
    yield cluster
    cluster.stop()


def seeded_on(cluster: Cluster, index: int) -> str:
    """A cluster URL whose only seed is one node: each instance starts from another node."""
    return f"redis+cluster://127.0.0.1:{cluster.nodes[index].port}"


def test_a_revocation_through_one_instance_is_refused_by_one_seeded_on_another_node(
    cluster: Cluster,
) -> None:
    with (
        running_app(redis_settings(seeded_on(cluster, 0))) as a,
        running_app(redis_settings(seeded_on(cluster, 2))) as b,
    ):
        assert redis_status(a) == redis_status(b) == "pass"
        tokens = login(a)
        assert b.get("/api/auth/me", headers=bearer(tokens)).status_code == 200

        assert a.post("/api/auth/logout", headers=bearer(tokens)).status_code == 204

        # b answers from its own replica of the revocations: only the feed can tell it.
        assert eventually(
            lambda: b.get("/api/auth/me", headers=bearer(tokens)).status_code == 401, 5
        )
        # Notifications sent through one are read through the other (keys on every node).
        sent = a.post(
            "/api/notifications",
            json={"recipient": "admin", "channel": "log", "subject": "s", "body": "b"},
            headers=bearer(login(a)),
        )
        assert sent.status_code == 202
        got = b.get(f"/api/notifications/{sent.json()['id']}", headers=bearer(login(b)))
        assert got.status_code == 200


def test_a_master_killed_under_load_is_survived(cluster: Cluster) -> None:
    """The master serving the revocations dies; its replica takes over. No 5xx, every
    revoked token stays revoked on both instances, every accepted notification is kept."""
    with (
        running_app(redis_settings(cluster.url)) as a,
        running_app(redis_settings(seeded_on(cluster, 1))) as b,
    ):
        work = Workload([a, b])
        for _ in range(5):
            work.step()
        dead = cluster.kill_master_of(keys.revocation("token", "x"))
        for _ in range(10):
            work.step()
        cluster.wait_for_new_master(keys.revocation("token", "x"), dead)
        assert eventually(lambda: redis_status(a) == redis_status(b) == "pass", 20)
        for _ in range(5):
            work.step()

        assert work.server_errors == 0, work.statuses
        assert len(work.revoked) >= 15 and len(work.accepted) >= 15
        assert work.revoked_accepted() == 0
        assert work.accepted_missing() == 0
