"""/openapi.json as generated from the shapes: complete, named, exemplified, and following the
server's settings where they decide what a request may say."""

from typing import Any

import pytest

from tests.support.apps import bearer, login, running_app


def _document(**changes: Any) -> Any:
    with running_app(**changes) as client:
        return client.get("/openapi.json").json()


def _operations(spec: Any) -> list[tuple[str, str, Any]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_every_operation_has_a_unique_operation_id_and_an_example() -> None:
    operations = _operations(_document())
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids)) == len(operations)
    for path, method, op in operations:
        successes = [r for status, r in op["responses"].items() if status.startswith("2")]
        bodies = [
            media for response in successes for media in response.get("content", {}).values()
        ] + list(op.get("requestBody", {}).get("content", {}).values())
        parameters = op.get("parameters", [])
        examples = [media for media in bodies if "example" in media] + [
            p for p in parameters if "examples" in p["schema"]
        ]
        if bodies or parameters:
            # What the client sends or is sent back, shown where it is.
            assert len(examples) >= 1, (method, path)
        else:
            # Nothing goes in or out but a status: its problems are shown.
            problems = [
                media
                for status, response in op["responses"].items()
                if not status.startswith("2")
                for media in response.get("content", {}).values()
            ]
            assert problems and all("example" in media for media in problems), (method, path)


def test_every_problem_but_a_422_has_an_example_of_its_status() -> None:
    for _, _, op in _operations(_document()):
        for status, response in op["responses"].items():
            problem = response.get("content", {}).get("application/problem+json")
            if problem is not None and status != "422":
                assert problem["example"]["status"] == int(status)


def test_every_reference_resolves_to_a_generated_component() -> None:
    spec = _document()
    schemas = spec["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if "$ref" in node else []
            return own + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    found = refs(spec)
    assert found
    for ref in found:
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def _send_body(spec: Any) -> Any:
    return spec["paths"]["/api/notifications"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]


def test_only_the_log_channel_is_offered_when_nothing_else_is_configured() -> None:
    spec = _document()
    assert _send_body(spec) == {"$ref": "#/components/schemas/LogMessage"}
    assert spec["components"]["schemas"]["LogMessage"]["properties"]["channel"] == {"enum": ["log"]}


def test_webhook_targets_are_urls_on_the_allowed_hosts_and_email_needs_smtp() -> None:
    spec = _document(webhook_allowed_hosts=("hooks.example.com",), smtp_url="smtp://127.0.0.1:2525")
    body = _send_body(spec)
    names = [ref["$ref"].rsplit("/", 1)[1] for ref in body["oneOf"]]
    assert names == ["LogMessage", "WebhookMessage", "EmailMessage"]
    assert body["discriminator"] == {"propertyName": "channel"}
    target = spec["components"]["schemas"]["WebhookMessage"]["properties"]["target"]
    assert target["format"] == "uri"
    assert "[Hh][Oo][Oo][Kk][Ss]\\.[Ee]" in target["pattern"]
    assert spec["components"]["schemas"]["EmailMessage"]["properties"]["target"]["format"] == (
        "email"
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["recipient", "subject", "body", "channel"]),
        (
            {"channel": "fax", "recipient": "", "subject": 3, "body": "b"},
            ["recipient", "subject", "channel"],
        ),
        (
            {
                "channel": "webhook",
                "recipient": "bob",
                "subject": "s",
                "body": "b",
                "target": "ftp://x",
            },
            ["target"],
        ),
        (
            {"channel": "log", "recipient": "bob", "subject": "s", "body": "b", "metadata": []},
            ["metadata"],
        ),
    ],
)
def test_a_send_names_every_bad_field_at_once(body: dict[str, Any], fields: list[str]) -> None:
    with running_app(webhook_allowed_hosts=("hooks.example.com",)) as client:
        admin = bearer(login(client)["access_token"])
        response = client.post("/api/notifications", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == fields


def test_body_and_parameter_errors_are_reported_together() -> None:
    with running_app() as client:
        admin = bearer(login(client)["access_token"])
        response = client.post(
            "/api/notifications",
            json={"channel": "log", "recipient": "bob", "subject": "", "body": "b"},
            headers={**admin, "Idempotency-Key": "x" * 256},
        )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["subject", "Idempotency-Key"]
