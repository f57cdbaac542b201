"""Partners: bearer tokens identify senders; each customs outcome reaches the sender's webhook."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from gateway.notify import SIGNATURE_HEADER, verify_signature
from gateway.service import GatewayServer
from gateway.simulator.options import SimulatorOptions
from gateway.simulator.server import CustomsSimulator
from tests.service.conftest import free_port, gateway_config, sample


async def test_token_required_and_outcomes_pushed_to_a_signed_webhook(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        verify_signature(b"s3cret", body, request.headers[SIGNATURE_HEADER])
        events.append(await request.json())
        return web.Response(status=204)

    hook_app = web.Application()
    hook_app.router.add_post("/hook", webhook)
    hook_runner = web.AppRunner(hook_app, access_log=None)
    await hook_runner.setup()
    await web.TCPSite(hook_runner, "127.0.0.1", 0).start()
    hook_url = f"http://127.0.0.1:{hook_runner.addresses[0][1]}/hook"

    port = free_port()
    options = SimulatorOptions(
        callback_url=f"http://127.0.0.1:{port}/v1/responses/uk-cds",
        first_callback_delay=0.01,
        callback_step_delay=0.01,
        seed=2,
    )
    partners = {
        "china-post": {"token": "t0ken", "webhook_url": hook_url, "webhook_secret": "s3cret"}
    }
    try:
        async with CustomsSimulator(options) as simulator:
            config = gateway_config(
                tmp_path,
                simulator.declarations_url,
                server={"host": "127.0.0.1", "port": port},
                partners=partners,
            )
            async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
                url = f"{server.url}/v1/feeds/upu-itmatt/messages"
                async with http.post(url, data=sample("us-to-gb.xml")) as response:
                    assert response.status == 401
                async with http.post(
                    url, data=sample("us-to-gb.xml"), headers={"Authorization": "Bearer wrong"}
                ) as response:
                    assert response.status == 401
                async with http.post(
                    url, data=sample("us-to-gb.xml"), headers={"Authorization": "Bearer t0ken"}
                ) as response:
                    assert response.status == 202
                    answer = await response.json()
                accepted = {i["item_id"] for i in answer["items"] if i["status"] == "accepted"}
                deadline = time.monotonic() + 15
                while {
                    e["data"]["item_id"] for e in events if e["data"]["outcome"] == "released"
                } != accepted:
                    assert time.monotonic() < deadline, events
                    await asyncio.sleep(0.05)
    finally:
        await hook_runner.cleanup()
    assert all(e["data"]["message_id"] == answer["message_id"] for e in events)
    assert {e["data"]["destination"] for e in events} == {"uk-cds"}
