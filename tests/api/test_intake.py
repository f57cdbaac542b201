"""Load shedding: a message beyond what the gateway takes in at once gets 503 and Retry-After,
nothing of it is stored, and the same message sent again is taken once there is room."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.service.intake import IntakeGate
from gateway.store.base import MessageFilter
from tests.api.conftest import Running
from tests.service.conftest import sample

FEED = "/v1/feeds/upu-itmatt/messages"


def test_gate_counts_messages_and_bytes_and_lets_a_lone_message_through() -> None:
    gate = IntakeGate(max_messages=2, max_bytes=100)
    assert gate.refusal(500) is None, "a message on its own is always taken, whatever its size"
    with gate.holding(60):
        refusal = gate.refusal(50)
        assert refusal is not None and "60 bytes" in refusal and "limit of 100" in refusal
        assert gate.refusal(40) is None
        with gate.holding(40):
            refusal = gate.refusal(0)
            assert refusal is not None and "2 messages" in refusal
        assert (gate.messages, gate.bytes) == (1, 60)
    assert (gate.messages, gate.bytes) == (0, 0)
    with pytest.raises(RuntimeError), gate.holding(10):
        raise RuntimeError("a failing ingest still gives its place back")
    assert (gate.messages, gate.bytes) == (0, 0)


async def _stored_messages(running: Running) -> int:
    assert running.server.gateway is not None
    return len(await running.server.gateway.store.select_messages(MessageFilter(limit=1000)))


async def test_a_full_gate_answers_503_and_stores_nothing(running: Running) -> None:
    gateway = running.server.gateway
    assert gateway is not None
    body = sample("cn-to-gb-small.xml")
    gateway.intake.messages = gateway.intake.max_messages  # as if that many were in flight
    async with running.http.post(running.url + FEED, data=body) as response:
        assert response.status == 503
        assert response.headers["Retry-After"] == "1"
        assert response.content_type == "application/problem+json"
        problem = await response.json(content_type=None)
    assert problem["type"].endswith("overloaded")
    assert "Nothing of it was stored" in problem["detail"]
    assert await _stored_messages(running) == 0
    assert gateway.metrics.counter_value(
        "gateway_messages_total", feed="upu-itmatt", outcome="overloaded"
    )
    gateway.intake.messages = 0
    async with running.http.post(running.url + FEED, data=body) as response:
        assert response.status == 202
    assert await _stored_messages(running) == 1


async def test_senders_that_retry_on_503_get_every_message_taken_once(running: Running) -> None:
    """Twenty messages at once through a gate of two: each sender sends again after a 503,
    and in the end every message is stored exactly once (the gate gives every place back)."""
    gateway = running.server.gateway
    assert gateway is not None
    gateway.intake.max_messages = 2
    bodies = [
        sample("cn-to-gb-small.xml").replace(b"<MessageNumber>", f"<MessageNumber>M{n}-".encode())
        for n in range(20)
    ]
    assert all(b"<MessageNumber>M" in body for body in bodies)
    refused = 0

    async def send(body: bytes) -> None:
        nonlocal refused
        deadline = time.monotonic() + 30
        while True:
            async with running.http.post(running.url + FEED, data=body) as response:
                if response.status == 202:
                    return
                assert response.status == 503, response.status
                refused += 1
            assert time.monotonic() < deadline, "the gate never let the message in"
            await asyncio.sleep(0.01)

    await asyncio.gather(*(send(body) for body in bodies))
    assert refused > 0, "twenty at once through a gate of two: some were turned away"
    assert await _stored_messages(running) == len(bodies)
    assert (gateway.intake.messages, gateway.intake.bytes) == (0, 0)
