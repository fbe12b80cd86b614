"""A login storm from one address does not lock out another: a real `ballast serve` behind a
trusted proxy (X-Forwarded-For names the address), one address sending wrong logins with
varied usernames as fast as it can while another logs in. Judged by the order of the audit
log's events and by counts, never by time."""

import asyncio
import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.passwords import HASH_THREADS, MAX_QUEUED_PER_CLIENT
from entrypoints.http.rate_limiting import ADDRESS_CHECKS_PER_THREAD
from tests.support.servers import ADMIN_PASSWORD, serving

STORM, OTHER = "198.51.100.7", "203.0.113.9"
STORM_CLIENTS = 12  # concurrent connections of the storming address


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def _storm(base: str, stop: asyncio.Event, full: asyncio.Event, statuses: list[int]) -> None:
    names = itertools.count()

    async def one_connection(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            response = await client.post(
                f"{base}/api/auth/login",
                json={"username": f"storm-{next(names)}", "password": "wrong-password"},
                headers=_from(STORM),
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                full.set()  # the storm's share of the hashing queue is full
                await asyncio.sleep(0.02)  # spares the test's CPU; the queue refills anyway

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(one_connection(client) for _ in range(STORM_CLIENTS)))


async def _admin_login(client: httpx.AsyncClient, base: str) -> Any:
    response = await client.post(
        f"{base}/api/auth/login",
        json={"username": "admin", "password": ADMIN_PASSWORD},
        headers=_from(OTHER),
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def _events(client: httpx.AsyncClient, base: str, token: str, limit: int) -> list[Any]:
    response = await client.get(
        f"{base}/api/auth/events",
        params={"limit": limit},
        headers={"Authorization": f"Bearer {token}", **_from(OTHER)},
    )
    items: list[Any] = response.json()["items"]
    return items[::-1]  # oldest first


async def _fairness_run(base: str) -> tuple[list[Any], str, list[int]]:
    stop, full, statuses = asyncio.Event(), asyncio.Event(), []
    async with httpx.AsyncClient(timeout=60) as client:
        token = await _admin_login(client, base)
        storm = asyncio.ensure_future(_storm(base, stop, full, statuses))
        await full.wait()
        last_before = (await _events(client, base, token, 1))[-1]["username"]
        await _admin_login(client, base)
        stop.set()
        await storm
        events = await _events(client, base, token, 1000)
    return events, last_before, statuses


@pytest.mark.slow
def test_a_login_from_another_address_waits_for_a_few_of_the_storms_hashes_at_most(
    tmp_path: Path,
) -> None:
    with serving(
        tmp_path,
        BALLAST_ADMIN_PASSWORD=ADMIN_PASSWORD,
        BALLAST_TRUSTED_PROXIES="127.0.0.1",
        BALLAST_RATE_LIMIT="off",
        BALLAST_LOGIN_RATE_LIMIT="off",  # the hashing pool alone stands against the storm
        BALLAST_PASSWORD_HASH_MEMORY_KIB="8192",  # hashes long next to a round trip
    ) as base:
        events, last_before, statuses = asyncio.run(_fairness_run(base))

    start = next(i for i, e in enumerate(events) if e["username"] == last_before)
    admin = [i for i, e in enumerate(events) if e["type"] == "login_succeeded"][-1]
    assert start < admin and events[admin]["client"] == OTHER
    between = events[start + 1 : admin]
    assert {(e["type"], e["client"]) for e in between} <= {("login_failed", STORM)}
    # The storm's hashes running when the login queued (one per thread), one more started in
    # turn, one on the other thread while the login's own ran, and one finished on its way
    # there. First come, first served would put every waiting hash of the storm ahead.
    assert len(between) <= HASH_THREADS + 3 < HASH_THREADS + MAX_QUEUED_PER_CLIENT + 1
    # The storm's excess was refused at once rather than queued.
    assert set(statuses) == {401, 429}


@pytest.mark.slow
def test_one_address_gets_a_bounded_number_of_password_checks_whatever_the_usernames(
    tmp_path: Path,
) -> None:
    per_address = HASH_THREADS * ADDRESS_CHECKS_PER_THREAD
    with (
        serving(
            tmp_path, BALLAST_ADMIN_PASSWORD=ADMIN_PASSWORD, BALLAST_TRUSTED_PROXIES="127.0.0.1"
        ) as base,
        httpx.Client(timeout=60) as client,
    ):
        statuses = [
            client.post(
                f"{base}/api/auth/login",
                json={"username": f"storm-{i}", "password": "wrong-password"},
                headers=_from(STORM),
            ).status_code
            for i in range(per_address + 5)
        ]
        admin = client.post(
            f"{base}/api/auth/login",
            json={"username": "admin", "password": ADMIN_PASSWORD},
            headers=_from(OTHER),
        )

    assert statuses == [401] * per_address + [429] * 5
    assert admin.status_code == 200
