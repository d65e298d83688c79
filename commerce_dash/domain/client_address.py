"""Which address a request comes from, behind a known number of reverse proxies.

Each proxy appends the address it received the request from to ``X-Forwarded-For``, so with
``hops`` trusted proxies in front of the app, the client is the ``hops``-th entry from the
right; anything left of it was written by the client and is not believed. With no trusted
proxy the header is ignored and the socket's peer is the client. This is the rule Reflex
applies for its ``trusted_proxy_hops`` (``reflex/app.py``), so the pages and the API agree.
"""

from __future__ import annotations


def client_address(peer: str, forwarded_for: str, hops: int) -> str:
    """The client's address: the peer, or the entry the outermost trusted proxy added."""
    if hops <= 0:
        return peer
    entries = [entry.strip() for entry in (forwarded_for or "").split(",") if entry.strip()]
    if len(entries) < hops:
        return peer  # fewer proxies than configured: nothing in the header can be trusted
    return entries[-hops][:64]
