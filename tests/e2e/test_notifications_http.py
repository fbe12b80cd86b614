"""The notification routes through the real app: statuses, shapes, problems."""

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from starlette.testclient import TestClient

from application.notifications.delivery import DeliveryWorker
from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from tests.fakes import fast_hasher
from tests.support.apps import assert_problem, bearer, create_user, login, settings

NOTIFICATION_FIELDS = {
    "id",
    "recipient",
    "channel",
    "subject",
    "body",
    "status",
    "created_at",
    "updated_at",
    "attempts",
    "metadata",
}


@attrs.define
class Api:
    client: TestClient
    worker: DeliveryWorker
    admin: dict[str, str]
    service: dict[str, str]
    alice: dict[str, str]
    bob: dict[str, str]

    def send(self, headers: dict[str, str] | None = None, **body: Any) -> Any:
        payload = {"recipient": "alice", "channel": "log", "subject": "Hi", "body": "text", **body}
        return self.client.post(
            "/api/notifications", json=payload, headers={**self.service, **(headers or {})}
        )

    def deliver(self) -> None:
        """Runs the worker on the app's own event loop until nothing is due."""
        portal = self.client.portal
        assert portal is not None
        portal.call(self.worker.drain)


@pytest.fixture
def api() -> Iterator[Api]:
    hooks = settings(webhook_allowed_hosts=("hooks.example.com",))
    container = bootstrap(hooks, {PasswordHasher: fast_hasher()})
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        admin = login(client)["access_token"]
        create_user(client, admin, "billing", "billing-password", ["service"])
        create_user(client, admin, "alice", "alice-password", [])
        create_user(client, admin, "bob", "bob-password", [])

        def token(name: str) -> dict[str, str]:
            return bearer(login(client, name, f"{name}-password")["access_token"])

        yield Api(
            client,
            container.resolve(DeliveryWorker),
            bearer(admin),
            token("billing"),
            token("alice"),
            token("bob"),
        )


def test_send_answers_202_with_the_pending_notification(api: Api) -> None:
    response = api.send(metadata={"order": 42})

    assert response.status_code == 202
    body = response.json()
    assert body.keys() >= NOTIFICATION_FIELDS
    assert (body["recipient"], body["channel"], body["status"]) == ("alice", "log", "pending")
    assert body["metadata"] == {"order": 42} and body["attempts"] == 0
    assert body["created_at"].endswith("Z")
    assert response.headers["location"] == f"/api/notifications/{body['id']}"


def test_the_recipient_reads_it_sent_after_delivery_and_marks_it_read(api: Api) -> None:
    notification_id = api.send().json()["id"]
    api.deliver()

    got = api.client.get(f"/api/notifications/{notification_id}", headers=api.alice)
    assert got.status_code == 200
    assert (got.json()["status"], got.json()["attempts"]) == ("sent", 1)

    marked = api.client.patch(
        f"/api/notifications/{notification_id}", json={"status": "read"}, headers=api.alice
    )
    assert marked.status_code == 200 and marked.json()["status"] == "read"
    listed = api.client.get("/api/notifications?status=read", headers=api.alice).json()
    assert [n["id"] for n in listed["items"]] == [notification_id]


def test_an_idempotent_repeat_answers_200_with_the_first(api: Api) -> None:
    first = api.send(headers={"Idempotency-Key": "order-42"})
    again = api.send(headers={"Idempotency-Key": "order-42"}, subject="changed")

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["subject"] == "Hi"
    listed = api.client.get("/api/notifications", headers=api.alice).json()
    assert len(listed["items"]) == 1


def test_lists_are_the_callers_own_newest_first_by_cursor(api: Api) -> None:
    sent = [api.send(subject=f"s{i}").json()["id"] for i in range(5)]
    api.send(recipient="bob")

    seen: list[str] = []
    url = "/api/notifications?limit=2"
    while True:
        page = api.client.get(url, headers=api.alice)
        assert page.status_code == 200
        body = page.json()
        seen += [n["id"] for n in body["items"]]
        if body["next_cursor"] is None:
            break
        url = f"/api/notifications?limit=2&cursor={body['next_cursor']}"

    assert seen == list(reversed(sent))


def test_an_admin_reads_anyones_but_lists_only_its_own(api: Api) -> None:
    notification_id = api.send().json()["id"]
    assert (
        api.client.get(f"/api/notifications/{notification_id}", headers=api.admin).status_code
        == 200
    )
    assert api.client.get("/api/notifications", headers=api.admin).json()["items"] == []


def test_someone_elses_notification_is_a_404(api: Api) -> None:
    notification_id = api.send().json()["id"]
    assert_problem(api.client.get(f"/api/notifications/{notification_id}", headers=api.bob), 404)
    assert_problem(
        api.client.patch(
            f"/api/notifications/{notification_id}", json={"status": "read"}, headers=api.bob
        ),
        404,
    )


def test_a_plain_user_may_not_send(api: Api) -> None:
    response = api.client.post(
        "/api/notifications",
        json={"recipient": "bob", "channel": "log", "subject": "s", "body": "b"},
        headers=api.alice,
    )
    assert_problem(response, 403)


def test_without_a_token_it_is_401(api: Api) -> None:
    assert_problem(api.client.get("/api/notifications"), 401)
    assert_problem(api.client.post("/api/notifications", json={}), 401)


def test_invalid_fields_are_422_with_every_field_named(api: Api) -> None:
    response = api.send(recipient="", channel="fax", subject="x" * 201, metadata=[])
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"recipient", "channel", "subject", "metadata"}


def test_a_webhook_to_a_host_not_allowed_is_422(api: Api) -> None:
    body = assert_problem(api.send(channel="webhook", target="http://169.254.169.254/x"), 422)
    assert [e["field"] for e in body["errors"]] == ["target"]


def test_email_without_an_smtp_server_is_422_on_channel(api: Api) -> None:
    body = assert_problem(api.send(channel="email", target="alice@example.com"), 422)
    assert [e["field"] for e in body["errors"]] == ["channel"]


def test_asking_for_a_status_other_than_read_is_422(api: Api) -> None:
    notification_id = api.send().json()["id"]
    response = api.client.patch(
        f"/api/notifications/{notification_id}", json={"status": "sent"}, headers=api.alice
    )
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("status=nope", "status"),
        ("cursor=%21%21", "cursor"),
    ],
)
def test_bad_list_parameters_are_422(api: Api, query: str, field: str) -> None:
    body = assert_problem(api.client.get(f"/api/notifications?{query}", headers=api.alice), 422)
    assert [e["field"] for e in body["errors"]] == [field]


def test_malformed_bodies_are_400_and_unknown_ids_404(api: Api) -> None:
    bad = api.client.post(
        "/api/notifications",
        content=b"{nope",
        headers={**api.service, "content-type": "application/json"},
    )
    assert_problem(bad, 400)
    assert_problem(api.client.get("/api/notifications/nope", headers=api.alice), 404)
    assert_problem(api.client.delete("/api/notifications/nope", headers=api.alice), 405)


def test_the_routes_are_in_the_openapi_document(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/notifications"]) >= {"get", "post"}
    assert set(paths["/api/notifications/{id}"]) >= {"get", "patch"}
