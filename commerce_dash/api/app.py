"""The FastAPI application factory (a fresh app per call: a started app cannot be reused).

Reflex mounts its own app below this one (``api_transformer``): its websocket, its upload
endpoint and, in production (``--single-port``), the built pages and their assets. So the
middleware installed here sees every request the process serves, pages included:

- ``RequestContext`` (outermost; ``api.middleware``): the request id (``X-Request-ID``, in
  error bodies and logs), latency and status figures by route template, the access log;
- ``SecurityHeaders`` (around FastAPI's own error handling; ``api.security_headers``):
  the Content-Security-Policy, nosniff, Referrer-Policy, X-Frame-Options, and HSTS in production;
- CORS for the public URL's origin only (Reflex adds the same origin from ``rxconfig``);
- ``LimitBody``, ``GateUploads``, ``RefuseNul`` (``api.middleware``): 413 for a body past its
  path's limit, 401/403 for an upload by a caller who may not make one, 422 for a NUL character.

This module only assembles them, the error handlers and the routers.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from commerce_dash.api import (
    admin,
    auth,
    bookings,
    cancellations,
    cart,
    catalog,
    catalog_admin,
    certificate_admin,
    certificate_read,
    certificate_templates,
    certificates,
    course_steps,
    discount_codes_admin,
    email_preferences,
    enrollments_v1,
    health,
    integrations,
    invoices,
    live_sessions,
    orders,
    payment_refund,
    payments,
    personal_data,
    pricing,
    processors,
    refund_preview,
    refunds,
    registration_reviewers,
    registrations,
    revenue,
    revenue_v1,
    subscription_admin,
    subscriptions,
)
from commerce_dash.api.errors import error_body, install_error_handlers
from commerce_dash.api.middleware import (
    REFLEX_UPLOAD_PATH,
    GateUploads,
    LimitBody,
    RefuseNul,
    RequestContext,
)
from commerce_dash.api.schemas import ERROR_RESPONSES, error_codes_description
from commerce_dash.api.security_headers import DOCS_PATH, SecurityHeaders, public_origin
from commerce_dash.settings import Settings, get_settings

__all__ = ["SecurityHeaders", "create_api", "public_origin"]

MULTIPART_ALLOWANCE = 64 * 1024  # an upload's form boundaries, part headers and arguments

# Every router, in the order their routes are matched and listed in the OpenAPI document.
ROUTERS = (
    health.router,
    auth.router,
    admin.router,
    pricing.router,
    discount_codes_admin.router,
    catalog.router,
    course_steps.router,
    catalog_admin.router,
    live_sessions.router,
    bookings.router,
    integrations.router,
    integrations.lms_webhooks,
    integrations.progress_router,
    cart.router,
    payments.router,
    processors.router,
    orders.router,
    invoices.router,
    registrations.router,
    registration_reviewers.router,
    certificates.router,
    certificate_read.router,
    personal_data.router,
    certificate_admin.router,
    certificate_templates.router,
    refunds.router,
    refund_preview.router,
    payment_refund.router,
    subscriptions.router,
    subscription_admin.admin_router,
    revenue_v1.router,
    enrollments_v1.router,
    revenue.router,
    email_preferences.router,
    cancellations.router,
)


class HardenedAPI(FastAPI):
    """FastAPI with ``SecurityHeaders`` around its whole stack, so that every answer gets
    the headers: the 500 page of its error middleware and the CORS middleware Reflex adds
    after ``create_api`` returns included; ``RequestContext`` around that, so that the
    request id is set before anything answers and every answer is measured."""

    def build_middleware_stack(self) -> ASGIApp:
        return RequestContext(SecurityHeaders(super().build_middleware_stack(), get_settings()))


def body_limits(settings: Settings) -> Callable[[str], int]:
    """The body limit of a path: a few routes take more (uploads, the LMS catalogue sync)
    or less (processor webhooks) than ``max_body_bytes``. Paths ending in "/" are prefixes."""
    limits = (
        (payments.WEBHOOK_PATH, payments.MAX_WEBHOOK_BYTES),
        (certificate_templates.IMAGE_UPLOAD_PATH,
         certificate_templates.image_request_bytes(settings.max_image_bytes)),
        (REFLEX_UPLOAD_PATH, settings.max_image_bytes + MULTIPART_ALLOWANCE),
        (integrations.router.prefix + "/", settings.max_connector_body_bytes),
    )

    def limit_for(path: str) -> int:
        for where, limit in limits:
            if path == where or (where.endswith("/") and path.startswith(where)):
                return limit
        return settings.max_body_bytes

    return limit_for


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
    for router in ROUTERS:
        api.include_router(router)

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
