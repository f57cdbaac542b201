"""Accepted messages survive a restart: deliveries pending at stop are made after restart."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from gateway.service import GatewayServer
from tests.service.conftest import free_port, gateway_config, sample


async def test_pending_deliveries_are_made_once_after_a_restart(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/declarations"
    retry = {"base_delay_seconds": 0.02, "max_delay_seconds": 0.05, "max_attempts": 10_000}
    config = gateway_config(tmp_path, url, retry=retry)
    async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
        accepted = 0
        for name in ("cn-to-gb-small.xml", "us-to-gb.xml"):
            async with http.post(
                f"{server.url}/v1/feeds/upu-itmatt/messages", data=sample(name)
            ) as response:
                assert response.status == 202
                body = await response.json()
                accepted += sum(i["status"] == "accepted" for i in body["items"])
        await asyncio.sleep(0.2)  # the endpoint is down: attempts fail and are retried
        assert server.gateway is not None
        assert (await server.gateway.store.queue_depths()) == {"uk-cds": accepted}

    keys: list[str] = []

    async def endpoint(request: web.Request) -> web.Response:
        await request.read()
        keys.append(request.headers["Idempotency-Key"])
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/declarations", endpoint)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with GatewayServer(config) as server:
            assert server.gateway is not None
            deadline = time.monotonic() + 10
            while await server.gateway.store.queue_depths():
                assert time.monotonic() < deadline, "pending deliveries were not made"
                await asyncio.sleep(0.05)
            items = await server.gateway.store.find_items(body["items"][0]["item_id"])
    finally:
        await runner.cleanup()
    assert len(keys) == accepted and len(set(keys)) == accepted
    attempts = items[0].attempts
    assert attempts[-1].outcome == "delivered"
    assert [a.attempt for a in attempts] == list(range(1, len(attempts) + 1)), (
        "the attempt count carried on across the restart"
    )
