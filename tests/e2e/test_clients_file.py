"""BALLAST_CLIENTS_FILE with secrets hashed by `ballast hash-client-secret`: the clients it
defines get tokens, are not changed through the API (409), and one it no longer lists is
removed with its tokens; and what the file may hold."""

import json
import subprocess
from pathlib import Path

import pytest

from entrypoints.settings import ConfigError, Settings
from tests.support.clients import bearer
from tests.support.oauth import admin_token, grant, oauth_app
from tests.support.servers import BALLAST, clean_env


def hash_secret(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BALLAST, "hash-client-secret", *args],
        input=stdin,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def clients_file(tmp_path: Path, *entries: dict[str, object]) -> str:
    path = tmp_path / "clients.json"
    path.write_text(json.dumps({"clients": list(entries)}))
    return str(path)


def test_a_configured_client_gets_tokens_and_is_not_changed_through_the_api(
    tmp_path: Path,
) -> None:
    made = hash_secret("--generate")
    secret, hashed = made.stdout.split()
    again = hash_secret(stdin=secret + "\n")
    path = clients_file(
        tmp_path,
        {
            "client_id": "billing",
            "name": "Billing",
            "client_secret_hash": hashed,
            "scopes": ["users:read"],
        },
    )
    settings = Settings.from_env({"BALLAST_CLIENTS_FILE": path})
    with oauth_app(clients=settings.clients) as client:
        token = grant(client, {"client_id": "billing", "client_secret": secret})
        admin = admin_token(client)
        patched = client.patch(
            "/api/clients/billing", json={"disabled": True}, headers=bearer(admin)
        )
        deleted = client.delete("/api/clients/billing", headers=bearer(admin))
        listed = client.get("/api/clients", headers=bearer(admin)).json()["items"]

    assert made.returncode == again.returncode == 0
    assert again.stdout.startswith("hmac-sha256$") and again.stdout.strip() != hashed
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "users:read"
    assert (patched.status_code, deleted.status_code) == (409, 409)
    assert [(c["client_id"], c["source"]) for c in listed] == [("billing", "file")]


def test_a_client_secret_too_short_to_be_random_is_refused() -> None:
    refused = hash_secret(stdin="short\n")

    assert refused.returncode == 2
    assert "at least 32" in refused.stderr


@pytest.mark.parametrize(
    ("entry", "word"),
    [
        ({"client_id": "a b", "name": "x", "client_secret_hash": "h"}, "client_id"),
        ({"client_id": "a", "name": "x", "client_secret_hash": "scrypt$1"}, "client_secret_hash"),
        (
            {"client_id": "a", "name": "x", "client_secret_hash": "h", "scopes": ["nope"]},
            "client_secret_hash",
        ),
    ],
)
def test_a_bad_clients_file_is_one_line_naming_the_variable(
    tmp_path: Path, entry: dict[str, object], word: str
) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"BALLAST_CLIENTS_FILE": clients_file(tmp_path, entry)})

    assert error.value.variable == "BALLAST_CLIENTS_FILE"
    assert word in str(error.value) and "\n" not in str(error.value)


def test_an_unknown_scope_in_the_file_is_refused_naming_it(tmp_path: Path) -> None:
    hashed = hash_secret("--generate").stdout.split()[1]
    entry = {"client_id": "a", "name": "x", "client_secret_hash": hashed, "scopes": ["nope"]}
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"BALLAST_CLIENTS_FILE": clients_file(tmp_path, entry)})

    assert "nope" in str(error.value)


def test_production_needs_an_https_issuer_when_clients_are_defined(tmp_path: Path) -> None:
    hashed = hash_secret("--generate").stdout.split()[1]
    entry = {"client_id": "a", "name": "x", "client_secret_hash": hashed}
    env = {
        "BALLAST_ENV": "production",
        "BALLAST_ADMIN_PASSWORD": "Ballast-production-Pw-7x!q",
        "BALLAST_JWT_SECRET": "kY8#p2Lq9v!Xz4Rt7Wm1Nc5Hd3Gj6Ps0Ue2Ab8Cf",
        "BALLAST_METRICS_TOKEN": "a-metrics-token-of-some-length",
        "BALLAST_CLIENTS_FILE": clients_file(tmp_path, entry),
    }
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    accepted = Settings.from_env({**env, "BALLAST_JWT_ISSUER": "https://auth.example.com"})

    assert error.value.variable == "BALLAST_JWT_ISSUER"
    assert len(accepted.clients) == 1
