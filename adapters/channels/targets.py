"""The origin of a webhook URL: what the allow-list and the redirect rule compare."""

from urllib.parse import urlsplit

import attrs

from domain.webhook_targets import Address, literal

DEFAULT_PORTS = {"http": 80, "https": 443}


@attrs.frozen
class Origin:
    """Scheme, lower-case host (an IPv6 literal without brackets) and port, the default one
    filled in: two URLs on the same origin compare equal."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> "Origin | None":
        """None for anything but an http(s) URL with a host and a valid port."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        return cls(scheme, parts.hostname.lower(), DEFAULT_PORTS[scheme] if port is None else port)

    @property
    def address(self) -> Address | None:
        """The host as an IP address when it is a literal."""
        return literal(self.host)
