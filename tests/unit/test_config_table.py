"""The one table of variables (settings.VARIABLES) drives parsing, the one-line errors, the
configuration table of docs/CONFIGURATION.md, the *_FILE twins of secrets and the
unknown-variable warning."""

from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entrypoints import config_doc
from entrypoints.config_variables import known_names
from entrypoints.settings import ROWS, VARIABLES, ConfigError, RedisSettings, Settings

ROOT = Path(__file__).resolve().parent.parent.parent
SECRETS = [row.name for row in VARIABLES if row.secret]
# A value no parser of a checked variable accepts (free-text variables take anything).
FREE_TEXT = {
    "BALLAST_REDIS_PASSWORD",
    "BALLAST_JWT_SECRET",
    "BALLAST_JWT_PRIVATE_KEY_FILE",
    "BALLAST_JWT_PREVIOUS_KEY_FILES",
    "BALLAST_JWT_AUDIENCE",
    "BALLAST_JWT_ISSUER",
    "BALLAST_USERS_FILE",
    "BALLAST_METRICS_TOKEN",
    "BALLAST_REDIS_CA_FILE",
    "BALLAST_REDIS_CERT_FILE",
    "BALLAST_REDIS_KEY_FILE",
    "BALLAST_WEBHOOK_ALLOWED_HOSTS",
}


def test_the_configuration_page_holds_the_generated_table() -> None:
    page = (ROOT / "docs" / "CONFIGURATION.md").read_text()

    assert config_doc.current(page) == config_doc.block(VARIABLES), (
        "docs/CONFIGURATION.md is stale:"
        " run `.venv/bin/ballast config-table --write docs/CONFIGURATION.md`"
    )


def test_the_readme_links_the_configuration_page_and_holds_no_table_of_its_own() -> None:
    readme = (ROOT / "README.md").read_text()

    assert "(docs/CONFIGURATION.md)" in readme
    assert config_doc.current(readme) is None


def test_every_variable_has_one_row_and_a_line_of_doc() -> None:
    names = [row.name for row in VARIABLES]
    assert len(names) == len(set(names))
    assert all(row.doc.strip() and "\n" not in row.doc for row in VARIABLES)


def test_every_field_a_row_fills_exists_and_defaults_agree_with_the_class() -> None:
    """Settings() (as tests build it) and an empty environment agree on every value the
    table fills, so a default lives in one place in effect."""
    read = Settings.from_env({"BALLAST_ENV": "test", "REDIS_URL": "redis://cache"})
    plain, redis = Settings(), RedisSettings("redis://cache")
    for row in VARIABLES:
        if row.field is None or row.field.startswith("policies."):
            continue
        owner, name = (redis, read.redis) if row.field.startswith("redis.") else (plain, read)
        field = row.field.removeprefix("redis.")
        assert field in attrs.fields_dict(type(owner)), row.name
        if row.name != "BALLAST_ENV":
            assert getattr(owner, field) == getattr(name, field), row.name


