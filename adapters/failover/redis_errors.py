"""What an error from redis-py means for the link: an outage (the breaker counts it, the
request falls back) or a command Redis refused for its data (a bug: a 500, never an outage).
Read from redis-py's exception types and their `status_code` wherever redis-py gives one."""

import re

from redis.exceptions import (
    ClusterDownError,
    DataError,
    PubSubError,
    ReadOnlyError,
    RedisClusterException,
    RedisError,
    ResponseError,
    SlotNotCoveredError,
    TryAgainError,
    WatchError,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.redis.client import FAILED_COMMAND

# Everything a call through redis-py can raise that is about Redis (not a bug of the caller).
LINK_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    OSError,
    TimeoutError,
    RedisClusterException,
)
TIMEOUTS = (TimeoutError, RedisTimeoutError)
# redis-py's own classes for replies that mean "this server cannot serve now" (LOADING is a
# BusyLoadingError, a ConnectionError; MASTERDOWN a ClusterDownError).
UNAVAILABLE_TYPES = (ReadOnlyError, ClusterDownError, TryAgainError, SlotNotCoveredError)
# The same replies by their code: BUSY (a script running too long) has no class of its own.
UNAVAILABLE_REPLIES = frozenset(
    {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "TRYAGAIN"}
)
# A pipelined command's error is the only one redis-py rewrites: "Command # 2 (ZADD key ...)
# of pipeline caused error: ('BUSY ...',)". Its command and reply are read from that text.
_PIPELINE_ERROR = re.compile(r"Command # \d+ \((\S+).*caused error: \(?['\"]?(\S+)", re.DOTALL)


class RedisUnavailableError(Exception):
    """The call did not reach Redis (breaker open, refused, timed out, reset, budget spent)."""


class RedisCommandError(Exception):
    """Redis refused a command because of its data: a bug in the request or in Ballast.
    A 500 for that one request, never an outage (the breaker does not count it)."""

    def __init__(self, command: str) -> None:
        super().__init__(f"redis rejected a {command} command")
        self.command = command


# What the flush at stop may meet: Redis unreachable, whichever way.
FLUSH_ERRORS: tuple[type[BaseException], ...] = (*LINK_ERRORS, RedisUnavailableError)
# What a recovery step may raise and the recovery handles (an outage, or a data error).
RECOVERY_ERRORS: tuple[type[BaseException], ...] = (*FLUSH_ERRORS, RedisCommandError)


def is_outage(error: BaseException) -> bool:
    """True for an availability failure (refused, reset, timed out, or a reply saying the
    server cannot serve now); False for an error caused by the command or its data."""
    if isinstance(error, UNAVAILABLE_TYPES):
        return True
    if isinstance(error, ResponseError):
        return _reply_code(error) in UNAVAILABLE_REPLIES
    if isinstance(error, DataError | WatchError | PubSubError):
        return False
    return isinstance(error, LINK_ERRORS)


def stops_replay(error: BaseException) -> bool:
    """A replay that meets an outage stops (and is tried again at the next recovery);
    any other failure is about that one entry."""
    return isinstance(error, RedisUnavailableError) or (
        isinstance(error, LINK_ERRORS) and is_outage(error)
    )


def _reply_code(error: ResponseError) -> str:
    if error.status_code:
        return str(error.status_code)
    text = str(error.args[0]) if error.args else ""
    pipelined = _PIPELINE_ERROR.match(text)
    return pipelined[2] if pipelined else text.split(" ", 1)[0]


def command_of(error: BaseException) -> str:
    """The Redis command an error reply answered (never its arguments, which hold user
    data): named by the client (adapters/redis/client.py), or by redis-py's pipeline text."""
    named = getattr(error, FAILED_COMMAND, None)
    if isinstance(named, str) and named:
        return named
    text = str(error.args[0]) if error.args else ""
    pipelined = _PIPELINE_ERROR.match(text)
    return pipelined[1].upper() if pipelined else "unknown"
