"""What validation accepts is what /openapi.json says: every pattern-bearing field of every
operation (query, path and body fields, every variant of a body), read from the served
document, is sent a value its pattern matches with a newline after it. JSON Schema's `$` is
the end of the string, so each such value is refused, naming the field (Python's `$` also
matches before a final newline: `amount=10%0A` and `from=USD%0A` were accepted).
Header fields are left out: HTTP cannot carry a newline in a header value. And a body is
read only as a media type its operation declares: any other is a 415."""

import re
import urllib.parse
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import Settings
from tests.fakes import fast_hasher

ADMIN = "patterns-admin-password"
SETTINGS = Settings(
    admin_password=ADMIN,
    rate_limit=None,
    login_rate_limit=None,
    webhook_allowed_hosts=("hooks.example", "127.0.0.1"),
    smtp_url="smtp://127.0.0.1:1",
)


@attrs.frozen
class Field:
    method: str
    path: str
    where: str  # query, path or body
    name: str
    pattern: str
    consts: dict[str, Any]  # what picks the body's variant (its discriminator)
    has_body: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.where}:{self.name}"


def app() -> Any:
    return create_app(bootstrap(SETTINGS, {PasswordHasher: fast_hasher()}))


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def pattern_of(doc: dict[str, Any], schema: dict[str, Any]) -> str | None:
    schema = resolve(doc, schema)
    if "pattern" in schema:
        return str(schema["pattern"])
    found = [pattern_of(doc, s) for s in schema.get("anyOf", []) + schema.get("oneOf", [])]
    return next((p for p in found if p), None)


def fields(doc: dict[str, Any]) -> list[Field]:
    out: list[Field] = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            has = body is not None
            for param in op.get("parameters", []):
                pattern = pattern_of(doc, param["schema"])
                if pattern and param["in"] in ("query", "path"):
                    out.append(
                        Field(method.upper(), path, param["in"], param["name"], pattern, {}, has)
                    )
            if body is None:
                continue
            schema = resolve(doc, body["schema"])
            for variant in [resolve(doc, s) for s in schema.get("oneOf", [schema])]:
                properties = variant.get("properties", {})
                consts = {
                    k: v["enum"][0] for k, v in properties.items() if len(v.get("enum", ())) == 1
                }
                for name, prop in properties.items():
                    if pattern := pattern_of(doc, prop):
                        out.append(Field(method.upper(), path, "body", name, pattern, consts, has))
    return out


DOCUMENT = TestClient(app()).get("/openapi.json").json()
FIELDS = fields(DOCUMENT)


def python_pattern(pattern: str) -> str:
    """The document's pattern as Python reads JSON Schema's: `$` is the end of the string."""
    assert pattern.endswith("$"), pattern
    return pattern[:-1] + r"\Z"


@pytest.fixture(scope="module")
def admin() -> Any:
    with TestClient(app()) as client:
        log_in(client)
        yield client


def log_in(client: TestClient) -> None:
    """As the admin, afresh (an operation such as logout revokes the token it was sent)."""
    login = {"username": "admin", "password": ADMIN}
    token = client.post("/api/auth/login", json=login).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"


def test_the_document_has_the_pattern_fields_of_the_issue() -> None:
    names = {(f.path, f.name) for f in FIELDS}
    assert {("/api/currency/convert", "amount"), ("/api/currency/convert", "from")} <= names
    assert ("/api/notifications", "target") in names
    assert len(FIELDS) >= 12


def send(client: TestClient, field: Field, value: str) -> Any:
    path = field.path
    query = None
    body: dict[str, Any] | None = {} if field.has_body else None
    if field.where == "path":
        path = path.replace("{" + field.name + "}", urllib.parse.quote(value, safe=""))
    elif field.where == "query":
        query = {field.name: value}
    else:
        body = {**field.consts, field.name: value}
    path = re.sub(r"\{[^}]+\}", "x", path)
    return client.request(field.method, path, params=query, json=body)


@pytest.mark.parametrize("field", FIELDS, ids=str)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_value_with_a_newline_after_it_is_refused_naming_the_field(
    admin: TestClient, field: Field, data: st.DataObject
) -> None:
    valid = data.draw(st.from_regex(python_pattern(field.pattern), fullmatch=True))
    response = send(admin, field, valid + "\n")
    assert response.status_code == 422, (str(field), valid, response.text)
    assert field.name in {e["field"] for e in response.json()["errors"]}, response.text


def answers_oauth_errors(op: dict[str, Any]) -> bool:
    """The OAuth endpoints answer a body of another type as RFC 6749 §5.2 `invalid_request`
    (400, the format their clients parse; tests/e2e/test_oauth_http.py), not as a 415. (An
    operation that also takes a client's credentials documents both kinds at 400.)"""
    return "application/problem+json" not in op["responses"].get("400", {}).get("content", {})


BODIES = [
    (method.upper(), path, tuple(op["requestBody"]["content"]), op["requestBody"]["required"])
    for path, methods in DOCUMENT["paths"].items()
    for method, op in methods.items()
    if "requestBody" in op and not answers_oauth_errors(op)
]
OTHER_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/xml",
    None,
]


@pytest.mark.parametrize(("method", "path", "declared", "required"), BODIES, ids=str)
def test_a_body_sent_as_a_type_the_operation_does_not_declare_is_a_415(
    admin: TestClient, method: str, path: str, declared: tuple[str, ...], required: bool
) -> None:
    log_in(admin)
    target = re.sub(r"\{[^}]+\}", "x", path)
    for media in OTHER_TYPES:
        if media is not None and media.split(";")[0] in declared:
            continue
        headers = {} if media is None else {"Content-Type": media}
        response = admin.request(method, target, content=b'{"a": 1}', headers=headers)
        assert response.status_code == 415, (method, path, media, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/unsupported-media-type")
        assert " or ".join(declared) in response.json()["detail"]
    for media in declared:
        response = admin.request(
            method, target, content=b"{}", headers={"Content-Type": f"{media}; charset=utf-8"}
        )
        assert response.status_code != 415, (method, path, media, response.text)
    if not required:
        assert admin.request(method, target).status_code != 415
