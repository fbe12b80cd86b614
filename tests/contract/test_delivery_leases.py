"""The DeliveryLeases contract, run against the memory, Redis and failover adapters."""

import asyncio
from typing import Any

import pytest

from tests.contract.backends import Backend
from tests.contract.notification_data import adapter_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def repository(backend: Backend) -> Any:
    return adapter_for(backend)


async def test_a_delivery_lease_is_held_by_one_owner_until_released(repository: Any) -> None:
    assert await repository.claim_delivery("n1", "worker-a", 60)
    assert not await repository.claim_delivery("n1", "worker-b", 60)
    assert await repository.claim_delivery("n1", "worker-a", 60)  # its own: still held
    assert await repository.claim_delivery("n2", "worker-b", 60)  # leases are per notification

    await repository.release_delivery("n1", "worker-b")  # not its lease: nothing happens
    assert not await repository.claim_delivery("n1", "worker-b", 60)
    await repository.release_delivery("n1", "worker-a")
    assert await repository.claim_delivery("n1", "worker-b", 60)


async def test_a_lease_expires_unless_its_holder_renews_it(repository: Any) -> None:
    assert await repository.claim_delivery("n1", "worker-a", 0.3)
    assert await repository.claim_delivery("n2", "worker-a", 0.3)
    assert await repository.claim_delivery("n1", "worker-a", 60)  # renewed: 60 s from now

    await asyncio.sleep(0.5)

    assert not await repository.claim_delivery("n1", "worker-b", 60)  # renewed: still held
    assert await repository.claim_delivery("n2", "worker-b", 60)  # expired: taken over
