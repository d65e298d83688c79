"""HTTP API: FastAPI routers mounted into the Reflex backend by ``api_transformer``."""

from commerce_dash.api.app import create_api

__all__ = ["create_api"]
