"""The user lifecycle over HTTP through the real app (in memory): list, read, change,
disable, delete and recreate; own password and logout everywhere; configuration's users
refuse changes; every change is an event naming who made it."""

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from adapters.passwords import Argon2PasswordHasher
from domain.users import Role, User
from entrypoints.settings import RateLimit
from tests.support.apps import (
    assert_problem,
    bearer,
    create_user,
    login,
    running_app,
)

ALICE = "alice-password"


def admin_and_alice(client: TestClient, *roles: str) -> tuple[str, dict[str, Any]]:
    admin = login(client)["access_token"]
    create_user(client, admin, "alice", ALICE, list(roles))
    return admin, login(client, "alice", ALICE)


def me(client: TestClient, token: str) -> int:
    return client.get("/api/auth/me", headers=bearer(token)).status_code


def refresh(client: TestClient, tokens: dict[str, Any]) -> int:
    return client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    ).status_code


def events(client: TestClient, admin: str) -> list[dict[str, Any]]:
    body = client.get("/api/auth/events?limit=100", headers=bearer(admin)).json()
    items: list[dict[str, Any]] = body["items"]
    return items


def test_users_are_listed_by_name_a_page_at_a_time() -> None:
    with running_app() as client:
        admin = login(client)["access_token"]
        for name in ("dave", "bob", "carol", "erin"):
            create_user(client, admin, name, "long-password", [])
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/users", params=params, headers=bearer(admin)).json()
            seen += page["items"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break

    assert [u["username"] for u in seen] == ["admin", "bob", "carol", "dave", "erin"]
    assert pages == 3
    admin_entry, bob = seen[0], seen[1]
    assert admin_entry == {
        "username": "admin",
        "roles": ["admin"],
        "disabled": False,
        "created_at": None,
        "source": "file",
    }
    assert bob["source"] == "api" and bob["created_at"].endswith("Z")


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "cursor=not%20a%20name"])
def test_a_bad_page_request_is_a_problem(query: str) -> None:
    with running_app() as client:
        admin = login(client)["access_token"]
        assert_problem(client.get(f"/api/users?{query}", headers=bearer(admin)), 422)


def test_a_user_reads_themselves_and_only_admins_read_or_list_others() -> None:
    with running_app() as client:
        admin, alice = admin_and_alice(client)
        create_user(client, admin, "bob", "long-password", [])
        own = client.get("/api/users/alice", headers=bearer(alice["access_token"]))
        other = client.get("/api/users/bob", headers=bearer(alice["access_token"]))
        listing = client.get("/api/users", headers=bearer(alice["access_token"]))
        by_admin = client.get("/api/users/bob", headers=bearer(admin))
        missing = client.get("/api/users/nobody", headers=bearer(admin))

    assert own.status_code == 200 and own.json()["username"] == "alice"
    assert_problem(other, 403)
    assert_problem(listing, 403)
    assert by_admin.json()["username"] == "bob"
    assert_problem(missing, 404)


def test_disabling_a_user_revokes_every_token_and_refuses_login() -> None:
    with running_app() as client:
        admin, alice = admin_and_alice(client)
        second = login(client, "alice", ALICE)
        patched = client.patch("/api/users/alice", json={"disabled": True}, headers=bearer(admin))
        refused_login = client.post(
            "/api/auth/login", json={"username": "alice", "password": ALICE}
        )
        results = [me(client, alice["access_token"]), me(client, second["access_token"])]
        refreshed = [refresh(client, alice), refresh(client, second)]
        enabled = client.patch("/api/users/alice", json={"disabled": False}, headers=bearer(admin))
        after = login(client, "alice", ALICE)
        works = me(client, after["access_token"])
        log = events(client, admin)

    assert patched.status_code == 200 and patched.json()["disabled"] is True
    assert_problem(refused_login, 401)
    assert results == [401, 401]
    assert refreshed == [401, 401]
    assert enabled.json()["disabled"] is False
    assert works == 200
    disabled = next(e for e in log if e["type"] == "user_disabled")
    assert (disabled["username"], disabled["actor"]) == ("alice", "admin")
    assert any(e["type"] == "user_updated" and e["actor"] == "admin" for e in log)


