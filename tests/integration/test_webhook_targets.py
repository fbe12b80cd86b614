"""Where a webhook may go, generated over hosts, ports and schemes: the allow-list (`host`
any port, `host:port` that port only), redirects (same scheme, host and port only, against a
live receiver), and addresses (a name is resolved once; a private address needs the
allow-list's word)."""

import ipaddress
import re
import ssl
from collections.abc import Iterator

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.channels.webhook import WebhookChannel
from domain.errors import DeliveryError
from domain.webhook_targets import Address, AllowList, Entry
from entrypoints.api.notification_shapes import webhook_url
from tests.fakes import START
from tests.redis_server import Certificates
from tests.support.notifications import notification
from tests.webhook_server import Reply, WebhookServer, webhook_server

pytestmark = pytest.mark.anyio

HOSTS = ["hooks.example.com", "other.example.com", "127.0.0.1", "::1"]
PORTS = [None, 80, 443, 8080, 9000]
DEFAULT = {"http": 80, "https": 443}
LIVE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def entry_text(host: str, port: int | None) -> str:
    return bracketed(host) if port is None else f"{bracketed(host)}:{port}"


def url(scheme: str, host: str, port: int | None, path: str = "/hook") -> str:
    authority = bracketed(host) if port is None else f"{bracketed(host)}:{port}"
    return f"{scheme}://{authority}{path}"


ENTRIES = st.lists(st.tuples(st.sampled_from(HOSTS), st.sampled_from(PORTS)), min_size=1)
TARGETS = st.tuples(
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from([*HOSTS, "HOOKS.example.COM"]),
    st.sampled_from(PORTS),
)


@settings(max_examples=200)
@given(entries=ENTRIES, target=TARGETS)
def test_the_allow_list_allows_a_listed_host_on_any_port_or_on_its_port_only(
    entries: list[tuple[str, int | None]], target: tuple[str, str, int | None]
) -> None:
    texts = tuple(entry_text(h, p) for h, p in entries)
    scheme, host, port = target
    effective = DEFAULT[scheme.lower()] if port is None else port
    expected = any(h == host.lower() and p in (None, effective) for h, p in entries)
    address = url(scheme, host, port)

    assert (WebhookChannel(texts).refusal(address) is None) is expected
    # The OpenAPI document never refuses what the server accepts, and names every other port.
    pattern = re.compile(msgspec.json.schema(webhook_url(texts))["pattern"])
    if expected:
        assert pattern.search(address)
    elif port is not None and port != DEFAULT[scheme.lower()]:
        assert not pattern.search(address)


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("Hooks.Example.com", Entry("hooks.example.com")),
        ("hooks.example.com:8443", Entry("hooks.example.com", 8443)),
        ("10.0.0.7", Entry("10.0.0.7")),
        ("::1", Entry("::1")),
        ("[::1]", Entry("::1")),
        ("[::1]:9000", Entry("::1", 9000)),
    ],
)
def test_an_entry_is_a_host_with_an_optional_port(text: str, entry: Entry) -> None:
    assert Entry.parse(text) == entry


@pytest.mark.parametrize(
    "text", ["h:0", "h:65536", "h:", "h:x", ":80", "[::1", "[::1]80", "[h]:1", "h/x", "u@h"]
)
def test_a_malformed_entry_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not|has no"):
        Entry.parse(text)


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookServer]:
    with webhook_server() as server:
        yield server


async def loopback(host: str, port: int) -> list[Address]:
    return [ipaddress.ip_address("::1" if host == "::1" else "127.0.0.1")]


REDIRECT_HOSTS = st.sampled_from(["127.0.0.1", "localhost", "LOCALHOST", "::1"])


@LIVE
@given(
    scheme=st.sampled_from(["http", "https"]),
    host=REDIRECT_HOSTS,
    port_kind=st.sampled_from(["same", "none", "other"]),
    relative=st.booleans(),
)
async def test_a_redirect_is_followed_only_on_the_same_scheme_host_and_port(
    receiver: WebhookServer, scheme: str, host: str, port_kind: str, relative: bool
) -> None:
    port = {"same": receiver.port, "none": None, "other": receiver.port + 1}[port_kind]
    location = "/moved" if relative else url(scheme, host, port, "/moved")
    followed = relative or (scheme, host, port_kind) == ("http", "127.0.0.1", "same")
    receiver.replies[:] = [Reply(307, {"Location": location}), Reply(204)]
    receiver.received.clear()
    allowed = ("127.0.0.1", "localhost", "::1")
    channel = WebhookChannel(allowed, deadline=5.0, resolver=loopback)
    try:
        if followed:
            await channel.deliver(notification(target=receiver.url(), at=START))
        else:
            with pytest.raises(DeliveryError, match=r"^webhook redirect refused"):
                await channel.deliver(notification(target=receiver.url(), at=START))
    finally:
        await channel.close()
    assert [r.path for r in receiver.received] == (["/hook", "/moved"] if followed else ["/hook"])


