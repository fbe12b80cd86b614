"""The composition root's table: every capability built from its row, in both modes."""

import attrs
import pytest

from domain.ports import (
    DeliveryLeases,
    IdempotencyKeys,
    NotificationRepository,
    NotificationStore,
)
from entrypoints.access_log import AccessLog
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.capabilities import CAPABILITIES, fails_closed
from entrypoints.lifecycle import Lifecycle
from entrypoints.metrics import StateExporter
from entrypoints.redis_budget import RedisBudgets
from entrypoints.settings import OnRedisDown, Policies, RedisSettings, Settings, Storage
from entrypoints.status_history import StatusHistory

# Nothing connects before the app starts: building the container needs no server.
UNREACHABLE = RedisSettings("redis://127.0.0.1:1")


def test_each_port_has_one_row_and_each_policy_is_a_setting() -> None:
    ports = [row.port for row in CAPABILITIES]
    assert len(ports) == len(set(ports))
    covered: set[str] = set()
    for field in attrs.fields(Policies):
        # Only this setting fails closed: the rows it governs are those that fail closed.
        only = Policies(**{field.name: OnRedisDown.FAIL_CLOSED})
        governed = {row.name for row in CAPABILITIES if fails_closed(row, only)}
        assert governed == {field.name}, field.name
        covered |= governed
    assert covered == {row.name for row in CAPABILITIES if row.policy is not None}


def test_route_modules_register_nothing_and_schedule_nothing() -> None:
    """Bootstrap builds everything: making the app only looks things up."""
    container = bootstrap(Settings())
    lifecycle: Lifecycle = container.resolve(Lifecycle)
    hooks = (list(lifecycle.starting), list(lifecycle.stopping))
    for built in (AccessLog, StatusHistory, StateExporter, RedisBudgets):
        assert container.resolve(built) is container.resolve(built)

    create_app(container)

    assert (lifecycle.starting, lifecycle.stopping) == hooks


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
        "client_registry",
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
