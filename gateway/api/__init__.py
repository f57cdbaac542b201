"""The gateway's HTTP API: routes, problem details, the OpenAPI document."""

from gateway.api.app import build_app

__all__ = ["build_app"]