def test_removing_a_role_revokes_every_token_and_adding_one_does_not() -> None:
    with running_app() as client:
        admin, alice = admin_and_alice(client, "service")
        added = client.patch(
            "/api/users/alice", json={"roles": ["service", "admin"]}, headers=bearer(admin)
        )
        still = me(client, alice["access_token"])
        removed = client.patch("/api/users/alice", json={"roles": []}, headers=bearer(admin))
        gone = me(client, alice["access_token"])
        fresh = login(client, "alice", ALICE)
        roles = client.get("/api/auth/me", headers=bearer(fresh["access_token"])).json()["roles"]

    assert added.json()["roles"] == ["admin", "service"]
    assert still == 200
    assert removed.json()["roles"] == []
    assert gone == 401
    assert roles == []


@pytest.mark.parametrize(
    "body",
    [{"roles": ["root"]}, {"roles": "admin"}, {"disabled": "yes"}, {"password": "x" * 10}],
)
def test_a_bad_change_is_a_problem_naming_the_field(body: dict[str, Any]) -> None:
    with running_app() as client:
        admin, _ = admin_and_alice(client)
        response = client.patch("/api/users/alice", json=body, headers=bearer(admin))

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == next(iter(body))


def test_a_deleted_user_is_refused_and_a_recreated_one_does_not_revive_old_tokens() -> None:
    with running_app() as client:
        admin, alice = admin_and_alice(client)
        deleted = client.delete("/api/users/alice", headers=bearer(admin))
        again = client.delete("/api/users/alice", headers=bearer(admin))
        old = me(client, alice["access_token"])
        create_user(client, admin, "alice", "a-new-password", [])
        revived = [me(client, alice["access_token"]), refresh(client, alice)]
        fresh = login(client, "alice", "a-new-password")
        works = me(client, fresh["access_token"])
        log = events(client, admin)

    assert deleted.status_code == 204
    assert_problem(again, 404)
    assert old == 401
    assert revived == [401, 401]
    assert works == 200
    deletion = next(e for e in log if e["type"] == "user_deleted")
    assert (deletion["username"], deletion["actor"]) == ("alice", "admin")
    assert [e["type"] for e in log].count("user_created") == 2


def test_a_password_change_ends_every_other_session_but_the_callers_access_token() -> None:
    with running_app() as client:
        _, alice = admin_and_alice(client)
        other = login(client, "alice", ALICE)
        changed = client.post(
            "/api/auth/password",
            json={"current_password": ALICE, "new_password": "a-better-password"},
            headers=bearer(alice["access_token"]),
        )
        states = {
            "caller_access": me(client, alice["access_token"]),
            "caller_refresh": refresh(client, alice),
            "other_access": me(client, other["access_token"]),
            "other_refresh": refresh(client, other),
        }
        old_password = client.post("/api/auth/login", json={"username": "alice", "password": ALICE})
        new_login = login(client, "alice", "a-better-password")
        works = me(client, new_login["access_token"])

    assert changed.status_code == 204
    assert states == {
        "caller_access": 200,
        "caller_refresh": 401,
        "other_access": 401,
        "other_refresh": 401,
    }
    assert_problem(old_password, 401)
    assert works == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"current_password": "wrong-password", "new_password": "a-better-password"},
            "current_password",
        ),
        ({"current_password": ALICE, "new_password": "short"}, "new_password"),
        ({"current_password": ALICE}, "new_password"),
    ],
)
def test_a_bad_password_change_changes_nothing(body: dict[str, Any], field: str) -> None:
    with running_app() as client:
        _, alice = admin_and_alice(client)
        response = client.post(
            "/api/auth/password", json=body, headers=bearer(alice["access_token"])
        )
        still = refresh(client, alice)

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == field
    assert still == 200


def test_logout_all_revokes_every_token_of_the_caller_only() -> None:
    with running_app() as client:
        admin, alice = admin_and_alice(client)
        other = login(client, "alice", ALICE)
        out = client.post("/api/auth/logout-all", headers=bearer(alice["access_token"]))
        states = [
            me(client, alice["access_token"]),
            me(client, other["access_token"]),
            refresh(client, alice),
            refresh(client, other),
        ]
        admin_still = me(client, admin)
        log = events(client, admin)

    assert out.status_code == 204
    assert states == [401, 401, 401, 401]
    assert admin_still == 200
    assert any(e["type"] == "logout_all" and e["username"] == "alice" for e in log)


