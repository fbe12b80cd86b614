"""The composition root's table: every capability built from its row, in both modes."""

import attrs
import pytest

from domain.ports import (
    DeliveryLeases,
    IdempotencyKeys,
    NotificationRepository,
    NotificationStore,
)
from entrypoints.bootstrap import CAPABILITIES, bootstrap
from entrypoints.metrics import StateExporter
from entrypoints.settings import Policies, RedisSettings, Settings, Storage

# Nothing connects before the app starts: building the container needs no server.
UNREACHABLE = RedisSettings("redis://127.0.0.1:1")


def test_each_port_has_one_row_and_each_policy_is_a_setting() -> None:
    ports = [row.port for row in CAPABILITIES]
    assert len(ports) == len(set(ports))
    policies = {field.name for field in attrs.fields(Policies)}
    assert {row.policy for row in CAPABILITIES} - {None} == policies


def test_disposable_state_is_neither_journaled_nor_failed_closed() -> None:
    for row in CAPABILITIES:
        assert row.journaled == (row.policy is not None), row.name


@pytest.mark.parametrize(
    ("settings", "package"),
    [
        (Settings(), "adapters.memory"),
        (Settings(storage=Storage.REDIS, redis=UNREACHABLE), "adapters.failover"),
    ],
    ids=["memory", "redis"],
)
def test_every_capability_is_bound_to_the_adapter_of_its_mode(
    settings: Settings, package: str
) -> None:
    container = bootstrap(settings)
    for row in CAPABILITIES:
        adapter = container.resolve(row.port)
        assert type(adapter).__module__.startswith(package + "."), row.port


@pytest.mark.parametrize(
    "settings",
    [Settings(), Settings(storage=Storage.REDIS, redis=UNREACHABLE)],
    ids=["memory", "redis"],
)
def test_every_bounded_memory_store_is_watched_for_what_it_drops(settings: Settings) -> None:
    exporter: StateExporter = bootstrap(settings).resolve(StateExporter)
    # The revocation list is not among them: it never drops an unexpired entry.
    assert set(exporter.dropped.totals()) == {
        "refresh_token_store",
        "user_directory",
        "auth_event_log",
        "notification_repository",
        "rate_limiter",
        "exact_rate_limiter",
    }


def test_the_notification_roles_are_played_by_one_adapter() -> None:
    container = bootstrap(Settings())
    adapter = container.resolve(NotificationRepository)
    for role in (NotificationStore, IdempotencyKeys, DeliveryLeases):
        assert container.resolve(role) is adapter
