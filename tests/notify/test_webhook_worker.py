"""The webhook worker against a real SQLite store and a real receiver on loopback: signed,
retried like deliveries, dead-lettered with the reason, in order per item, and durable across
a restart."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog.testing

from gateway.delivery.breaker import CircuitBreaker
from gateway.delivery.retry import RetryPolicy
from gateway.delivery.transport import AiohttpTransport
from gateway.delivery.worker import EndpointWorker
from gateway.notify import WebhookOutbox, WebhookPartner, signed_request, webhook_worker
from gateway.service.metrics import Metrics
from gateway.store.base import ClaimedDelivery, ItemView
from gateway.store.sqlite import SqliteStore
from tests.notify.conftest import (
    SECRET,
    Receiver,
    apply_outcomes,
    outcome,
    start_receiver,
    submitted_items,
)
from tests.service.conftest import free_port

FAST = RetryPolicy(base_delay=0.01, max_delay=0.02, max_attempts=5, max_age=60)


@asynccontextmanager
async def running(
    store: SqliteStore,
    url: str,
    *,
    secret: str = SECRET,
    policy: RetryPolicy = FAST,
    metrics: Metrics | None = None,
) -> AsyncIterator[EndpointWorker]:
    partner = WebhookPartner("post-a", url, secret.encode(), policy, timeout=2, concurrency=4)
    transport = AiohttpTransport()
    worker = webhook_worker(
        partner,
        store,
        transport,
        observer=(metrics or Metrics()).webhook_observer(),
        rng=random.Random(1),
        idle_poll=0.05,
    )
    worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
        await transport.close()


async def _item(store: SqliteStore, reference: str) -> ItemView:
    return (await store.find_items(reference))[0]


async def _settled(store: SqliteStore, reference: str, status: str) -> ItemView:
    deadline = time.monotonic() + 5
    while True:
        item = await _item(store, reference)
        if item.webhooks and all(w.status == status for w in item.webhooks):
            return item
        assert time.monotonic() < deadline, item.webhooks
        await asyncio.sleep(0.01)


async def test_signed_event_reaches_a_verifying_receiver(
    store: SqliteStore, receiver: Receiver
) -> None:
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "released")])
    metrics = Metrics()
    with structlog.testing.capture_logs() as logs:
        async with running(store, receiver.url, metrics=metrics):
            item = await _settled(store, "RR1", "sent")
    attempts = [line for line in logs if line["event"] == "webhook.attempt"]
    assert [(line.get("partner"), "endpoint" in line) for line in attempts] == [("post-a", False)]
    assert receiver.refusals == []
    [event] = receiver.events
    assert event["id"] == item.webhooks[0].event_id
    assert event["data"]["outcome"] == "released" and event["data"]["item_id"] == "m1-i0"
    assert item.webhooks[0].attempts == 1
    assert (
        metrics.counter_value("gateway_webhook_attempts_total", partner="post-a", outcome="sent")
        == 1
    )


async def test_failing_webhook_is_retried_then_sent_once(
    store: SqliteStore, receiver: Receiver
) -> None:
    """500, 503, 429 then 204: one event taken, four attempts, each in the trail."""
    receiver.statuses = [500, 503, 429]
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")])
    metrics = Metrics()
    async with running(store, receiver.url, metrics=metrics):
        item = await _settled(store, "RR1", "sent")
    assert len(receiver.events) == 1
    assert receiver.attempts == 4
    assert len(set(receiver.event_ids)) == 1, "every attempt carries the same event ID"
    assert item.webhooks[0].attempts == 4
    assert [(a.attempt, a.outcome, a.status_code) for a in item.webhook_attempts] == [
        (1, "retry", 500),
        (2, "retry", 503),
        (3, "retry", 429),
        (4, "sent", 204),
    ]
    assert item.webhook_attempts[0].detail == "HTTP 500: answer 500"
    count = metrics.counter_value
    assert count("gateway_webhook_attempts_total", partner="post-a", outcome="retry") == 3
    assert count("gateway_webhook_attempts_total", partner="post-a", outcome="sent") == 1


async def test_permanent_refusal_is_dead_with_the_reason(
    store: SqliteStore, receiver: Receiver
) -> None:
    receiver.statuses = [400]
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")])
    metrics = Metrics()
    async with running(store, receiver.url, metrics=metrics):
        item = await _settled(store, "RR1", "dead")
    assert receiver.attempts == 1, "a permanent refusal is not retried"
    error = item.webhooks[0].last_error or ""
    assert error.startswith("Gave up delivering to the webhook of partner 'post-a'")
    assert "HTTP 400: answer 400" in error
    assert (
        metrics.counter_value("gateway_webhook_attempts_total", partner="post-a", outcome="dead")
        == 1
    )


async def test_receiver_with_another_secret_refuses_and_the_event_is_dead(
    store: SqliteStore, receiver: Receiver
) -> None:
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")])
    async with running(store, receiver.url, secret="not-the-secret"):
        item = await _settled(store, "RR1", "dead")
    assert receiver.attempts == 1 and "does not match" in receiver.refusals[0]
    assert "HTTP 401" in (item.webhooks[0].last_error or "")


async def test_webhook_that_keeps_failing_is_dead_after_max_attempts(
    store: SqliteStore, receiver: Receiver
) -> None:
    receiver.statuses = [503] * 10
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")])
    policy = RetryPolicy(base_delay=0.01, max_delay=0.02, max_attempts=3, max_age=60)
    async with running(store, receiver.url, policy=policy):
        item = await _settled(store, "RR1", "dead")
    assert receiver.attempts == 3
    assert "3 attempts failed (the limit is 3)" in (item.webhooks[0].last_error or "")


async def test_unreachable_webhook_is_retried_as_a_transient_failure(store: SqliteStore) -> None:
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")])
    policy = RetryPolicy(base_delay=0.01, max_delay=0.02, max_attempts=2, max_age=60)
    async with running(store, f"http://127.0.0.1:{free_port()}/hook", policy=policy):
        item = await _settled(store, "RR1", "dead")
    assert [a.outcome for a in item.webhook_attempts] == ["retry", "dead"]
    assert "could not be reached" in (item.webhooks[0].last_error or "")


async def test_a_later_outcome_never_overtakes_an_earlier_one(
    store: SqliteStore, receiver: Receiver
) -> None:
    """accepted fails twice; released, already due, waits for it (concurrency is 4)."""
    receiver.statuses = [503, 503]
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")])
    await apply_outcomes(store, [outcome("RR1", "released")])
    async with running(store, receiver.url):
        item = await _settled(store, "RR1", "sent")
    accepted, released = (w.event_id for w in item.webhooks)
    assert [e["data"]["outcome"] for e in receiver.events] == ["accepted", "released"]
    assert receiver.event_ids == [accepted, accepted, accepted, released]


async def test_pending_events_are_sent_once_after_a_restart(tmp_path: Path) -> None:
    """Events pending when the worker and store stop are sent by the next run on the same
    file: none lost, none sent twice once acknowledged."""
    path = tmp_path / "gateway.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/customs"
    slow = RetryPolicy(base_delay=0.01, max_delay=0.02, max_attempts=10_000, max_age=600)
    async with SqliteStore(path) as store:
        await submitted_items(store, "post-a", ["RR1", "RR2", "RR3"])
        await apply_outcomes(store, [outcome(r, "accepted") for r in ("RR1", "RR2", "RR3")])
        await apply_outcomes(store, [outcome("RR1", "released")])
        async with running(store, url, policy=slow):  # nobody listens: every attempt fails
            deadline = time.monotonic() + 5
            while len((await _item(store, "RR1")).webhook_attempts) < 2:
                assert time.monotonic() < deadline, "no attempt was made"
                await asyncio.sleep(0.01)
        pending = await store.webhook_queue_depths()
    assert pending == {"post-a": 4}

    receiver = Receiver()
    _runner, cleanup = await start_receiver(receiver, port)
    try:
        async with SqliteStore(path) as store:
            await store.release_webhook_leases(time.time())
            async with running(store, url, policy=slow):
                await receiver.until(lambda: len(receiver.events) == 4)
                for reference in ("RR1", "RR2", "RR3"):
                    await _settled(store, reference, "sent")
            item = await _item(store, "RR1")
        async with SqliteStore(path) as store:
            assert await store.webhook_queue_depths() == {}
            assert await store.claim_webhooks("post-a", 100, 30, time.time() + 3600) == []
    finally:
        await cleanup()
    ids = [e["id"] for e in receiver.events]
    assert len(ids) == len(set(ids)) == 4, "each event taken once"
    assert [e["data"]["outcome"] for e in receiver.events if e["data"]["item_id"] == "m1-i0"] == [
        "accepted",
        "released",
    ]
    attempts = [a.attempt for a in item.webhook_attempts if a.event_id == item.webhooks[0].event_id]
    assert attempts == list(range(1, len(attempts) + 1)) and len(attempts) >= 2, (
        "the attempt count carried on across the restart"
    )


class _SlowClaims(WebhookOutbox):
    """Holds each claim's rows, once committed, until ``gate`` opens."""

    def __init__(self, store: SqliteStore, partner: str) -> None:
        super().__init__(store, partner)
        self.claimed = asyncio.Event()
        self.gate = asyncio.Event()

    async def claim(self, limit: int, lease_seconds: float, now: float) -> list[ClaimedDelivery]:
        rows = await super().claim(limit, lease_seconds, now)
        if rows:
            self.claimed.set()
            await self.gate.wait()
        return rows


async def test_stopping_during_a_claim_sends_what_was_claimed(
    store: SqliteStore, receiver: Receiver
) -> None:
    """The store commits a claim even when its caller is cancelled; stopping lets the claim
    finish and sends its rows, so no attempt is counted that was never made."""
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")])
    partner = WebhookPartner("post-a", receiver.url, SECRET.encode(), FAST, timeout=2)
    outbox = _SlowClaims(store, "post-a")
    transport = AiohttpTransport()
    worker = EndpointWorker(
        "post-a",
        receiver.url,
        store,
        transport,
        policy=FAST,
        breaker=CircuitBreaker(5, 10, time.monotonic),
        outbox=outbox,
        build_request=signed_request(partner),
        idle_poll=0.05,
    )
    worker.start()
    try:
        await outbox.claimed.wait()
        stopping = asyncio.create_task(worker.stop())
        await asyncio.sleep(0)
        outbox.gate.set()
        await stopping
    finally:
        await transport.close()
    [item] = await store.find_items("RR1")
    assert len(receiver.events) == 1
    assert (item.webhooks[0].status, item.webhooks[0].attempts) == ("sent", 1)
