"""REDIS_URL, read into what a client needs: the topology, its nodes and the credentials.

Accepted forms:

    redis://[user:password@]host[:port][/db]          one server (rediss:// for TLS)
    unix://[user:password@]/path/to/socket[?db=N]
    redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]
    redis+cluster://[user:password@]host:port[,host:port...]   (rediss+... for TLS)

An error says what is wrong without repeating the URL: a URL can hold a password, and the
error ends up in a terminal or a log.
"""

import enum
from urllib.parse import SplitResult, unquote, urlsplit

import attrs

SCHEMES = (
    "redis",
    "rediss",
    "unix",
    "redis+sentinel",
    "rediss+sentinel",
    "redis+cluster",
    "rediss+cluster",
)
DEFAULT_PORTS = {"single": 6379, "sentinel": 26379, "cluster": 6379}


class Topology(enum.StrEnum):
    SINGLE = "single"
    SENTINEL = "sentinel"
    CLUSTER = "cluster"


class RedisUrlError(ValueError):
    """What is wrong with the URL, in words that never include its password."""


@attrs.frozen
class RedisTarget:
    """Where Redis is: one server, the sentinels of a service, or the seeds of a cluster."""

    topology: Topology
    nodes: tuple[tuple[str, int], ...]
    tls: bool = False
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    db: int = 0
    service: str | None = None
    socket_path: str | None = None


def parse_redis_url(url: str) -> RedisTarget:
    scheme, sep, _ = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in SCHEMES:
        raise RedisUrlError(f"the scheme must be one of {', '.join(s + '://' for s in SCHEMES)}")
    base, _, kind = scheme.partition("+")
    tls = base == "rediss"
    if kind == "sentinel":
        return _multi_host(url, Topology.SENTINEL, tls)
    if kind == "cluster":
        return _multi_host(url, Topology.CLUSTER, tls)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise RedisUrlError("it is not a valid URL") from None
    username, password = _credentials(parts.netloc)
    if scheme == "unix":
        if not parts.path:
            raise RedisUrlError("a unix:// URL needs the socket path, like unix:///run/redis.sock")
        db = _query_db(parts)
        return RedisTarget(Topology.SINGLE, (), False, username, password, db, None, parts.path)
    hostport = parts.netloc.rpartition("@")[2]
    if not hostport:
        raise RedisUrlError(f"a {scheme}:// URL needs a host, like {scheme}://host:6379/0")
    node = _node(hostport, DEFAULT_PORTS["single"], "the host")
    db = _path_db(parts.path, "the path") if parts.path.strip("/") else _query_db(parts)
    return RedisTarget(Topology.SINGLE, (node,), tls, username, password, db)


def _multi_host(url: str, topology: Topology, tls: bool) -> RedisTarget:
    rest = url.partition("://")[2]
    netloc, slash, path = rest.partition("/")
    if "?" in path or "?" in netloc or "#" in rest:
        raise RedisUrlError(f"a {topology} URL takes no query or fragment")
    username, password = _credentials(netloc)
    hostlist = netloc.rpartition("@")[2]
    entries = hostlist.split(",")
    if not hostlist or any(not e for e in entries):
        raise RedisUrlError(f"a {topology} URL needs host:port entries separated by commas")
    nodes = tuple(
        _node(e, DEFAULT_PORTS[topology], f"host entry {i} of {len(entries)}")
        for i, e in enumerate(entries, 1)
    )
    segments = path.split("/") if slash else []
    if topology is Topology.CLUSTER:
        if any(segments) and segments != ["0"]:
            raise RedisUrlError("a cluster URL has no service or database (a cluster has db 0)")
        return RedisTarget(topology, nodes, tls, username, password)
    if not segments or not segments[0]:
        raise RedisUrlError(
            "a sentinel URL needs the service name after the hosts, like "
            "redis+sentinel://host:26379,host:26380/mymaster"
        )
    service = unquote(segments[0])
    if len(segments) > 2 or (len(segments) == 2 and segments[1] == ""):
        raise RedisUrlError("after the service name a sentinel URL takes only /db")
    db = _path_db("/" + segments[1], "the db after the service name") if len(segments) == 2 else 0
    return RedisTarget(topology, nodes, tls, username, password, db, service)


def _credentials(netloc: str) -> tuple[str | None, str | None]:
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        return None, None
    user, colon, password = userinfo.partition(":")
    return (unquote(user) or None), (unquote(password) if colon else None)


def _node(entry: str, default_port: int, what: str) -> tuple[str, int]:
    if entry.startswith("["):
        host, bracket, after = entry[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise RedisUrlError(f"{what} is not a valid [IPv6]:port")
        port_text = after[1:] if after else ""
    else:
        host, _, port_text = entry.partition(":")
        if ":" in port_text:
            raise RedisUrlError(f"{what} is not host:port (write an IPv6 address in brackets)")
    if not host:
        raise RedisUrlError(f"{what} has no host name")
    if not port_text:
        return host, default_port
    if not _digits(port_text) or not 0 < int(port_text) < 65536:
        raise RedisUrlError(f"{what} has a port that is not a number from 1 to 65535")
    return host, int(port_text)


def _path_db(path: str, what: str) -> int:
    text = path.strip("/")
    if not _digits(text):
        raise RedisUrlError(f"{what} must be a database number (0, 1, ...)")
    return int(text)


def _query_db(parts: SplitResult) -> int:
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if name == "db":
            return _path_db(value, "the db parameter")
    return 0


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()
