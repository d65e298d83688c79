"""The HTTP hardening middleware on the request side: each may refuse a request before
(or while) the app reads its body.

- ``LimitBody``: 413 once a body passes its path's limit, before more is read;
- ``GateUploads``: Reflex's upload endpoint refuses a caller who may not use the
  certificates section before reading the body;
- ``RefuseNul``: 422 for a NUL character (see below);
- ``RequestContext`` (outermost of all, see ``api.app``): the request id, the latency and
  status-class figures by route template, and one access log line per request.

The answer headers are ``api.security_headers``; ``api.app`` puts the stack together.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from http.cookies import SimpleCookie

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commerce_dash import metrics
from commerce_dash.api.deps import SESSION_COOKIE, client_ip
from commerce_dash.api.errors import error_response
from commerce_dash.db import session_scope
from commerce_dash.domain.access import can_access
from commerce_dash.services.platform import resolve_session

REFLEX_UPLOAD_PATH = "/_upload"  # reflex.constants.Endpoint.UPLOAD, no backend path prefix

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


# -- request id, figures and the access log -------------------------------------------------------

access_log = logging.getLogger("commerce_dash.access")
# not logged line by line: probes and scrapes every few seconds would drown the rest
_QUIET_PATHS = frozenset({"/metrics", "/api/health/live", "/api/health"})


def route_label(scope: Scope) -> str:
    """The route template a request matched ("/api/v2/orders/{number}"), "reflex" for what
    the Reflex app mounted below answers (pages, assets, uploads), "unmatched" otherwise."""
    route = scope.get("route")
    if isinstance(route, Mount):
        return metrics.ROUTE_REFLEX
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else metrics.ROUTE_UNMATCHED


class RequestContext:
    """ASGI middleware: each HTTP request gets an id (a sane ``X-Request-ID`` of the caller,
    else a new one), echoed in the answer's ``X-Request-ID`` header, held in a context
    variable for the request's logs and error bodies; its latency and status class are
    counted by route template and one access line is logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = metrics.request_id_from(Headers(scope=scope).get(metrics.REQUEST_ID_HEADER))
        token = metrics.request_id_var.set(request_id)
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = route_label(scope)
            metrics.observe_request(scope.get("method", ""), route, status, seconds)
            if scope.get("path") not in _QUIET_PATHS or status >= 400:
                access_log.info(
                    "%s %s %s %.1f ms", scope.get("method", ""), route, status, seconds * 1000,
                    extra={"method": scope.get("method", ""), "route": route,
                           "status": status, "duration_ms": round(seconds * 1000, 1)})
            metrics.request_id_var.reset(token)
