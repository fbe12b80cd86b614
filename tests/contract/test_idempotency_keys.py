"""The IdempotencyKeys contract, run against the memory, Redis and failover adapters."""

from typing import Any

import pytest

from tests.contract.backends import Backend
from tests.contract.notification_data import adapter_for, notification

pytestmark = pytest.mark.anyio


@pytest.fixture
def repository(backend: Backend) -> Any:
    return adapter_for(backend)


async def test_an_idempotency_key_is_held_by_its_first_claimant(repository: Any) -> None:
    assert await repository.claim_idempotency_key("billing", "k1", "n1", 60) == "n1"
    assert await repository.claim_idempotency_key("billing", "k1", "n2", 60) == "n1"
    assert await repository.claim_idempotency_key("other", "k1", "n3", 60) == "n3"
    assert await repository.claim_idempotency_key("billing", "k2", "n4", 60) == "n4"


async def test_a_key_is_freed_only_by_the_notification_that_holds_it(repository: Any) -> None:
    assert await repository.claim_idempotency_key("billing", "k1", "n1", 60) == "n1"
    await repository.release_idempotency_key("billing", "k1", "other")
    assert await repository.claim_idempotency_key("billing", "k1", "n2", 60) == "n1"

    await repository.release_idempotency_key("billing", "k1", "n1")
    assert await repository.claim_idempotency_key("billing", "k1", "n3", 60) == "n3"


async def test_a_key_whose_notification_was_stored_after_all_is_not_freed(repository: Any) -> None:
    assert await repository.claim_idempotency_key("billing", "k1", "n1", 60) == "n1"
    await repository.add(notification("n1"))

    await repository.release_idempotency_key("billing", "k1", "n1")

    assert await repository.claim_idempotency_key("billing", "k1", "n2", 60) == "n1"
