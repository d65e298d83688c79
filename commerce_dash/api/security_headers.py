"""The security headers of every HTTP answer, pages included (``SecurityHeaders``).

The Content-Security-Policy, nosniff, Referrer-Policy, X-Frame-Options, and HSTS in
production. ``api.app`` installs the middleware outermost, around FastAPI's own error
handling, so that the 500 page and the CORS answers Reflex adds get the headers too.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commerce_dash.settings import Settings

DOCS_PATH = "/api/docs"


def public_origin(url: str) -> str:
    """``scheme://host[:port]`` of an address: the form browsers send in ``Origin``."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


# -- Content-Security-Policy ----------------------------------------------------------------------
#
# A page may run the app's own files, the inline scripts its build wrote into it (named by their
# SHA-256, computed per answer), Stripe.js, and eval: Reflex runs rx.call_script through eval(),
# which the checkout's Stripe steps use. Styles may be inline (emotion writes <style> tags at
# run time, Radix sets style attributes). Images may come from any https address (course
# thumbnails are admin-given URLs) and data: URLs (the template preview). Anything else, JSON
# included, may load nothing. No answer may be framed.

NOT_A_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\ssrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)
# FastAPI's Swagger page loads its bundle from this CDN.
_DOCS_SOURCES = ("https://cdn.jsdelivr.net",)


def _stripe_sources(js_url: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The (script, frame, connect) sources Stripe.js needs: Stripe's documented hosts for
    the real Stripe.js, else the script's own origin (localstripe's fake in the tests)."""
    if urlsplit(js_url).hostname == "js.stripe.com":
        return (("https://js.stripe.com", "https://*.js.stripe.com"),
                ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"),
                ("https://api.stripe.com",))
    origin = (public_origin(js_url),)
    return origin, origin, origin


Sources = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
# The (script, frame, connect) hosts each processor's own checkout script documents needing.
_PROCESSOR_HOSTS: dict[str, Sources] = {
    "checkout.razorpay.com": (
        ("https://checkout.razorpay.com",),
        ("https://api.razorpay.com", "https://checkout.razorpay.com"),
        ("https://api.razorpay.com", "https://lumberjack.razorpay.com")),
    "web.squarecdn.com": (
        ("https://web.squarecdn.com", "https://pay.google.com"),
        ("https://web.squarecdn.com", "https://pay.google.com"),
        ("https://pci-connect.squareup.com", "https://connect.squareup.com",
         "https://pay.google.com")),
    "sandbox.web.squarecdn.com": (
        ("https://sandbox.web.squarecdn.com", "https://pay.google.com"),
        ("https://sandbox.web.squarecdn.com", "https://pay.google.com"),
        ("https://pci-connect.squareupsandbox.com", "https://connect.squareupsandbox.com",
         "https://pay.google.com")),
}


def _processor_sources(settings: Settings) -> Sources:
    """What the checkout scripts of the processors that are set up need: their documented
    hosts, else the script's own origin (the loopback fakes in the tests)."""
    scripts = []
    if settings.razorpay_key_id:
        scripts.append(settings.razorpay_checkout_js_url)
    if settings.square_application_id:
        scripts.append(settings.square_web_sdk_url)
    if settings.elavon_merchant_id:
        scripts.append(f"{settings.elavon_api_host.rstrip('/')}/hosted-payments/")
    script: list[str] = []
    frame: list[str] = []
    connect: list[str] = []
    for url in scripts:
        known = _PROCESSOR_HOSTS.get(urlsplit(url).hostname or "")
        origin = (public_origin(url),)
        for into, sources in zip((script, frame, connect), known or (origin, origin, origin),
                                 strict=True):
            into.extend(s for s in sources if s not in into)
    return tuple(script), tuple(frame), tuple(connect)


