"""A declaration routed to two endpoints (two formats); responses fetched by polling."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from gateway.routing import routing_table_from_data
from gateway.service import GatewayServer
from gateway.simulator.notifications import build_notification
from tests.service.conftest import UK_CDS_PARAMETERS, gateway_config, sample


async def test_one_declaration_to_two_endpoints_and_polled_outcomes(tmp_path: Path) -> None:
    received: dict[str, list[tuple[str, bytes]]] = {"cds": [], "archive": []}
    notifications: list[bytes] = []

    def recorder(name: str):  # type: ignore[no-untyped-def]
        async def handle(request: web.Request) -> web.Response:
            received[name].append((request.headers["Idempotency-Key"], await request.read()))
            return web.Response(status=202)

        return handle

    async def poll(request: web.Request) -> web.Response:
        body = notifications.pop(0) if notifications else b""
        return web.Response(body=body, content_type="application/xml")

    app = web.Application()
    app.router.add_post("/cds", recorder("cds"))
    app.router.add_post("/archive", recorder("archive"))
    app.router.add_get("/notifications", poll)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    fast = {"base_delay_seconds": 0.01, "max_delay_seconds": 0.05, "max_attempts": 5}
    config = gateway_config(
        tmp_path,
        f"{base}/cds",
        parameters={"uk-cds": UK_CDS_PARAMETERS},
        endpoints={
            "uk-cds": {
                "target": "uk-cds",
                "url": f"{base}/cds",
                "retry": fast,
                "response_mode": "poll",
                "poll_url": f"{base}/notifications",
                "poll_interval_seconds": 0.05,
            },
            "archive": {"target": "canonical", "url": f"{base}/archive", "retry": fast},
        },
    )
    routes = routing_table_from_data(
        {
            "routes": [
                {"name": "gb", "when": {"destination": ["GB"]}, "to": ["uk-cds"]},
                {"name": "everything", "to": ["archive"]},
            ]
        }
    )
    try:
        async with GatewayServer(config, routes=routes) as server, aiohttp.ClientSession() as http:
            async with http.post(
                f"{server.url}/v1/feeds/upu-itmatt/messages", data=sample("us-to-gb.xml")
            ) as response:
                answer = await response.json()
            accepted = [i for i in answer["items"] if i["status"] == "accepted"]
            assert accepted and all(
                sorted(i["destinations"]) == ["archive", "uk-cds"] for i in accepted
            )
            assert server.gateway is not None
            deadline = time.monotonic() + 10
            while await server.gateway.store.queue_depths():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            assert len(received["cds"]) == len(received["archive"]) == len(accepted)
            assert all(
                b"urn:customs-gateway:canonical:1" in body for _key, body in received["archive"]
            )
            assert all(b"urn:wco:datamodel:WCO:DEC-DMS:2" in body for _key, body in received["cds"])
            cds_keys = {key for key, _ in received["cds"]}
            assert cds_keys.isdisjoint({key for key, _ in received["archive"]}), (
                "each endpoint gets a key of its own"
            )

            reference = accepted[0]["declaration_id"]
            notifications.append(build_notification("accepted", reference, mrn="26GB0001"))
            while True:
                async with http.get(f"{server.url}/v1/items/{reference}") as response:
                    item = (await response.json())["items"][0]
                if item["state"] == "accepted":
                    break
                assert time.monotonic() < deadline + 5, item["state"]
                await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()
