"""The FastAPI application factory (a fresh app per call: a started app cannot be reused).

Over 400 lines, and the next split: the HTTP hardening middleware (body limits, upload gate,
NUL check, security headers, CSP) belongs in ``api/middleware.py``, leaving the factory here.

Reflex mounts its own app below this one (``api_transformer``): its websocket, its upload
endpoint and, in production (``--single-port``), the built pages and their assets. So the
middleware installed here sees every request the process serves, pages included:

- ``SecurityHeaders`` (outermost, around FastAPI's own error handling): the
  Content-Security-Policy, nosniff, Referrer-Policy, X-Frame-Options, and HSTS in production;
- CORS for the public URL's origin only (Reflex adds the same origin from ``rxconfig``);
- ``LimitBody``: 413 once a body passes its path's limit, before more is read;
- ``GateUploads``: Reflex's upload endpoint refuses a caller who may not use the
  certificates section before reading the body;
- ``RefuseNul``: 422 for a NUL character (see below).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from collections.abc import Callable, Sequence
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commerce_dash.api import (
    admin,
    auth,
    cart,
    catalog,
    certificates,
    health,
    integrations,
    orders,
    payments,
    pricing,
    refunds,
    registrations,
    revenue,
)
from commerce_dash.api.deps import SESSION_COOKIE, client_ip
from commerce_dash.api.errors import error_body, error_response, install_error_handlers
from commerce_dash.api.schemas import ERROR_RESPONSES, error_codes_description
from commerce_dash.db import session_scope
from commerce_dash.domain.access import can_access
from commerce_dash.services.platform.accounts import resolve_session
from commerce_dash.settings import Settings, get_settings

DOCS_PATH = "/api/docs"
REFLEX_UPLOAD_PATH = "/_upload"  # reflex.constants.Endpoint.UPLOAD, no backend path prefix
MULTIPART_ALLOWANCE = 64 * 1024  # an upload's form boundaries, part headers and arguments


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


def page_policy(settings: Settings, script_hashes: Sequence[str] = (),
                extra_sources: Sequence[str] = ()) -> str:
    """The Content-Security-Policy of an HTML page."""
    origin = public_origin(settings.public_url)
    socket = "ws" + origin.removeprefix("http")  # http -> ws, https -> wss
    script, frame, connect = _stripe_sources(settings.stripe_js_url)
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


class HardenedAPI(FastAPI):
    """FastAPI with ``SecurityHeaders`` around its whole stack, so that every answer gets
    the headers: the 500 page of its error middleware and the CORS middleware Reflex adds
    after ``create_api`` returns included."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), get_settings())


# -- refusing from inside ``receive`` ---------------------------------------------------------


class _Stop(StarletteHTTPException):
    """Raised from ``receive`` to stop an app reading a body. An HTTPException, so FastAPI's
    body parsing passes it on rather than calling the body malformed (400); the middleware
    whose ``receive`` raised it writes the answer."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, message)
        self.response = error_response(status_code, code, message)


async def _serve_stoppable(app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                           stoppable: Receive) -> None:
    """Run ``app`` reading through ``stoppable``; when that raises ``_Stop`` before the app
    has started its answer, the stop's answer replaces whatever the app made of it."""
    stop: _Stop | None = None
    started = False

    async def watched() -> Message:
        nonlocal stop
        try:
            return await stoppable()
        except _Stop as exc:
            stop = exc
            raise

    async def send_unless_stopped(message: Message) -> None:
        nonlocal started
        if stop is not None and not started:
            return
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, watched, send_unless_stopped)
    except Exception:
        if stop is None or started:
            raise
    if stop is not None and not started:
        await stop.response(scope, receive, send)


# -- body limits ----------------------------------------------------------------------------


def _size(limit: int) -> str:
    for unit, name in ((1024 * 1024, "MiB"), (1024, "KiB")):
        if limit % unit == 0:
            return f"{limit // unit} {name}"
    return f"{limit:,} bytes"


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.strip().isdigit() else None


