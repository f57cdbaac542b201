"""The gateway service: durable ingest, routing, delivery, customs responses, the HTTP API.

``GatewayServer`` and ``serve`` live in ``gateway.service.server``; they are loaded on first
use here so that ``gateway.api`` and ``gateway.service`` can import each other's parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.service.server import GatewayServer, serve

__all__ = ["GatewayServer", "serve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gateway.service import server

        return getattr(server, name)
    raise AttributeError(f"module 'gateway.service' has no attribute '{name}'")
