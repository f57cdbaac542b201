"""Sender webhooks through the whole gateway: outcomes written as durable events, retried while
the partner is down, sent once after a restart, and visible in the item's trail and metrics."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from gateway.service import GatewayServer
from gateway.simulator.notifications import build_notification
from gateway.store.sqlite import SqliteStore
from tests.notify.conftest import SECRET, Receiver, start_receiver
from tests.service.conftest import free_port, gateway_config, sample

SENDER = {"X-Gateway-Sender": "post-a"}


async def _items(http: aiohttp.ClientSession, base: str, references: list[str]) -> list[Any]:
    items = []
    for reference in references:
        async with http.get(f"{base}/v1/items/{reference}") as response:
            assert response.status == 200
            items.append((await response.json())["items"][0])
    return items


async def _customs_endpoint() -> web.AppRunner:
    """A customs endpoint on loopback that takes every declaration (202)."""

    async def endpoint(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/declarations", endpoint)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def test_webhooks_pending_at_stop_are_sent_once_after_a_restart(tmp_path: Path) -> None:
    endpoint_runner = await _customs_endpoint()
    hook_port = free_port()  # the partner's webhook is down until the restart
    config = gateway_config(
        tmp_path,
        f"http://127.0.0.1:{endpoint_runner.addresses[0][1]}/declarations",
        partners={
            "post-a": {
                "webhook_url": f"http://127.0.0.1:{hook_port}/hooks/customs",
                "webhook_secret": SECRET,
                "webhook_retry": {
                    "base_delay_seconds": 0.01,
                    "max_delay_seconds": 0.05,
                    "max_attempts": 10_000,
                },
            }
        },
    )
    receiver = Receiver()
    try:
        async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
            async with http.post(
                f"{server.url}/v1/feeds/upu-itmatt/messages",
                data=sample("us-to-gb.xml"),
                headers=SENDER,
            ) as response:
                assert response.status == 202
                answer = await response.json()
            references = [i["declaration_id"] for i in answer["items"] if i["status"] == "accepted"]
            assert references
            assert server.gateway is not None
            deadline = time.monotonic() + 10
            while await server.gateway.store.queue_depths():
                assert time.monotonic() < deadline, "declarations were not delivered"
                await asyncio.sleep(0.02)
            for kind in ("accepted", "cleared"):
                for reference in references:
                    async with http.post(
                        f"{server.url}/v1/responses/uk-cds",
                        data=build_notification(kind, reference),
                    ) as response:
                        assert response.status == 200
            while not all(
                any(e["kind"] == "webhook" for e in item["trail"])
                for item in await _items(http, server.url, references)
            ):
                assert time.monotonic() < deadline, "no webhook attempt was made"
                await asyncio.sleep(0.02)
            async with http.get(f"{server.url}/metrics") as response:
                metrics = await response.text()
        assert 'gateway_webhook_attempts_total{outcome="retry",partner="post-a"}' in metrics

        _runner, cleanup = await start_receiver(receiver, hook_port)
        try:
            async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
                await receiver.until(lambda: len(receiver.events) == 2 * len(references))
                while any(
                    w["status"] != "sent"
                    for item in await _items(http, server.url, references)
                    for w in item["webhooks"]
                ):
                    assert time.monotonic() < deadline + 10, "events were not marked sent"
                    await asyncio.sleep(0.02)
                items = await _items(http, server.url, references)
        finally:
            await cleanup()
    finally:
        await endpoint_runner.cleanup()

    async with SqliteStore(config.storage.path) as store:
        assert await store.webhook_queue_depths() == {}
        assert await store.claim_webhooks("post-a", 100, 30, time.time() + 3600) == []
    received = [e["id"] for e in receiver.events]
    stored = [w["event_id"] for item in items for w in item["webhooks"]]
    assert len(received) == len(set(received)), "no event was sent twice after its 2xx"
    assert set(received) == set(stored), "no event was lost"
    assert receiver.refusals == []
    for item in items:
        assert [w["outcome"] for w in item["webhooks"]] == ["accepted", "released"]
        mine = [
            e["data"]["outcome"] for e in receiver.events if e["data"]["item_id"] == item["item_id"]
        ]
        assert mine == ["accepted", "released"], "in order per item"
        trail = [e for e in item["trail"] if e["kind"] == "webhook"]
        assert {e["partner"] for e in trail} == {"post-a"}
        assert trail[0]["outcome"] == "retry" and trail[-1]["outcome"] == "sent"
        for webhook in item["webhooks"]:
            attempts = [e["attempt"] for e in trail if e["event_id"] == webhook["event_id"]]
            assert attempts == list(range(1, webhook["attempts"] + 1)), (
                "the attempt count carried on across the restart"
            )
            assert webhook["sent_at"] is not None and webhook["last_error"] is None
        assert set(item) >= {"deliveries", "responses", "trail", "state"}, "fields kept"


async def test_events_left_for_a_partner_whose_webhook_was_removed_are_given_up(
    tmp_path: Path,
) -> None:
    """Pending while the webhook is down, counted in /metrics; the webhook is then taken out of
    the configuration, and at the next start its events end dead with the reason."""

    endpoint_runner = await _customs_endpoint()
    url = f"http://127.0.0.1:{endpoint_runner.addresses[0][1]}/declarations"
    with_hook = gateway_config(
        tmp_path,
        url,
        partners={
            "post-a": {
                "webhook_url": f"http://127.0.0.1:{free_port()}/hooks/customs",
                "webhook_secret": SECRET,
                "webhook_retry": {"base_delay_seconds": 5, "max_attempts": 10_000},
            }
        },
    )
    without_hook = gateway_config(tmp_path, url)
    deadline = time.monotonic() + 10
    try:
        async with GatewayServer(with_hook) as server, aiohttp.ClientSession() as http:
            async with http.post(
                f"{server.url}/v1/feeds/upu-itmatt/messages",
                data=sample("us-to-gb.xml"),
                headers=SENDER,
            ) as response:
                answer = await response.json()
            references = [i["declaration_id"] for i in answer["items"] if i["status"] == "accepted"]
            assert references and server.gateway is not None
            while await server.gateway.store.queue_depths():
                assert time.monotonic() < deadline, "declarations were not delivered"
                await asyncio.sleep(0.02)
            for reference in references:
                async with http.post(
                    f"{server.url}/v1/responses/uk-cds",
                    data=build_notification("accepted", reference),
                ) as response:
                    assert response.status == 200
            async with http.get(f"{server.url}/metrics") as response:
                metrics = await response.text()
        assert f'gateway_webhook_queue_depth{{partner="post-a"}} {len(references)}' in metrics

        async with GatewayServer(without_hook) as server, aiohttp.ClientSession() as http:
            items = await _items(http, server.url, references)
            async with http.get(f"{server.url}/metrics") as response:
                metrics = await response.text()
    finally:
        await endpoint_runner.cleanup()
    assert not [
        line for line in metrics.splitlines() if line.startswith("gateway_webhook_queue_depth{")
    ], "nothing left waiting"
    for item in items:
        [webhook] = item["webhooks"]
        assert webhook["status"] == "dead"
        assert "'post-a' has no webhook in the configuration" in webhook["last_error"]
