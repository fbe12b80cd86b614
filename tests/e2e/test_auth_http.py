"""Every status code of the auth API, through the real app, as problem+json."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.support.apps import (
    ACCESS_TTL,
    REFRESH_TTL,
    assert_problem,
    bearer,
    create_user,
    login,
    redis_settings,
    running_app,
)

BODY_LIMIT = 64 * 1024


@pytest.fixture
def client() -> Iterator[TestClient]:
    with running_app() as client:
        yield client


def test_login_answers_200_with_a_bearer_token_pair(client: TestClient) -> None:
    response = client.post(
        "/api/auth/login", json={"username": "admin", "password": "admin-password"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body.keys() == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "refresh_expires_in",
    }
    assert (body["token_type"], body["expires_in"], body["refresh_expires_in"]) == (
        "Bearer",
        ACCESS_TTL,
        REFRESH_TTL,
    )


def test_me_answers_the_callers_username_and_roles(client: TestClient) -> None:
    tokens = login(client)

    response = client.get("/api/auth/me", headers=bearer(tokens["access_token"]))

    assert response.status_code == 200
    assert response.json() == {"username": "admin", "roles": ["admin"]}


def test_refresh_answers_a_new_pair_and_uses_the_old_refresh_token_up(client: TestClient) -> None:
    tokens = login(client)

    renewed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert renewed.status_code == 200
    assert renewed.json()["refresh_token"] != tokens["refresh_token"]
    assert client.get("/api/auth/me", headers=bearer(renewed.json()["access_token"])).is_success
    again = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(again, 401)


def test_reusing_a_refresh_token_revokes_the_whole_family_over_http(client: TestClient) -> None:
    tokens = login(client)
    renewed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    for access in (tokens["access_token"], renewed.json()["access_token"]):
        assert_problem(client.get("/api/auth/me", headers=bearer(access)), 401)
    newest = client.post(
        "/api/auth/refresh", json={"refresh_token": renewed.json()["refresh_token"]}
    )
    assert_problem(newest, 401)


def test_logout_answers_204_and_revokes_the_access_and_refresh_tokens(client: TestClient) -> None:
    tokens = login(client)

    response = client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.get("/api/auth/me", headers=bearer(tokens["access_token"])), 401)
    refresh = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refresh, 401)


def test_logout_accepts_a_refresh_token_in_the_body(client: TestClient) -> None:
    tokens = login(client)
    other = login(client)

    response = client.post(
        "/api/auth/logout",
        json={"refresh_token": other["refresh_token"]},
        headers=bearer(tokens["access_token"]),
    )

    assert response.status_code == 204
    refresh = client.post("/api/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert_problem(refresh, 401)


def test_logout_with_a_non_string_refresh_token_is_422(client: TestClient) -> None:
    tokens = login(client)

    response = client.post(
        "/api/auth/logout", json={"refresh_token": 7}, headers=bearer(tokens["access_token"])
    )

    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["refresh_token"]


def test_an_admin_creates_a_user_with_201(client: TestClient) -> None:
    admin = login(client)

    response = client.post(
        "/api/users",
        json={"username": "bob", "password": "bob-password", "roles": ["service", "admin"]},
        headers=bearer(admin["access_token"]),
    )

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("username", "roles", "disabled", "source")} == {
        "username": "bob",
        "roles": ["admin", "service"],
        "disabled": False,
        "source": "api",
    }
    assert body["created_at"].endswith("Z")
    assert login(client, "bob", "bob-password")["token_type"] == "Bearer"


def test_creating_a_taken_username_is_409(client: TestClient) -> None:
    admin = login(client)["access_token"]
    create_user(client, admin, "bob", "bob-password", [])

    response = client.post(
        "/api/users",
        json={"username": "bob", "password": "other-password", "roles": []},
        headers=bearer(admin),
    )

    assert_problem(response, 409)


def test_invalid_user_fields_are_422_naming_each_field(client: TestClient) -> None:
    admin = login(client)["access_token"]

    response = client.post(
        "/api/users",
        json={"username": "bad name", "password": "short", "roles": ["root"]},
        headers=bearer(admin),
    )

    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["username", "password", "roles"]
    assert all(e["message"] for e in body["errors"])


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["username", "password"]),
        ({"username": "admin"}, ["password"]),
        ({"username": 1, "password": ["x"]}, ["username", "password"]),
    ],
)
def test_login_with_missing_or_non_string_fields_is_422(
    client: TestClient, body: dict[str, object], fields: list[str]
) -> None:
    response = client.post("/api/auth/login", json=body)

    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == fields


def test_refresh_without_a_refresh_token_is_422(client: TestClient) -> None:
    response = client.post("/api/auth/refresh", json={"token": "x"})

    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["refresh_token"]


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_an_events_limit_out_of_range_or_not_a_number_is_422(
    client: TestClient, limit: str
) -> None:
    admin = login(client)["access_token"]

    response = client.get(f"/api/auth/events?limit={limit}", headers=bearer(admin))

    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["limit"]


def test_revoking_what_is_not_a_live_token_is_404(client: TestClient) -> None:
    admin = login(client)["access_token"]

    response = client.post("/api/auth/revoke", json={"token": "garbage"}, headers=bearer(admin))

    assert assert_problem(response, 404)["detail"].startswith("not a live token of this service")


def test_revoking_without_a_token_field_is_422_on_token(client: TestClient) -> None:
    admin = login(client)["access_token"]

    response = client.post("/api/auth/revoke", json={"token": 7}, headers=bearer(admin))

    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["token"]


def test_wrong_password_and_unknown_user_are_the_same_401(client: TestClient) -> None:
    wrong = client.post("/api/auth/login", json={"username": "admin", "password": "nope-nope"})
    unknown = client.post("/api/auth/login", json={"username": "ghost", "password": "nope-nope"})

    assert assert_problem(wrong, 401) == assert_problem(unknown, 401)
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"


def test_a_missing_token_is_401_with_a_plain_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/auth/me")

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer    ", "token"])
def test_an_authorization_header_without_a_bearer_token_counts_as_no_token(
    client: TestClient, header: str
) -> None:
    response = client.get("/api/auth/me", headers={"Authorization": header})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_invalid_token_is_401_with_error_invalid_token(client: TestClient) -> None:
    response = client.get("/api/auth/me", headers=bearer("not.a.jwt"))

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_an_admin_revokes_a_token_with_204_and_it_is_refused_after(client: TestClient) -> None:
    admin = login(client)["access_token"]
    create_user(client, admin, "bob", "bob-password", [])
    bob = login(client, "bob", "bob-password")["access_token"]

    response = client.post("/api/auth/revoke", json={"token": bob}, headers=bearer(admin))

    assert response.status_code == 204
    refused = client.get("/api/auth/me", headers=bearer(bob))
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("POST", "/api/auth/revoke", {"token": "x"}),
        ("GET", "/api/auth/events", None),
        ("POST", "/api/users", {"username": "eve", "password": "eve-password", "roles": []}),
    ],
)
def test_admin_routes_are_403_for_a_plain_user(
    client: TestClient, method: str, path: str, json: object
) -> None:
    admin = login(client)["access_token"]
    create_user(client, admin, "bob", "bob-password", [])
    bob = login(client, "bob", "bob-password")["access_token"]

    response = client.request(method, path, json=json, headers=bearer(bob))

    assert_problem(response, 403)


def test_events_are_listed_newest_first_with_the_client_address(client: TestClient) -> None:
    client.post("/api/auth/login", json={"username": "ghost", "password": "nope-nope"})
    admin = login(client)["access_token"]

    response = client.get("/api/auth/events?limit=2", headers=bearer(admin))

    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["type"], i["username"]) for i in items] == [
        ("login_succeeded", "admin"),
        ("login_failed", "ghost"),
    ]
    assert all(i["client"] and i["at"].endswith("Z") for i in items)


def walk_events(client: TestClient, admin: str, limit: int) -> tuple[list[str], int]:
    """Every page of /api/auth/events: (`type:username` of each event, pages read)."""
    seen: list[str] = []
    cursor = None
    for pages in range(1, 50):
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/auth/events", params=params, headers=bearer(admin))
        assert response.status_code == 200
        body = response.json()
        assert len(body["items"]) <= limit
        seen += [f"{i['type']}:{i['username']}" for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
    raise AssertionError("no last page")


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])
def test_events_are_paged_with_a_cursor_each_once_newest_first(
    redis: bool, request: pytest.FixtureRequest
) -> None:
    base = redis_settings(request.getfixturevalue("empty_redis").url) if redis else None
    with running_app(base) as client:
        for i in range(5):
            client.post("/api/auth/login", json={"username": f"ghost{i}", "password": "x" * 12})
        admin = login(client)["access_token"]

        seen, pages = walk_events(client, admin, 2)

        assert seen == ["login_succeeded:admin"] + [
            f"login_failed:ghost{i}" for i in reversed(range(5))
        ]
        assert pages == 3  # six events: the third page is the last, next_cursor null


def test_a_redis_events_cursor_in_memory_mode_starts_from_the_newest(
    client: TestClient,
) -> None:
    """Every cursor of the documented form is a place to read from: this app keeps its
    events in memory, so a Redis entry id (one from before an outage) starts again."""
    client.post("/api/auth/login", json={"username": "ghost", "password": "x" * 12})
    admin = login(client)["access_token"]

    response = client.get(
        "/api/auth/events", params={"cursor": "1767605400000-0"}, headers=bearer(admin)
    )

    assert response.status_code == 200
    body = response.json()
    assert [(i["type"], i["username"]) for i in body["items"]] == [
        ("login_succeeded", "admin"),
        ("login_failed", "ghost"),
    ]
    assert body["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["abc", "m", "m-1", "1-", "1-2-3", "m1 ", "9" * 20 + "-0"])
def test_a_forged_events_cursor_is_422_on_cursor(client: TestClient, cursor: str) -> None:
    admin = login(client)["access_token"]

    response = client.get("/api/auth/events", params={"cursor": cursor}, headers=bearer(admin))

    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["cursor"]


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b""])
def test_a_body_that_is_not_json_is_400(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400)


@pytest.mark.parametrize("body", [b"[]", b'"admin"', b"42", b"null"])
def test_a_json_body_that_is_not_an_object_is_400(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400)


def test_an_unknown_path_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/nothing-here"), 404)


def test_a_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.get("/api/auth/login")

    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]


def test_a_declared_body_over_64_kib_is_413(client: TestClient) -> None:
    body = b'{"username": "' + b"a" * BODY_LIMIT + b'", "password": "x"}'

    response = client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 413)
    assert response.headers["connection"] == "close"  # the rest of the body is never read


def test_a_body_of_exactly_64_kib_is_read(client: TestClient) -> None:
    prefix = b'{"username": "admin", "password": "admin-password", "pad": "'
    body = prefix + b"a" * (BODY_LIMIT - len(prefix) - 2) + b'"}'
    assert len(body) == BODY_LIMIT

    response = client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 200


def test_a_chunked_body_over_64_kib_without_content_length_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(20):
            yield b"a" * 4096
        yield b'", "password": "x"}'

    response = client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_problem(response, 413)
    assert response.headers["connection"] == "close"


def test_a_non_numeric_content_length_is_a_400(client: TestClient) -> None:
    response = client.post(
        "/api/auth/login",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "abc"},
    )

    assert_problem(response, 400)
