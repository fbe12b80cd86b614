"""The client's address: the socket peer, or what a trusted proxy says in X-Forwarded-For.

A peer that is not a configured trusted proxy cannot choose its address: its
X-Forwarded-For is ignored, so a spoofed header buys no fresh rate limit.
"""

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# The longest address in text (`ffff:...:255.255.255.255`). An IPv6 hop may also carry a
# zone (`fe80::1%eth0`) of any length: a longer hop is garbage, so that the address, a key
# of the rate limits and of caches, has a size no header can move.
MAX_ADDRESS = 45


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (`10.0.0.0/8`, `::1`)."""
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def resolve_client(peer: str, forwarded_for: str | None, networks: tuple[Network, ...]) -> str:
    """Walks X-Forwarded-For from the right (the hop nearest to us) past trusted proxies;
    the first address not trusted is the client."""
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    client = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if len(hop) > MAX_ADDRESS:
            return client
        try:
            client = str(ipaddress.ip_address(hop))
        except ValueError:
            return client  # garbage from beyond our proxies: stop at the last good hop
        if not _trusted(client, networks):
            return client
    return client


def scope_client(scope: Scope, networks: tuple[Network, ...]) -> str:
    """The client's address of the request state (request_state.py), which every reader of
    the client's address uses."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not networks:
        return peer
    forwarded = None
    for name, value in scope["headers"]:
        if name == b"x-forwarded-for":
            # Several headers are one list, in order.
            text = value.decode("latin-1")
            forwarded = text if forwarded is None else f"{forwarded},{text}"
    return resolve_client(peer, forwarded, networks)
