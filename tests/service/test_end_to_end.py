"""End to end on loopback: the real gateway and the real customs endpoint simulator.

A sample ITMATT message goes in; its valid items are delivered to the simulator exactly once
each, the simulator's notifications come back to ``/v1/responses/uk-cds``, and the status API
shows every item's state and trail.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp

from gateway.service import GatewayServer
from gateway.simulator.options import SimulatorOptions
from gateway.simulator.server import CustomsSimulator
from tests.service.conftest import free_port, gateway_config, sample


async def _wait_for(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "the condition was not reached in time"
        await asyncio.sleep(0.05)


async def test_message_flows_from_sender_to_customs_and_back(tmp_path: Path) -> None:
    port = free_port()
    options = SimulatorOptions(
        callback_url=f"http://127.0.0.1:{port}/v1/responses/uk-cds",
        first_callback_delay=0.01,
        callback_step_delay=0.01,
        seed=1,
    )
    async with CustomsSimulator(options) as simulator:
        config = gateway_config(
            tmp_path, simulator.declarations_url, server={"host": "127.0.0.1", "port": port}
        )
        async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
            async with http.post(
                f"{server.url}/v1/feeds/upu-itmatt/messages", data=sample("cn-to-gb-small.xml")
            ) as response:
                assert response.status == 202
                answer = await response.json()
            accepted = [i for i in answer["items"] if i["status"] == "accepted"]
            refused = [i for i in answer["items"] if i["status"] == "refused"]
            assert len(answer["items"]) == 7
            assert accepted, "valid items go on"
            assert all(i["destinations"] == ["uk-cds"] for i in accepted)
            assert all(i["problems"] for i in refused), "a refused item says why"

            async def all_released() -> bool:
                async with http.get(f"{server.url}/v1/messages/{answer['message_id']}") as r:
                    status = await r.json()
                states = {i["item_id"]: i["state"] for i in status["items"]}
                return all(states[i["item_id"]] == "released" for i in accepted)

            await _wait_for(all_released)
            assert simulator.counts.unique == len(accepted)
            assert simulator.counts.invalid == 0

            declaration_id = accepted[0]["declaration_id"]
            async with http.get(f"{server.url}/v1/items/{declaration_id}") as response:
                item = (await response.json())["items"][0]
            events = [e["event"] for e in item["trail"] if e["kind"] == "transition"]
            assert events[:3] == ["receive", "translate", "submit"]
            assert events[-1] == "release"
            assert item["deliveries"][0]["status"] == "delivered"
            assert {r["outcome"] for r in item["responses"]} >= {"accepted", "released"}

            async with http.get(
                f"{server.url}/v1/items/{declaration_id}", params={"format": "postal"}
            ) as response:
                assert response.status == 200
                assert b"ItemCustomsResponse" in await response.read()

            async with http.get(f"{server.url}/metrics") as response:
                text = await response.text()
            assert (
                'gateway_delivery_attempts_total{destination="uk-cds",outcome="delivered"}' in text
            )
            assert 'gateway_queue_depth{destination="uk-cds"} 0' in text
