"""A running gateway on loopback whose endpoint is a tiny recording server in the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gateway.service import GatewayServer
from tests.service.conftest import gateway_config


@dataclass
class RecordingEndpoint:
    """Answers 202 to every declaration and remembers the idempotency keys it saw."""

    keys: list[str] = field(default_factory=list)
    status: int = 202
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.keys.append(request.headers.get("Idempotency-Key", ""))
        return web.Response(status=self.status)


@dataclass
class Running:
    server: GatewayServer
    endpoint: RecordingEndpoint
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    endpoint = RecordingEndpoint()
    app = web.Application()
    app.router.add_post("/declarations", endpoint.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    endpoint.url = f"http://127.0.0.1:{runner.addresses[0][1]}/declarations"
    config = gateway_config(tmp_path, endpoint.url, limits={"max_body_bytes": 200_000})
    try:
        async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
            yield Running(server, endpoint, http)
    finally:
        await runner.cleanup()
