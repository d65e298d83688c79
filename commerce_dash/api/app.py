"""The FastAPI application factory (a fresh app per call: a started app cannot be reused)."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
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
from commerce_dash.api.errors import error_body, install_error_handlers

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
    body (see above). The body is read once here and handed on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _nul_in_target(scope)
        if where:
            await self._refuse(where, scope, receive, send)
            return
        if not _body_is_read(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        if _nul_in_body(b"".join(m.get("body", b"") for m in messages)):
            await self._refuse("body", scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(where: str, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            error_body("invalid_request",
                       f"The request's {where} contains a NUL character (U+0000), which no "
                       "field accepts."),
            status_code=422,
        )
        await response(scope, receive, send)


def create_api() -> FastAPI:
    api = FastAPI(
        title="Commerce Dash API",
        version="2",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    install_error_handlers(api)
    api.add_middleware(RefuseNul)
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
