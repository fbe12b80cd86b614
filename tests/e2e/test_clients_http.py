"""/api/clients over HTTP through the real app: the lifecycle of a client, its secret shown
once and rotated with an overlap, and every change that takes power away revoking its
tokens at once; each change an auth event."""

import logging

import pytest

from tests.fakes import FakeClock
from tests.support.apps import assert_problem
from tests.support.clients import bearer
from tests.support.oauth import admin_token, client_token, grant, new_client, oauth_app


def test_a_client_is_created_read_listed_changed_and_deleted() -> None:
    with oauth_app() as client:
        admin = admin_token(client)
        created = new_client(client, admin, ["users:read"], audience="orders")
        others = [new_client(client, admin, [], name=f"n{i}") for i in range(3)]
        cid = created["client_id"]
        read = client.get(f"/api/clients/{cid}", headers=bearer(admin)).json()
        first = client.get("/api/clients?limit=2", headers=bearer(admin)).json()
        rest = client.get(
            f"/api/clients?limit=10&cursor={first['next_cursor']}", headers=bearer(admin)
        ).json()
        changed = client.patch(
            f"/api/clients/{cid}", json={"name": "billing-v2"}, headers=bearer(admin)
        ).json()
        deleted = client.delete(f"/api/clients/{cid}", headers=bearer(admin))
        gone = client.get(f"/api/clients/{cid}", headers=bearer(admin))

    assert set(created) == {
        "client_id",
        "client_secret",
        "name",
        "scopes",
        "audience",
        "created_at",
        "disabled",
    }
    assert created["disabled"] is False and created["audience"] == "orders"
    assert "client_secret" not in read and read["source"] == "api"
    listed = [c["client_id"] for c in first["items"] + rest["items"]]
    assert sorted(listed) == sorted([cid, *(o["client_id"] for o in others)])
    assert rest["next_cursor"] is None
    assert changed["name"] == "billing-v2"
    assert deleted.status_code == 204
    assert_problem(gone, 404)


def test_an_unknown_scope_is_refused_naming_it() -> None:
    with oauth_app(oauth_scopes=("orders:write",)) as client:
        admin = admin_token(client)
        refused = client.post(
            "/api/clients",
            json={"name": "x", "scopes": ["users:read", "orders:delete"]},
            headers=bearer(admin),
        )
        operator_scope = new_client(client, admin, ["orders:write"])
        token = grant(client, operator_scope).json()

    body = assert_problem(refused, 422)
    assert body["errors"] == [
        {"field": "scopes", "message": "is not allowed: 'orders:delete' (at [1])"}
    ]
    assert token["scope"] == "orders:write"


def test_only_admins_manage_clients() -> None:
    with oauth_app() as client:
        admin = admin_token(client)
        client.post(
            "/api/users",
            json={"username": "svc", "password": "svc-password", "roles": ["service"]},
            headers=bearer(admin),
        )
        service = client.post(
            "/api/auth/login", json={"username": "svc", "password": "svc-password"}
        ).json()["access_token"]
        refused = client.post(
            "/api/clients", json={"name": "x", "scopes": []}, headers=bearer(service)
        )

    assert_problem(refused, 403)


def test_a_rotated_secret_keeps_the_old_one_working_for_the_overlap() -> None:
    clock = FakeClock()
    with oauth_app(clock=clock, client_secret_overlap=600) as client:
        admin = admin_token(client)
        creds = new_client(client, admin, ["users:read"])
        rotated = client.post(f"/api/clients/{creds['client_id']}/secret", headers=bearer(admin))
        new = {**creds, "client_secret": rotated.json()["client_secret"]}
        during = grant(client, creds).status_code, grant(client, new).status_code
        clock.advance(601)
        after = grant(client, creds).status_code, grant(client, new).status_code

    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    assert new["client_secret"] != creds["client_secret"]
    assert during == (200, 200)
    assert after == (401, 200)


@pytest.mark.parametrize(
    "change",
    [{"disabled": True}, {"scopes": ["notifications:send"]}, None],
    ids=["disable", "scope-removed", "delete"],
)
def test_taking_power_away_revokes_every_token_the_client_holds(
    change: dict[str, object] | None,
) -> None:
    with oauth_app() as client:
        admin = admin_token(client)
        creds = new_client(client, admin, ["users:read", "notifications:send"])
        tokens = [client_token(client, creds) for _ in range(3)]
        path = f"/api/clients/{creds['client_id']}"
        if change is None:
            assert client.delete(path, headers=bearer(admin)).status_code == 204
        else:
            assert client.patch(path, json=change, headers=bearer(admin)).status_code == 200
        calls = [client.get("/api/notifications", headers=bearer(t)) for t in tokens]
        again = grant(client, creds)

    assert [c.status_code for c in calls] == [401, 401, 401]
    if change == {"scopes": ["notifications:send"]}:
        assert again.status_code == 200
        assert again.json()["scope"] == "notifications:send"
    else:
        assert again.status_code in (400, 401)


def test_every_change_is_an_event_and_no_secret_is_ever_shown_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with oauth_app() as client:
        admin = admin_token(client)
        creds = new_client(client, admin, ["users:read"])
        cid = creds["client_id"]
        client.patch(f"/api/clients/{cid}", json={"name": "renamed"}, headers=bearer(admin))
        secret = client.post(f"/api/clients/{cid}/secret", headers=bearer(admin)).json()
        grant(client, {**creds, "client_secret": "a-wrong-secret-presented"})
        client.patch(f"/api/clients/{cid}", json={"disabled": True}, headers=bearer(admin))
        client.delete(f"/api/clients/{cid}", headers=bearer(admin))
        events = client.get("/api/auth/events", headers=bearer(admin)).json()["items"]
        everything = [
            client.get("/api/clients", headers=bearer(admin)).text,
            client.get("/api/auth/events", headers=bearer(admin)).text,
        ]

    mine = [(e["type"], e["actor"]) for e in events if e["username"] == cid]
    assert mine == [
        ("client_deleted", "admin"),
        ("client_disabled", "admin"),
        ("client_auth_failed", ""),
        ("client_secret_rotated", "admin"),
        ("client_updated", "admin"),
        ("client_created", "admin"),
    ]
    shown = "\n".join([*everything, caplog.text])
    for text in (creds["client_secret"], secret["client_secret"], "a-wrong-secret-presented"):
        assert text not in shown