class LimitBody:
    """ASGI middleware: 413 ``body_too_large`` once a request body passes its path's limit.

    A declared Content-Length over the limit is refused at the first read, before any byte
    is taken; a body sent without one is counted as it streams. The check waits for the app
    to read, so a route that refuses the caller first (a learner's upload) answers 401/403
    without reading anything.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        taken = 0

        def too_large() -> _Stop:
            return _Stop(413, "body_too_large",
                         f"The request body is larger than the {_size(limit)} accepted here.")

        async def capped() -> Message:
            nonlocal taken
            if declared is not None and declared > limit:
                raise too_large()
            message = await receive()
            if message["type"] == "http.request":
                taken += len(message.get("body", b""))
                if taken > limit:
                    raise too_large()
            return message

        await _serve_stoppable(self.app, scope, receive, send, capped)


def body_limits(settings: Settings) -> Callable[[str], int]:
    """The body limit of a path: a few routes take more (uploads, the LMS catalogue sync)
    or less (processor webhooks) than ``max_body_bytes``. Paths ending in "/" are prefixes."""
    limits = (
        (payments.WEBHOOK_PATH, payments.MAX_WEBHOOK_BYTES),
        (certificates.IMAGE_UPLOAD_PATH, certificates.image_request_bytes(settings.max_image_bytes)),
        (REFLEX_UPLOAD_PATH, settings.max_image_bytes + MULTIPART_ALLOWANCE),
        (integrations.router.prefix + "/", settings.max_connector_body_bytes),
    )

    def limit_for(path: str) -> int:
        for where, limit in limits:
            if path == where or (where.endswith("/") and path.startswith(where)):
                return limit
        return settings.max_body_bytes

    return limit_for


# -- Reflex uploads: the caller before the body ---------------------------------------------------
#
# Reflex parses an upload's whole multipart body (spooling files to disk) before it calls the
# handler, which is where the role was checked. Every upload of this app goes to the certificate
# image store, so the caller is checked here first. This only ever refuses (the handler checks
# again), so any sign of the session will do: a bearer token, the session cookie (a same-origin
# upload carries it), else the cookie the tab's websocket brought, which Reflex keeps with the
# tab's state (a development backend on another port gets no cookie with the upload itself).

UPLOAD_SECTION = "certificates"


async def _websocket_session_token(client_token: str) -> str:
    if not client_token:
        return ""
    try:
        from reflex.istate.wrappers import get_state
        from reflex.state import State

        root = await get_state(client_token, State)
        cookies: SimpleCookie = SimpleCookie()
        cookies.load(str(root.router.headers.cookie or ""))
    except Exception:  # no Reflex app around this one (tests), no such tab, a bad header
        return ""
    found = cookies.get(SESSION_COOKIE)
    return found.value if found is not None else ""


def _upload_refusal(request: Request, token: str) -> JSONResponse | None:
    with session_scope() as session:
        actor = resolve_session(session=session, token=token, client_ip=client_ip(request),
                                user_agent=request.headers.get("user-agent", ""))
    if actor is None:
        return error_response(401, "not_signed_in", "Sign in to upload files.")
    if not can_access(actor.roles, UPLOAD_SECTION):
        return error_response(403, "forbidden", "You do not have access to this area.")
    return None


class GateUploads:
    """ASGI middleware: Reflex's upload endpoint answers 401/403 before reading the body
    unless the caller may use the certificates section."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"] == REFLEX_UPLOAD_PATH):
            request = Request(scope)
            header = request.headers.get("authorization", "")
            token = (header[7:].strip() if header.lower().startswith("bearer ")
                     else request.cookies.get(SESSION_COOKIE, "")
                     or await _websocket_session_token(
                         request.headers.get("reflex-client-token", "")))
            refusal = await run_in_threadpool(_upload_refusal, request, token)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- NUL characters -------------------------------------------------------------------------------