@pytest.mark.parametrize("name", [r.name for r in VARIABLES if r.name not in FREE_TEXT])
def test_a_bad_value_of_any_checked_variable_is_one_line_naming_it(name: str) -> None:
    assert name in ROWS
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"REDIS_URL": "redis://cache", name: "~bad~"})

    assert error.value.variable == name
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BALLAST_LOG_LEVEL", "verbose"),
        ("BALLAST_PORT", "70000"),
        ("BALLAST_PORT", "0"),
        ("BALLAST_HOST", "not a host"),
        ("BALLAST_HOST", "-bad-.example"),
        ("BALLAST_CORS_ORIGINS", "https://app.example.com/"),
        ("BALLAST_CORS_ORIGINS", "app.example.com"),
        ("BALLAST_PASSWORD_HASH_MEMORY_KIB", "4194305"),
    ],
)
def test_the_knobs_that_used_to_escape_the_checks_are_refused(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({variable: value})
    assert error.value.variable == variable


def test_log_level_and_cors_origins_are_read() -> None:
    settings = Settings.from_env(
        {
            "BALLAST_LOG_LEVEL": "warning",
            "BALLAST_CORS_ORIGINS": "https://app.example.com, http://localhost:5173",
        }
    )
    assert settings.log_level == "WARNING"
    assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")


@pytest.mark.parametrize("name", SECRETS)
def test_every_secret_is_read_from_its_file_twin_without_the_trailing_newline(
    tmp_path: Path, name: str
) -> None:
    value = {
        "BALLAST_WEBHOOK_SECRET": "whsec_" + "QUJD" * 8,
        "BALLAST_ADMIN_PASSWORD": "from-a-file-password",
    }.get(name, "from-a-file-secret-value")
    path = tmp_path / "secret"
    path.write_text(value + "\n")
    env = {"REDIS_URL": "redis://cache", f"{name}_FILE": str(path)}

    settings = Settings.from_env(env)

    read = {
        "BALLAST_REDIS_PASSWORD": settings.redis.url if settings.redis else "",
        "BALLAST_JWT_SECRET": settings.jwt_secret,
        "BALLAST_ADMIN_PASSWORD": settings.admin_password,
        "BALLAST_METRICS_TOKEN": settings.metrics_token,
        "BALLAST_WEBHOOK_SECRET": " ".join(settings.webhook_secrets),
    }[name]
    assert read is not None
    assert value in read and value + "\n" not in read
    assert value not in repr(settings)


@pytest.mark.parametrize("name", SECRETS)
def test_a_secret_and_its_file_twin_both_set_is_one_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / "secret"
    path.write_text("whatever-secret-value\n")
    with pytest.raises(ConfigError) as error:
        Settings.from_env({name: "another-value", f"{name}_FILE": str(path)})
    assert error.value.variable == name
    assert f"{name}_FILE" in str(error.value)
    assert "another-value" not in str(error.value)


def test_an_unreadable_or_empty_secret_file_names_the_twin(tmp_path: Path) -> None:
    for path in (tmp_path / "missing", tmp_path / "empty"):
        if path.name == "empty":
            path.write_text("\n")
        with pytest.raises(ConfigError) as error:
            Settings.from_env({"BALLAST_JWT_SECRET_FILE": str(path)})
        assert error.value.variable == "BALLAST_JWT_SECRET_FILE"


def test_the_redis_password_goes_into_the_url_percent_encoded(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"REDIS_URL": "redis://ballast@cache:6379/0", "BALLAST_REDIS_PASSWORD": "p@ss:w/rd"}
    )
    assert settings.redis is not None
    assert settings.redis.url == "redis://ballast:p%40ss%3Aw%2Frd@cache:6379/0"
    with pytest.raises(ConfigError) as error:
        Settings.from_env(
            {"REDIS_URL": "redis://u:inline@cache", "BALLAST_REDIS_PASSWORD": "other"}
        )
    assert error.value.variable == "BALLAST_REDIS_PASSWORD"


def test_an_unknown_variable_is_a_warning_naming_the_closest_known_one() -> None:
    settings = Settings.from_env({"BALLAST_PROT": "8000", "BALLAST_ZZZZZZZZZZZZ": "1"})

    assert settings.warnings == (
        "event=unknown_variable variable=BALLAST_PROT closest=BALLAST_PORT",
        "event=unknown_variable variable=BALLAST_ZZZZZZZZZZZZ closest=-",
    )


def test_the_twins_and_every_row_are_known_names() -> None:
    known = known_names(VARIABLES)
    assert "BALLAST_JWT_SECRET_FILE" in known
    assert "BALLAST_REDIS_PASSWORD_FILE" in known
    assert Settings.from_env({name: "" for name in known}).warnings == ()


def test_production_refuses_an_unknown_variable() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"BALLAST_ENV": "production", "BALLAST_JWT_SECRT": "x"})
    assert error.value.variable == "BALLAST_JWT_SECRT"
    assert "BALLAST_JWT_SECRET" in str(error.value)


# Rows whose value names a file: random text would only probe the file system.
READS_FILES = {
    "BALLAST_USERS_FILE",
    "BALLAST_JWT_PRIVATE_KEY_FILE",
    "BALLAST_JWT_PREVIOUS_KEY_FILES",
    "BALLAST_REDIS_CA_FILE",
    "BALLAST_REDIS_CERT_FILE",
    "BALLAST_REDIS_KEY_FILE",
}


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([r.name for r in VARIABLES if r.name not in READS_FILES]),
    st.one_of(st.text(max_size=40), st.from_regex(r"[0-9./a-z:-]{0,20}", fullmatch=True)),
)
def test_any_value_of_any_variable_is_taken_or_refused_in_one_line_naming_it(
    name: str, value: str
) -> None:
    """The class of `BALLAST_LOG_LEVEL=verbose` ending in a traceback: whatever the text,
    reading ends in settings or in one ConfigError naming a variable of the table."""
    env = {"REDIS_URL": "rediss://cache", name: value}
    try:
        Settings.from_env(env)
    except ConfigError as error:
        assert error.variable in known_names(VARIABLES)
        assert "\n" not in str(error)
