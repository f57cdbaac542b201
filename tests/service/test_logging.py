"""Logs are JSON lines with message and item IDs, and never carry personal data."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import structlog
from aiohttp import web
from lxml import etree

from gateway.logging import REDACTED, configure_logging, redact_personal_data
from gateway.service import GatewayServer
from tests.service.conftest import SAMPLES, gateway_config

PERSONAL = ("Name", "AddressLine", "Postcode", "Phone", "Email")


def _personal_values() -> set[str]:
    values: set[str] = set()
    for path in SAMPLES.glob("*.xml"):
        root = etree.parse(str(path)).getroot()
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            parent = element.getparent()
            in_party = parent is not None and etree.QName(parent).localname in (
                "Sender",
                "Addressee",
            )
            if in_party and etree.QName(element).localname in PERSONAL and element.text:
                values.add(element.text.strip())
    return {value for value in values if len(value) >= 4}


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("debug", stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()


def test_processor_drops_personal_keys_and_masks_values() -> None:
    event = redact_personal_data(
        None,
        "info",
        {
            "event": "x",
            "item_id": "itm_1",
            "consignee_name": "Oliver Bennett",
            "email": "a@b.example",
            "detail": "call +44 113 496 0712 or mail oliver.bennett@example.co.uk about RR123456785CN",
            "nested": {"phone": "+1 555 0100", "ok": "yes"},
        },
    )
    assert "consignee_name" not in event and "email" not in event
    assert event["item_id"] == "itm_1"
    assert event["detail"] == f"call {REDACTED} or mail {REDACTED} about RR123456785CN"
    assert event["nested"] == {"ok": "yes"}


async def test_full_ingest_of_the_samples_logs_ids_and_no_personal_data(
    tmp_path: Path, log_stream: io.StringIO
) -> None:
    async def endpoint(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(
            status=400, text="Consignee Oliver Bennett unknown, oliver.bennett@example.co.uk"
        )

    app = web.Application()
    app.router.add_post("/declarations", endpoint)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/declarations"
    try:
        async with (
            GatewayServer(gateway_config(tmp_path, url)) as server,
            aiohttp.ClientSession() as http,
        ):
            for path in sorted(SAMPLES.glob("*.xml")):
                async with http.post(
                    f"{server.url}/v1/feeds/upu-itmatt/messages", data=path.read_bytes()
                ) as response:
                    assert response.status == 202
            assert server.gateway is not None
            deadline = time.monotonic() + 10
            while await server.gateway.store.queue_depths():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()
    text = log_stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any(line.get("message_id") for line in lines)
    assert any(line.get("item_id") for line in lines)
    leaked = sorted(value for value in _personal_values() if value in text)
    assert leaked == [], f"personal data in the logs: {leaked}"
    assert "Oliver Bennett" in "".join(_personal_values()), "the check looks for real values"
