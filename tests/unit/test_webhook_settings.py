"""Webhook signing secrets and the notifications' maximum age, read from the environment."""

import argparse
import base64
import secrets

import pytest

from entrypoints.cli_tools import webhook_secret
from entrypoints.settings import ConfigError, Settings


def secret(size: int = 32) -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(size)).decode()


def test_secrets_are_read_space_separated_for_rotation() -> None:
    old, new = secret(), secret()

    settings = Settings.from_env({"BALLAST_WEBHOOK_SECRET": f"{old}  {new}"})

    assert settings.webhook_secrets == (old, new)
    assert old not in repr(settings)


def test_no_secret_means_unsigned_webhooks_outside_production() -> None:
    settings = Settings.from_env({"BALLAST_WEBHOOK_ALLOWED_HOSTS": "hooks.example.com"})

    assert settings.webhook_secrets == ()


@pytest.mark.parametrize(
    "value",
    [
        "s3cr3t",
        "whsec_",
        "whsec_not*base64",
        secret(8),
        secret(100),
        secret().removeprefix("whsec_"),
    ],
)
def test_a_malformed_secret_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"BALLAST_WEBHOOK_SECRET": f"{secret()} {value}"})

    assert raised.value.variable == "BALLAST_WEBHOOK_SECRET"
    assert "secret 2" in str(raised.value)
    assert len(value) < 8 or value not in str(raised.value)


def test_production_with_webhook_hosts_needs_a_signing_secret() -> None:
    env = {
        "BALLAST_ENV": "production",
        "BALLAST_JWT_SECRET": secrets.token_urlsafe(48),
        "BALLAST_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "BALLAST_WEBHOOK_ALLOWED_HOSTS": "hooks.example.com",
    }
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == "BALLAST_WEBHOOK_SECRET"

    signed = Settings.from_env({**env, "BALLAST_WEBHOOK_SECRET": secret()})
    assert len(signed.webhook_secrets) == 1


def test_the_maximum_age_defaults_to_a_day_and_is_read() -> None:
    assert Settings.from_env({}).notification_max_age == 86_400
    assert Settings.from_env({"BALLAST_NOTIFICATION_MAX_AGE": "600"}).notification_max_age == 600
    with pytest.raises(ConfigError, match="BALLAST_NOTIFICATION_MAX_AGE"):
        Settings.from_env({"BALLAST_NOTIFICATION_MAX_AGE": "5"})


def test_the_cli_makes_a_secret_the_settings_accept(capsys: pytest.CaptureFixture[str]) -> None:
    assert webhook_secret(argparse.Namespace()) == 0
    made = capsys.readouterr().out.strip()

    assert Settings.from_env({"BALLAST_WEBHOOK_SECRET": made}).webhook_secrets == (made,)


def test_each_webhook_attempt_has_a_deadline_of_ten_seconds_unless_set() -> None:
    assert Settings.from_env({}).webhook_deadline == 10.0
    assert Settings.from_env({"BALLAST_WEBHOOK_TIMEOUT": "2.5"}).webhook_deadline == 2.5


@pytest.mark.parametrize("value", ["0", "-1", "61", "soon"])
def test_a_webhook_deadline_outside_a_minute_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"BALLAST_WEBHOOK_TIMEOUT": value})
    assert raised.value.variable == "BALLAST_WEBHOOK_TIMEOUT"


def test_allowed_hosts_may_name_a_port() -> None:
    settings = Settings.from_env({"BALLAST_WEBHOOK_ALLOWED_HOSTS": "Hooks.example.com:8443 [::1]"})
    assert settings.webhook_allowed_hosts == ("hooks.example.com:8443", "[::1]")


@pytest.mark.parametrize("value", ["hooks.example.com:99999", "hooks.example.com:", "[::1"])
def test_a_malformed_allowed_host_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"BALLAST_WEBHOOK_ALLOWED_HOSTS": value})
    assert raised.value.variable == "BALLAST_WEBHOOK_ALLOWED_HOSTS"
    assert "\n" not in str(raised.value)