def test_users_defined_by_configuration_refuse_every_change(tmp_path: Path) -> None:
    hashed = Argon2PasswordHasher(memory_kib=256, time_cost=1).hash_sync("file-user-password")
    carol = User("carol", hashed, frozenset({Role.SERVICE}))
    with running_app(users=(carol,)) as client:
        admin = login(client)["access_token"]
        token = login(client, "carol", "file-user-password")["access_token"]
        answers = [
            client.patch("/api/users/carol", json={"disabled": True}, headers=bearer(admin)),
            client.delete("/api/users/carol", headers=bearer(admin)),
            client.delete("/api/users/admin", headers=bearer(admin)),
            client.post(
                "/api/auth/password",
                json={"current_password": "file-user-password", "new_password": "whatever-else"},
                headers=bearer(token),
            ),
        ]
        still = me(client, token)

    for answer in answers:
        problem = assert_problem(answer, 409)
        assert "configuration" in problem["detail"]
    assert still == 200


def test_wrong_current_passwords_are_throttled_as_logins_and_recorded_as_events() -> None:
    with running_app(login_rate_limit=RateLimit(10, 60)) as client:
        admin, alice = admin_and_alice(client)
        statuses = [
            client.post(
                "/api/auth/password",
                json={"current_password": f"guess-{i:04d}", "new_password": "a-better-password"},
                headers=bearer(alice["access_token"]),
            ).status_code
            for i in range(40)
        ]
        recorded = events(client, admin)

    # One budget per address and user for every password check: alice's login took one.
    assert statuses == [422] * 9 + [429] * 31
    failed = [e for e in recorded if e["type"] == "password_check_failed"]
    assert len(failed) == 9
    assert {(e["username"], e["client"]) for e in failed} == {("alice", "testclient")}


def test_a_recreated_username_starts_with_an_empty_inbox_and_no_former_idempotency_key() -> None:
    with running_app() as client:
        admin, alice = admin_and_alice(client, "service")
        sent = client.post(
            "/api/notifications",
            json={"recipient": "alice", "channel": "log", "subject": "Hi", "body": "secret"},
            headers={**bearer(alice["access_token"]), "Idempotency-Key": "k1"},
        ).json()["id"]
        client.delete("/api/users/alice", headers=bearer(admin))
        create_user(client, admin, "alice", "a-new-password", ["service"])
        fresh = bearer(login(client, "alice", "a-new-password")["access_token"])
        inbox = client.get("/api/notifications", headers=fresh).json()
        former = client.get(f"/api/notifications/{sent}", headers=fresh)
        resent = client.post(
            "/api/notifications",
            json={"recipient": "alice", "channel": "log", "subject": "Hi", "body": "again"},
            headers={**fresh, "Idempotency-Key": "k1"},
        )
        by_admin = client.get(f"/api/notifications/{sent}", headers=bearer(admin))

    assert inbox["items"] == []
    assert_problem(former, 404)
    assert_problem(resent, 409)  # the former user's key: never their notification back
    assert by_admin.status_code == 200


def test_a_username_in_another_case_or_width_is_the_same_user_on_every_route() -> None:
    full_width = "\uff21\uff4c\uff49\uff43\uff45"  # Alice
    with running_app() as client:
        admin, alice = admin_and_alice(client, "service")
        taken = client.post(
            "/api/users",
            json={"username": full_width, "password": "pass-word-1", "roles": []},
            headers=bearer(admin),
        )
        again = login(client, "ALICE", ALICE)
        whoami = client.get("/api/auth/me", headers=bearer(again["access_token"])).json()
        read = client.get(f"/api/users/{full_width}", headers=bearer(admin)).json()
        sent = client.post(
            "/api/notifications",
            json={"recipient": "Alice", "channel": "log", "subject": "Hi", "body": "text"},
            headers=bearer(alice["access_token"]),
        ).json()
        inbox = client.get("/api/notifications", headers=bearer(again["access_token"])).json()

    assert_problem(taken, 409)
    assert whoami["username"] == read["username"] == sent["recipient"] == "alice"
    assert [n["id"] for n in inbox["items"]] == [sent["id"]]