def page_policy(settings: Settings, script_hashes: Sequence[str] = (),
                extra_sources: Sequence[str] = ()) -> str:
    """The Content-Security-Policy of an HTML page."""
    origin = public_origin(settings.public_url)
    socket = "ws" + origin.removeprefix("http")  # http -> ws, https -> wss
    script, frame, connect = _stripe_sources(settings.stripe_js_url)
    rz_script, rz_frame, rz_connect = _processor_sources(settings)
    script, frame, connect = script + rz_script, frame + rz_frame, connect + rz_connect
    directives = {
        "default-src": ("'self'",),
        "script-src": ("'self'", "'unsafe-eval'", *script_hashes, *script, *extra_sources),
        "style-src": ("'self'", "'unsafe-inline'", *extra_sources),
        "img-src": ("'self'", "data:", "https:"),
        "font-src": ("'self'", "data:"),
        "connect-src": ("'self'", socket, *connect),
        "frame-src": frame,
        "object-src": ("'none'",),
        "base-uri": ("'self'",),
        "form-action": ("'self'",),
        "frame-ancestors": ("'none'",),
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def inline_script_hashes(html: bytes) -> list[str]:
    """The CSP hash sources of the inline scripts of an HTML document, in order, once each."""
    digests = (hashlib.sha256(m.group(1)).digest() for m in _INLINE_SCRIPT.finditer(html)
               if m.group(1).strip())
    return list(dict.fromkeys(f"'sha256-{base64.b64encode(d).decode()}'" for d in digests))


def _decoded(body: bytes, headers: Headers) -> bytes:
    """The HTML of a body as sent (Reflex serves precompressed .gz pages); b"" when the
    encoding is one this cannot read, so no inline script is allowed."""
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding == "gzip":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError):
            return b""
    return b""


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP answer.

    An HTML answer is held until its last part so that its policy can name its inline
    scripts (pages are at most a few hundred kB; past ``HOLD_LIMIT`` the rest streams and
    the policy names none); a page the server sends from its file (the ASGI pathsend
    extension, which granian offers) is read from that file. Websocket handshakes pass
    untouched: these headers mean nothing on a 101 answer.
    """

    HOLD_LIMIT = 4 * 1024 * 1024
    NAMES = (b"content-security-policy", b"x-content-type-options", b"referrer-policy",
             b"x-frame-options", b"strict-transport-security")

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.fixed = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
        ]
        if settings.env == "production" and settings.hsts_max_age_seconds:
            hsts = f"max-age={settings.hsts_max_age_seconds}; includeSubDomains"
            self.fixed.append((b"strict-transport-security", hsts.encode()))

    def _secured(self, start: Message, policy: str | None) -> Message:
        kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in self.NAMES]
        csp = [(b"content-security-policy", policy.encode())] if policy is not None else []
        return {**start, "headers": [*_vary_once(kept), *csp, *self.fixed]}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _DOCS_SOURCES if scope.get("path") == DOCS_PATH else ()
        held: Message | None = None
        parts: list[bytes] = []

        async def send_secured(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                if message["status"] == 304 or scope.get("method") == "HEAD":
                    # no policy: a browser would lay it over the page it keeps (a 304's
                    # headers update the cached answer's), and this one has no body to name
                    await send(self._secured(message, None))
                elif headers.get("content-type", "").startswith("text/html"):
                    held = message
                else:
                    await send(self._secured(message, NOT_A_PAGE_POLICY))
                return
            if held is not None and message["type"] == "http.response.pathsend":
                # the server sends the file itself (granian): read it to name its scripts
                start, held = held, None
                html = _decoded(await anyio.Path(message["path"]).read_bytes(),
                                Headers(raw=start.get("headers", [])))
                policy = page_policy(self.settings, inline_script_hashes(html), extra)
                await send(self._secured(start, policy))
                await send(message)
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            parts.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
            size = sum(len(p) for p in parts)
            if more and size <= self.HOLD_LIMIT:
                return
            start, held = held, None
            body = b"".join(parts)
            parts.clear()
            html = b"" if more else _decoded(body, Headers(raw=start.get("headers", [])))
            policy = page_policy(self.settings, inline_script_hashes(html), extra)
            await send(self._secured(start, policy))
            await send({"type": "http.response.body", "body": body, "more_body": more})

        await self.app(scope, receive, send_secured)


def _vary_once(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with each Vary token once: four CORS layers (Reflex's three and this
    app's) each add ``Origin``."""
    tokens = [t.strip() for k, v in headers if k.lower() == b"vary" for t in v.split(b",")]
    if len(tokens) == len(set(tokens)):
        return headers
    kept = [(k, v) for k, v in headers if k.lower() != b"vary"]
    return [*kept, (b"vary", b", ".join(dict.fromkeys(t for t in tokens if t)))]
