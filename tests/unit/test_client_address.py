"""The client's address behind trusted proxies: X-Forwarded-For walked from the right, a peer
that is no trusted proxy unable to choose its address, garbage ending the walk."""

import pytest

from entrypoints.http.client_address import TrustedProxies, address, parse_networks


def proxies(*entries: str) -> TrustedProxies:
    return TrustedProxies(parse_networks(entries))


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ((), "10.0.0.1", "198.51.100.7", "10.0.0.1"),  # no proxy trusted
        (("10.0.0.1",), "203.0.113.9", "198.51.100.7", "203.0.113.9"),  # a peer that is none
        (("10.0.0.1",), "10.0.0.1", None, "10.0.0.1"),  # nothing forwarded
        (("10.0.0.1",), "10.0.0.1", "198.51.100.7", "198.51.100.7"),
        (("10.0.0.0/8",), "10.1.2.3", "198.51.100.7, 10.9.9.9", "198.51.100.7"),
        (("10.0.0.0/8",), "10.1.2.3", "203.0.113.5, 198.51.100.7", "198.51.100.7"),
        (("::1",), "::1", "2001:DB8:0:0::7", "2001:db8::7"),  # the one spelling of an address
        (("10.0.0.0/8",), "10.1.2.3", "not-an-address, 10.9.9.9", "10.9.9.9"),
        (("10.0.0.0/8",), "10.1.2.3", "10.9.9.9, 10.8.8.8", "10.9.9.9"),  # all trusted
        (("10.0.0.1",), "unknown", "198.51.100.7", "unknown"),  # no socket peer
        (("2001:db8::/32",), "2001:db8:5::1", "2001:db9::1, 2001:db8::2", "2001:db9::1"),
        (("0.0.0.0/0",), "::1", "198.51.100.7", "::1"),  # an IPv4 block holds no IPv6 peer
        (("::/0",), "10.0.0.1", "198.51.100.7", "10.0.0.1"),  # nor an IPv6 block an IPv4 one
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    trusted: tuple[str, ...], peer: str, forwarded: str | None, client: str
) -> None:
    assert proxies(*trusted).client(peer, forwarded) == client


@pytest.mark.parametrize(
    "hop",
    [
        "fe80::1%eth0",
        "fe80::1%" + "a" * 4000,  # a zone may be of any length: it would make the key as long
        "010.1.2.3",  # octal or decimal?
        "1.2.3",
        "198.51.100.7\x00",
        "2001:db8::1::2",
    ],
)
def test_a_hop_that_is_no_plain_address_ends_the_walk(hop: str) -> None:
    assert proxies("10.0.0.0/8").client("10.1.2.3", f"{hop}, 10.9.9.9") == "10.9.9.9"


def test_an_address_has_one_spelling_of_at_most_45_characters() -> None:
    longest = "0000:0000:0000:0000:0000:FFFF:255.255.255.255"
    assert len(longest) == 45 and address(longest) is not None
    assert address("0" + longest) is None
    assert [address(a)[0] for a in ("::FFFF:198.51.100.7", "2001:DB8:0:0::7", "::1")] == [
        "::ffff:198.51.100.7",
        "2001:db8::7",
        "::1",
    ]
