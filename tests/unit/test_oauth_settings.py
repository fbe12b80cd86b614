"""The OAuth variables: the operator's scopes, client token lifetime, secret overlap, public URL,
and the https URL issuer production needs to serve clients."""

import pytest

from entrypoints.config_checks import clients_refusal
from entrypoints.settings import ConfigError, Settings


def test_the_oauth_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "BALLAST_OAUTH_SCOPES": "orders:write, orders:read orders:write",
            "BALLAST_CLIENT_TOKEN_TTL": "600",
            "BALLAST_CLIENT_SECRET_OVERLAP": "0",
            "BALLAST_PUBLIC_URL": "https://auth.example.com/",
        }
    )

    assert settings.oauth_scopes == ("orders:write", "orders:read")
    assert (settings.client_token_ttl, settings.client_secret_overlap) == (600, 0)
    assert settings.public_url == "https://auth.example.com"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BALLAST_OAUTH_SCOPES", "users:read"),  # one of Ballast's own
        ("BALLAST_OAUTH_SCOPES", 'orders"write'),
        ("BALLAST_OAUTH_SCOPES", "x" * 65),
        ("BALLAST_CLIENT_TOKEN_TTL", "0"),
        ("BALLAST_PUBLIC_URL", "ftp://auth.example.com"),
        ("BALLAST_PUBLIC_URL", "https://auth.example.com/?a=b"),
    ],
)
def test_a_bad_oauth_value_is_refused_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({variable: value})

    assert error.value.variable == variable


@pytest.mark.parametrize(
    ("issuer", "production", "refused"),
    [
        ("ballast", True, True),
        ("http://auth.example.com", True, True),
        ("https://", True, True),  # no host
        ("https://auth.example.com", True, False),
        ("ballast", False, False),
    ],
)
def test_production_serves_clients_only_with_an_https_url_issuer(
    issuer: str, production: bool, refused: bool
) -> None:
    reason = clients_refusal(issuer, production)

    assert (reason is not None) == refused
    assert reason is None or "BALLAST_JWT_ISSUER" in reason
