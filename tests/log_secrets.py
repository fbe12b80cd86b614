"""Secrets the test servers' URLs carry (a feed's user, password and API key, a webhook's
token), as real ones do, so that every test serving them also proves no log line shows them:
the e2e suites' log handler fails a test whose lines hold any of these."""

LOG_SECRETS = ("feed-user-S3cr", "feed-pass-S3cr", "app-id-S3cr", "hook-token-S3cr")


def with_credentials(url: str) -> str:
    """`url` with a user, a password and an API key, as a paid feed's URL is."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{LOG_SECRETS[0]}:{LOG_SECRETS[1]}@{rest}?app_id={LOG_SECRETS[2]}"


def with_token(url: str) -> str:
    """`url` with a token in its query, as many webhook receivers want."""
    return f"{url}?token={LOG_SECRETS[3]}"


def leaked(line: str) -> list[str]:
    return [secret for secret in LOG_SECRETS if secret in line]
