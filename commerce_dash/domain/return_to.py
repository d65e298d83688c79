"""Where a browser may be sent back to after signing in: never another site."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(wanted: str) -> str | None:
    """``wanted`` when it is a path on this site (``/...``), else None.

    ``//host`` and ``/\\host`` are other sites to a browser, and control characters could
    split a header, so both are refused.
    """
    if (not wanted.startswith("/") or wanted.startswith("//") or "\\" in wanted
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in wanted)):
        return None
    return wanted


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


def return_address(to: str, *, public_url: str, request_host: str) -> str:
    """The absolute address to send the browser to: ``to`` when it is a page of this app,
    else the public URL's home.

    A page of this app is one on the public URL's origin or, in development where the pages
    and the API listen on two ports of one host, on the host the request came to.
    """
    home = public_url.rstrip("/") + "/"
    target = _origin(to)
    if target is None:
        return home
    split = urlsplit(to)
    path = local_path(split.path or "/")
    if path is None:
        return home
    public = _origin(public_url)
    host = request_host.rsplit(":", 1)[0].strip("[]").lower() if request_host else ""
    if target != public and target[1] != host:
        return home
    scheme, hostname, port = target
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    netloc += f":{port}" if port is not None else ""
    query = f"?{split.query}" if split.query else ""
    return f"{scheme}://{netloc}{path}{query}"
