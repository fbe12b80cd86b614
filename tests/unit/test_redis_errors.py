"""What an error from redis-py means for the link, read from the errors redis-py itself
makes of server replies (its parser), alone and rewritten by a pipeline."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis._parsers.base import BaseParser
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, ResponseError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.failover.redis_errors import (
    UNAVAILABLE_REPLIES,
    RedisCommandError,
    RedisUnavailableError,
    command_of,
    is_outage,
    stops_replay,
)
from adapters.redis.client import FAILED_COMMAND

CODES = st.from_regex(r"[A-Z]{2,12}", fullmatch=True)


def pipelined(error: ResponseError, command: str, asyncio_style: bool) -> ResponseError:
    """The error as redis-py's pipelines rewrite it (the asyncio one quotes the args)."""
    caused = error.args if asyncio_style else error.args[0]
    error.args = (f"Command # 2 ({command} key 1.0 member) of pipeline caused error: {caused}",)
    return error


@pytest.mark.parametrize("code", sorted(UNAVAILABLE_REPLIES))
@pytest.mark.parametrize("in_pipeline", [None, False, True])
def test_replies_that_mean_the_server_cannot_serve_are_outages(
    code: str, in_pipeline: bool | None
) -> None:
    error = BaseParser.parse_error(f"{code} the server cannot serve now")
    if in_pipeline is not None:
        error = pipelined(error, "ZADD", in_pipeline)
    assert is_outage(error)
    assert stops_replay(error)


@given(CODES.filter(lambda c: c not in UNAVAILABLE_REPLIES), st.booleans())
def test_every_other_error_reply_is_a_data_error(code: str, asyncio_style: bool) -> None:
    error = BaseParser.parse_error(f"{code} something about the command")
    assert not is_outage(error)
    assert not is_outage(pipelined(error, "ZADD", asyncio_style))
    assert not stops_replay(error)


@pytest.mark.parametrize(
    "error",
    [RedisConnectionError("refused"), RedisTimeoutError("timed out"), OSError("reset")],
)
def test_a_connection_that_fails_is_an_outage(error: BaseException) -> None:
    assert is_outage(error)


@pytest.mark.parametrize("error", [DataError("bad"), WatchError("changed")])
def test_errors_the_client_raises_about_the_command_are_not_outages(error: Exception) -> None:
    assert not is_outage(error)


def test_an_unavailable_link_stops_a_replay_and_a_refused_command_does_not() -> None:
    assert stops_replay(RedisUnavailableError("breaker open"))
    assert not stops_replay(RedisCommandError("INCRBY"))


def test_the_command_is_read_from_the_name_the_client_gave_it() -> None:
    error = BaseParser.parse_error("WRONGTYPE Operation against a key holding the wrong kind")
    assert command_of(error) == "unknown"
    setattr(error, FAILED_COMMAND, "INCRBY")
    assert command_of(error) == "INCRBY"


@pytest.mark.parametrize("asyncio_style", [False, True])
def test_a_pipelined_command_is_named_without_its_arguments(asyncio_style: bool) -> None:
    error = BaseParser.parse_error("WRONGTYPE Operation against a key holding the wrong kind")
    error = pipelined(error, "zadd", asyncio_style)
    assert command_of(error) == "ZADD"
    assert "member" not in str(RedisCommandError(command_of(error)))
