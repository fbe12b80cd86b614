"""Where a webhook may go: BALLAST_WEBHOOK_ALLOWED_HOSTS entries (`host` or `host:port`)
and which addresses are private.

Targets are chosen by API callers, so an allowed name is not enough: the name is resolved
once and the request goes to that address, which must be public unless the allow-list
names the address itself (DNS rebinding cannot turn an allowed name into 127.0.0.1).
"""

import ipaddress

import attrs

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def public(address: Address) -> bool:
    """False for every address a caller could use to reach this machine or its network:
    private, loopback, link-local, unspecified, shared (CGNAT), reserved, multicast."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@attrs.frozen
class Entry:
    """One allow-list entry; `port` None allows every port of the host."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> "Entry":
        """`host`, `host:port`, `[v6]` or `[v6]:port`; ValueError with the reason otherwise."""
        text = text.strip().lower()
        if not text or any(c in text for c in "/?#@ "):
            raise ValueError(f"{text!r} is not a host or host:port")
        if text.startswith("["):
            host, bracket, rest = text[1:].partition("]")
            if not bracket or literal(host) is None or (rest and not rest.startswith(":")):
                raise ValueError(f"{text!r} is not an IPv6 address in brackets")
            port_text = rest[1:] if rest else None
        elif literal(text) is not None:  # a bare IPv6 literal: its colons are no port
            host, port_text = text, None
        else:
            host, colon, port_text_found = text.partition(":")
            port_text = port_text_found if colon else None
            if not host:
                raise ValueError(f"{text!r} has no host")
        if port_text is None:
            return cls(host)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{text!r} has no valid port (1-65535)")
        return cls(host, int(port_text))

    def allows(self, host: str, port: int) -> bool:
        return self.host == host and (self.port is None or self.port == port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


@attrs.frozen
class AllowList:
    entries: tuple[Entry, ...]

    @classmethod
    def parse(cls, texts: tuple[str, ...]) -> "AllowList":
        return cls(tuple(Entry.parse(text) for text in texts))

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(entry.host for entry in self.entries))

    def allows(self, host: str, port: int) -> bool:
        """The host is listed, without a port or with this port."""
        return any(entry.allows(host, port) for entry in self.entries)

    def names(self, address: Address, port: int) -> bool:
        """The allow-list names this address as an IP literal (for this port): the
        operator's word that a private address is meant."""
        return any(
            literal(entry.host) == address and entry.allows(entry.host, port)
            for entry in self.entries
        )

    def address_refusal(self, address: Address, port: int) -> str | None:
        """Why the request may not go to `address` (None: it may)."""
        if public(address) or self.names(address, port):
            return None
        return f"address {address} is not public and not in BALLAST_WEBHOOK_ALLOWED_HOSTS"