#
# PostgreSQL text cannot hold NUL (0x00): a string parameter carrying one fails in the driver
# (a 500). No field of this API takes one, so a request with a NUL in its path, its query
# string or a string of its JSON body is refused up front with the usual 422 error body.

# A \u0000 escape in JSON text is one after an even number of backslashes (0, 2, ...): after an
# odd number, as in "\\u0000", it is an escaped backslash followed by the text "u0000".
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _nul_in_target(scope: Scope) -> str:
    """Where the request line carries a NUL, percent-encoded or not ("" when it does not)."""
    raw_path = scope.get("raw_path") or b""
    if "\x00" in scope.get("path", "") or b"\x00" in raw_path or b"%00" in raw_path:
        return "path"
    query = scope.get("query_string") or b""
    if b"\x00" in query or b"%00" in query:
        return "query string"
    return ""


def _body_is_read(scope: Scope) -> bool:
    """Whether a body may be parsed as JSON: FastAPI reads one without a content type as JSON,
    and the signed LMS routes parse their raw body whatever it is called. File uploads
    (multipart) are left alone: a file's bytes may hold anything."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return not value.lower().lstrip().startswith(b"multipart/")
    return True


def _nul_in_body(body: bytes) -> bool:
    return b"\x00" in body or (b"\\u0000" in body and _JSON_NUL.search(body) is not None)


class RefuseNul:
    """ASGI middleware: 422 ``invalid_request`` for a NUL in the path, the query string or the
    body (see above). The body is checked as the app reads it, the last part held back until
    the whole is clean, so nothing is read that the app would not read itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _nul_in_target(scope)
        if where:
            await _nul_refusal(where).response(scope, receive, send)
            return
        if not _body_is_read(scope):
            await self.app(scope, receive, send)
            return
        parts: list[bytes] = []

        async def checked() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False) and _nul_in_body(b"".join(parts)):
                    raise _nul_refusal("body")
            return message

        await _serve_stoppable(self.app, scope, receive, send, checked)


def _nul_refusal(where: str) -> _Stop:
    return _Stop(422, "invalid_request",
                 f"The request's {where} contains a NUL character (U+0000), which no field "
                 "accepts.")


def create_api() -> FastAPI:
    settings = get_settings()
    api = HardenedAPI(
        title="Commerce Dash API",
        version="2",
        description=error_codes_description(),
        docs_url=DOCS_PATH if settings.api_docs_enabled else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if settings.api_docs_enabled else None,
        # the error body of every route (middleware and handlers answer these anywhere)
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(api)
    # added innermost first: a request meets CORS, then the body limit, the upload gate and
    # the NUL check (SecurityHeaders wraps them all, see HardenedAPI)
    api.add_middleware(RefuseNul)
    api.add_middleware(GateUploads)
    api.add_middleware(LimitBody, limit_for=body_limits(settings))
    api.add_middleware(
        CORSMiddleware,
        allow_origins=[public_origin(settings.public_url)],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    api.include_router(health.router)
    api.include_router(auth.router)
    api.include_router(admin.router)
    api.include_router(pricing.router)
    api.include_router(catalog.router)
    api.include_router(integrations.router)
    api.include_router(integrations.lms_webhooks)
    api.include_router(integrations.progress_router)
    api.include_router(cart.router)
    api.include_router(payments.router)
    api.include_router(orders.router)
    api.include_router(registrations.router)
    api.include_router(certificates.router)
    api.include_router(refunds.router)
    api.include_router(revenue.router)

    # Reflex's own app is mounted below this one and answers every other path with the
    # frontend; an unknown /api path must still get a JSON 404.
    @api.api_route(
        "/api/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def _unknown(rest: str, request: Request) -> JSONResponse:
        return JSONResponse(
            error_body("not_found", f"No API route {request.method} /api/{rest}."),
            status_code=404,
        )

    return api
