"""Production's start checks on secrets: a guessable secret or admin password is refused
whatever pattern makes it guessable, a random one is accepted, and a private key file other
users can read is refused."""

import base64
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.jwt_keys import Algorithm, generate_pem
from entrypoints.config_checks import MIN_PRODUCTION_SECRET, weak_password, weak_secret
from entrypoints.secret_strength import MAX_CHARACTERS, entropy_bits, tokens
from entrypoints.settings import ConfigError, Settings

PRINTABLE = string.ascii_letters + string.digits + string.punctuation


def sequence(start: int, length: int, step: int) -> str:
    return "".join(chr(start + step * i) for i in range(length))


# At most three pieces of at most three free characters: a secret made of patterns holds that
# little randomness (18 free printable characters would be a strong secret, not a weak one).
units = st.text(alphabet=PRINTABLE, min_size=1, max_size=3)
# Runs of one character, sequences up or down, and short units repeated: each a piece a
# guesser enumerates at once, however long it is.
pieces = st.one_of(
    st.builds(lambda c, n: c * n, st.sampled_from(PRINTABLE), st.integers(3, 40)),
    st.builds(
        sequence,
        st.integers(ord("0"), ord("Z")),
        st.integers(3, 30),
        st.sampled_from([1, -1]),
    ).filter(lambda s: all(" " < c <= "~" for c in s)),
    st.builds(lambda u, n: u * n, units, st.integers(3, 12)),
)


@st.composite
def weak_secrets(draw: st.DrawFn) -> str:
    """A few patterns, concatenated, then the whole repeated to production length."""
    body = "".join(draw(st.lists(pieces, min_size=1, max_size=3)))
    while len(body.encode()) < MIN_PRODUCTION_SECRET:
        body += body
    return body


@given(weak_secrets())
def test_production_refuses_every_secret_made_of_runs_sequences_and_repeats(secret: str) -> None:
    problem = weak_secret(secret)
    assert problem is not None
    assert secret not in problem


# Random bytes as a generator makes them (hypothesis shrinks its own towards zeros).
random_bytes = st.builds(
    lambda r, n: r.randbytes(n), st.randoms(use_true_random=True), st.integers(24, 64)
)


@given(random_bytes, st.sampled_from(["b64", "hex"]))
def test_a_random_secret_of_production_length_is_accepted(raw: bytes, form: str) -> None:
    secret = base64.urlsafe_b64encode(raw).decode() if form == "b64" else raw.hex()
    assert weak_secret(secret) is None, (secret, entropy_bits(secret))


@given(st.sampled_from(PRINTABLE), st.integers(12, 256))
def test_production_refuses_an_admin_password_of_one_repeated_character(
    character: str, length: int
) -> None:
    password = character * length
    assert weak_password(password) is not None
    with pytest.raises(ConfigError) as error:
        Settings.from_env(
            {
                "BALLAST_ENV": "production",
                "BALLAST_JWT_SECRET": "q7Vf2LxN9sKd4WmZ8cRj1TgY6hBp3EuA",
                "BALLAST_ADMIN_PASSWORD": password,
            }
        )
    assert error.value.variable == "BALLAST_ADMIN_PASSWORD"


def test_the_reported_secret_and_passwords_of_the_docs() -> None:
    assert weak_secret("0123456789abcdef0123456789abcdef") is not None
    assert weak_password("admin-password-long") is None
    assert weak_password("correct horse battery") is None


def test_the_estimate_reads_a_bounded_prefix() -> None:
    assert tokens("ab" * 100_000) <= MAX_CHARACTERS


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o620])
def test_production_refuses_a_private_key_file_other_users_can_read(
    tmp_path: Path, mode: int
) -> None:
    path = tmp_path / "key.pem"
    path.write_text(generate_pem(Algorithm.EDDSA))
    path.chmod(mode)
    env = {
        "BALLAST_ENV": "production",
        "BALLAST_ADMIN_PASSWORD": "a-long-admin-password",
        "BALLAST_JWT_ALGORITHM": "EdDSA",
        "BALLAST_JWT_PRIVATE_KEY_FILE": str(path),
    }
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert error.value.variable == "BALLAST_JWT_PRIVATE_KEY_FILE"
    assert "chmod 600" in str(error.value)
    path.chmod(0o640)
    assert Settings.from_env(env).jwt_private_key is not None
    assert Settings.from_env({**env, "BALLAST_ENV": "development"}).jwt_private_key is not None
