"""The FastAPI application factory (a fresh app per call: a started app cannot be reused)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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


def create_api() -> FastAPI:
    api = FastAPI(
        title="Commerce Dash API",
        version="2",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    install_error_handlers(api)
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
