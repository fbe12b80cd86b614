"""The client's address: the socket peer, or what a trusted proxy says in X-Forwarded-For.

A peer that is not a configured trusted proxy cannot choose its address: its
X-Forwarded-For is ignored, so a spoofed header buys no fresh rate limit.

Behind a proxy this runs for every request: addresses are read by the C library
(inet_pton, inet_ntop), each once. ipaddress, which reads them in Python, took about a
third of the work of a small request for its three readings per request.
"""

import ipaddress
import socket
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (`10.0.0.0/8`, `::1`)."""
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def address(text: str) -> tuple[str, bytes] | None:
    """An address in its one spelling (`2001:DB8:0::7` is `2001:db8::7`) and its bytes, or
    None for anything else. Strict: four decimal octets without leading zeros, or IPv6
    without a zone (`fe80::1%eth0`, whose zone may be of any length); so at most 45
    characters, the size of a key of the rate limits and caches whatever a header holds."""
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    try:
        packed = socket.inet_pton(family, text)
    except (OSError, ValueError):  # ValueError: a NUL inside
        return None
    return socket.inet_ntop(family, packed), packed


class TrustedProxies:
    """The proxies whose X-Forwarded-For is believed (none: nobody's is): single addresses
    looked up by their bytes, blocks matched as integers."""

    __slots__ = ("blocks", "hosts", "networks")

    def __init__(self, networks: tuple[Network, ...] = ()) -> None:
        self.networks = networks
        self.hosts = frozenset(n.network_address.packed for n in networks if n.num_addresses == 1)
        self.blocks = tuple(
            (n.max_prefixlen // 8, int(n.network_address), int(n.netmask))
            for n in networks
            if n.num_addresses > 1
        )

    def _trust(self, packed: bytes) -> bool:
        if packed in self.hosts:
            return True
        value = int.from_bytes(packed)
        return any(size == len(packed) and value & mask == net for size, net, mask in self.blocks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """Walks X-Forwarded-For (several headers joined by commas, in order) from the right
        (the hop nearest to us) past trusted proxies; the first address not trusted is the
        client."""
        if not forwarded_for or not self.networks:
            return peer
        read = address(peer)
        if read is None or not self._trust(read[1]):
            return peer
        client = peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            read = address(hop)
            if read is None:
                return client  # garbage from beyond our proxies: stop at the last good hop
            client = read[0]
            if not self._trust(read[1]):
                return client
        return client