NOT_PUBLIC = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "0.0.0.0/8",
    "100.64.0.0/10",
    "224.0.0.0/4",
    "::1/128",
    "fe80::/10",
    "fc00::/7",
    "::ffff:127.0.0.0/104",
    "::ffff:10.0.0.0/104",
]


@st.composite
def not_public(draw: st.DrawFn) -> Address:
    network = ipaddress.ip_network(draw(st.sampled_from(NOT_PUBLIC)))
    return network[draw(st.integers(0, network.num_addresses - 1))]


@given(address=not_public(), port=st.integers(1, 65535))
def test_a_private_address_needs_the_allow_list_to_name_it(address: Address, port: int) -> None:
    assert AllowList.parse(("hooks.example.com",)).address_refusal(address, port) is not None
    assert AllowList.parse((str(address),)).address_refusal(address, port) is None
    assert AllowList.parse((entry_text(str(address), port),)).address_refusal(address, port) is None
    other_port = port % 65535 + 1
    named_elsewhere = AllowList.parse((entry_text(str(address), other_port),))
    assert named_elsewhere.address_refusal(address, port) is not None


@pytest.mark.parametrize("public", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_a_public_address_needs_no_naming(public: str) -> None:
    address = ipaddress.ip_address(public)
    assert AllowList.parse(("hooks.example.com",)).address_refusal(address, 443) is None


class Rebinding:
    """A name server that answers 127.0.0.1, counting how often it is asked."""

    def __init__(self) -> None:
        self.asked = 0

    async def __call__(self, host: str, port: int) -> list[Address]:
        self.asked += 1
        return [ipaddress.ip_address("127.0.0.1")]


async def test_an_allowed_name_resolving_to_a_private_address_is_refused_uncontacted(
    receiver: WebhookServer,
) -> None:
    receiver.replies[:] = [Reply(204)]
    receiver.received.clear()
    dns = Rebinding()
    channel = WebhookChannel(("hooks.example.com",), resolver=dns)
    target = receiver.url(host="hooks.example.com")
    try:
        with pytest.raises(DeliveryError, match=r"address 127\.0\.0\.1 is not public"):
            await channel.deliver(notification(target=target, at=START))
    finally:
        await channel.close()
    assert receiver.received == []
    assert dns.asked == 1


async def test_the_name_is_resolved_once_and_the_request_goes_to_that_address(
    receiver: WebhookServer,
) -> None:
    receiver.replies[:] = [Reply(308, {"Location": "/moved"}), Reply(204)]
    receiver.received.clear()
    dns = Rebinding()
    channel = WebhookChannel(("hooks.example.com", "127.0.0.1"), resolver=dns)
    try:
        await channel.deliver(notification(target=receiver.url(host="hooks.example.com"), at=START))
    finally:
        await channel.close()
    assert dns.asked == 1  # the redirect did not resolve the name again
    assert [r.headers["host"] for r in receiver.received] == 2 * [
        f"hooks.example.com:{receiver.port}"
    ]


async def test_localhost_through_the_system_resolver_is_refused_unless_its_address_is_named(
    receiver: WebhookServer,
) -> None:
    receiver.replies[:] = [Reply(204)]
    receiver.received.clear()
    target = receiver.url(host="localhost")
    refused = WebhookChannel(("localhost",))
    allowed = WebhookChannel(("localhost", "127.0.0.1", "::1"))
    try:
        with pytest.raises(DeliveryError, match="is not public"):
            await refused.deliver(notification(target=target, at=START))
        assert receiver.received == []
        try:
            await allowed.deliver(notification(target=target, at=START))
        except DeliveryError as e:  # localhost may resolve to ::1 first, where nobody listens
            assert "unreachable" in e.reason
    finally:
        await refused.close()
        await allowed.close()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A CA and a certificate for 127.0.0.1 and localhost."""
    return Certificates.make(str(tmp_path_factory.mktemp("tls")))


@pytest.mark.parametrize(("name", "delivered"), [("localhost", True), ("hooks.example.com", False)])
async def test_over_tls_the_pinned_address_is_checked_against_the_name_not_the_address(
    certificates: Certificates, name: str, delivered: bool
) -> None:
    """The certificate names 127.0.0.1 and localhost: a request that went to the pinned
    127.0.0.1 and checked the certificate against the address would pass for any name."""
    trusting = httpx.AsyncClient(verify=ssl.create_default_context(cafile=certificates.ca))
    channel = WebhookChannel((name, "127.0.0.1"), client=trusting, resolver=loopback)
    with webhook_server(Reply(204), tls=certificates) as receiver:
        target = receiver.url(host=name)
        try:
            if delivered:
                await channel.deliver(notification(target=target, at=START))
            else:
                with pytest.raises(DeliveryError, match="unreachable"):
                    await channel.deliver(notification(target=target, at=START))
        finally:
            await channel.close()
    assert len(receiver.received) == int(delivered)
    if delivered:
        assert receiver.received[0].headers["host"] == f"localhost:{receiver.port}"
