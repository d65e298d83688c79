"""The client address behind trusted proxies: a forged X-Forwarded-For never moves it."""

from __future__ import annotations

import pytest

from commerce_dash.domain.client_address import client_address


@pytest.mark.parametrize(("peer", "forwarded", "hops", "client"), [
    ("10.0.0.5", "", 0, "10.0.0.5"),  # no proxy: the peer
    ("10.0.0.5", "1.2.3.4", 0, "10.0.0.5"),  # no proxy: the header is anyone's
    ("10.0.0.5", "198.51.100.7", 1, "198.51.100.7"),  # one proxy: what it saw
    ("10.0.0.5", "6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),  # a forged entry on the left
    ("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", 2, "198.51.100.7"),  # two proxies
    ("10.0.0.5", "", 1, "10.0.0.5"),  # the proxy added nothing: the peer
    ("10.0.0.5", "198.51.100.7", 2, "10.0.0.5"),  # fewer entries than proxies
])
def test_the_client_is_the_entry_the_outermost_trusted_proxy_wrote(
        peer: str, forwarded: str, hops: int, client: str) -> None:
    assert client_address(peer, forwarded, hops) == client
