"""Every problem `type` resolves: followed from the OpenAPI document and from real error
answers of each kind, it is a page Ballast serves (relative to the request, RFC 3986)."""

from typing import Any
from urllib.parse import urljoin

from starlette.testclient import TestClient

from tests.support.apps import bearer, login, running_app

JSON = "application/json"


def follow(client: TestClient, answered_at: str, problem: dict[str, Any]) -> None:
    url = urljoin(answered_at, problem["type"])
    page = client.get(url)
    assert page.status_code == 200, (problem, url)
    assert page.headers["content-type"].startswith("text/html")
    assert "What to do" in page.text


def test_every_type_in_the_openapi_document_is_a_page() -> None:
    with running_app() as client:
        spec = client.get("/openapi.json").json()
        types = {
            example["type"]
            for response in spec["components"].get("responses", {}).values()
            for media in response.get("content", {}).values()
            for example in [media.get("example", {})]
            if "type" in example
        }
        types |= {
            media["example"]["type"]
            for path in spec["paths"].values()
            for operation in path.values()
            for response in operation.get("responses", {}).values()
            for media in response.get("content", {}).values()
            if isinstance(media.get("example"), dict) and "type" in media["example"]
        }
        assert len(types) >= 8
        for kind in types:
            follow(client, "http://testserver/api/auth/me", {"type": kind})


def test_the_type_of_each_kind_of_error_answer_is_followed_to_its_page() -> None:
    with running_app() as client:
        token = bearer(login(client))
        answers = [
            client.get("/api/auth/me"),  # 401 missing token
            client.get("/api/auth/me", headers=bearer("not-a-token")),  # 401 invalid
            client.get("/nowhere"),  # 404
            client.delete("/api/auth/me", headers=token),  # 405
            client.post(
                "/api/auth/login", content=b"{", headers={"content-type": "application/json"}
            ),
            client.post("/api/auth/login", content=b"x", headers={"content-type": "text/plain"}),
            client.post("/api/auth/login", json={"username": 1}),  # 422
            client.post("/api/auth/login", json={"username": "admin", "password": "wrong-one"}),
            client.get("/api/notifications/nope", headers=token),  # 404 of a resource
        ]
        statuses = {a.status_code for a in answers}
        assert {400, 401, 404, 405, 415, 422} <= statuses
        for answer in answers:
            assert answer.headers["content-type"].startswith("application/problem+json")
            follow(client, str(answer.url), answer.json())


def test_an_unknown_type_is_a_404_problem() -> None:
    with running_app() as client:
        missing = client.get("/problems/no-such-problem")
    assert missing.status_code == 404
    assert missing.json()["type"] == "/problems/not-found"
