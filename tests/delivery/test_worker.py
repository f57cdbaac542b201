"""The endpoint worker against a real SQLite store and an in-memory transport."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from gateway.delivery.breaker import CircuitBreaker, CircuitState
from gateway.delivery.retry import RetryPolicy
from gateway.delivery.transport import MockTransport, TransportRequest, TransportResponse
from gateway.delivery.worker import EndpointWorker
from gateway.errors import TransientDeliveryError
from gateway.lifecycle import ItemState
from gateway.store.base import NewDelivery, NewItem, NewMessage
from gateway.store.sqlite import SqliteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with SqliteStore(tmp_path / "gateway.db") as store:
        yield store


async def _enqueue(store: SqliteStore, count: int, *, consignment: str | None = None) -> None:
    items = tuple(
        NewItem(
            f"i{n}",
            n,
            f"RR{n}",
            consignment,
            b"<Declaration/>",
            True,
            (),
            (NewDelivery("ep", "uk-cds", f"key{n}", consignment or f"RR{n}", f"<d{n}/>".encode()),),
        )
        for n in range(count)
    )
    await store.save_message(
        NewMessage(
            "m1",
            "upu-itmatt",
            "s",
            None,
            "h",
            b"<raw/>",
            time.time(),
            "accepted",
            202,
            {},
            (),
            items,
        )
    )


def _worker(store: SqliteStore, transport: MockTransport, **kwargs: object) -> EndpointWorker:
    options: dict[str, object] = {
        "policy": RetryPolicy(base_delay=0.01, max_delay=0.02, max_attempts=3, max_age=60),
        "breaker": CircuitBreaker(50, 0.2, time.monotonic),
        "concurrency": 4,
        "rng": random.Random(1),
        "idle_poll": 0.05,
    }
    options.update(kwargs)
    return EndpointWorker("ep", "http://endpoint.invalid/declarations", store, transport, **options)  # type: ignore[arg-type]


async def _until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():  # type: ignore[misc]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_delivers_every_row_with_its_idempotency_key(store: SqliteStore) -> None:
    await _enqueue(store, 10)
    transport = MockTransport(lambda request: TransportResponse(202, b"ok"))
    worker = _worker(store, transport)
    worker.start()

    async def drained() -> bool:
        return await store.queue_depths() == {}

    await _until(drained)
    await worker.stop()
    assert sorted(r.headers["Idempotency-Key"] for r in transport.requests) == sorted(
        f"key{n}" for n in range(10)
    )
    items = await store.find_items("RR3")
    assert items[0].state == ItemState.SUBMITTED


async def test_transient_failures_are_retried_then_delivered(store: SqliteStore) -> None:
    await _enqueue(store, 1)
    answers = iter([TransportResponse(503, b"busy"), None, TransportResponse(202)])

    def handler(request: TransportRequest) -> TransportResponse:
        answer = next(answers)
        if answer is None:
            raise TransientDeliveryError("The endpoint did not answer within 1 s.")
        return answer

    worker = _worker(store, MockTransport(handler))
    worker.start()

    async def delivered() -> bool:
        return (await store.find_items("RR0"))[0].state == ItemState.SUBMITTED

    await _until(delivered)
    await worker.stop()
    item = (await store.find_items("RR0"))[0]
    assert [a.outcome for a in item.attempts] == ["retry", "retry", "delivered"]
    assert [a.attempt for a in item.attempts] == [1, 2, 3]
    assert item.attempts[0].detail == "HTTP 503: busy"


async def test_permanent_refusal_is_dead_lettered_with_the_endpoint_reason(
    store: SqliteStore,
) -> None:
    await _enqueue(store, 1)
    transport = MockTransport(
        lambda request: TransportResponse(400, b'{"detail": "The EORI GB0 is not registered."}')
    )
    worker = _worker(store, transport)
    worker.start()

    async def dead() -> bool:
        return (await store.find_items("RR0"))[0].state == ItemState.DEAD_LETTERED

    await _until(dead)
    await worker.stop()
    item = (await store.find_items("RR0"))[0]
    assert len(transport.requests) == 1
    assert "The EORI GB0 is not registered." in (item.deliveries[0].last_error or "")


async def test_too_many_transient_failures_dead_letter(store: SqliteStore) -> None:
    await _enqueue(store, 1)
    transport = MockTransport(lambda request: TransportResponse(500, b"down"))
    worker = _worker(store, transport)
    worker.start()

    async def dead() -> bool:
        return (await store.find_items("RR0"))[0].state == ItemState.DEAD_LETTERED

    await _until(dead)
    await worker.stop()
    item = (await store.find_items("RR0"))[0]
    assert len(transport.requests) == 3
    assert "3 attempts failed" in (item.deliveries[0].last_error or "")


async def test_breaker_opens_and_stops_sending(store: SqliteStore) -> None:
    await _enqueue(store, 20)
    transport = MockTransport(lambda request: TransportResponse(503))
    breaker = CircuitBreaker(3, 60.0, time.monotonic)
    worker = _worker(
        store,
        transport,
        breaker=breaker,
        concurrency=1,
        policy=RetryPolicy(base_delay=0.001, max_delay=0.001, max_attempts=100),
    )
    worker.start()
    await asyncio.sleep(0.5)
    await worker.stop()
    assert worker.circuit is CircuitState.OPEN
    assert len(transport.requests) == 3


async def test_concurrency_is_bounded(store: SqliteStore) -> None:
    await _enqueue(store, 30)
    active = 0
    peak = 0

    async def handler(request: TransportRequest) -> TransportResponse:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return TransportResponse(202)

    worker = _worker(store, MockTransport(handler), concurrency=4)
    worker.start()

    async def drained() -> bool:
        return await store.queue_depths() == {}

    await _until(drained)
    await worker.stop()
    assert 1 < peak <= 4


async def test_a_redirect_is_not_followed_and_dead_letters_with_where_it_pointed(
    store: SqliteStore,
) -> None:
    """A real endpoint on loopback answers 302; the GET it points to would answer 200.

    Followed, the POST would become a GET and the declaration would count as delivered
    without ever arriving; the gateway takes the redirect as a refusal naming the address.
    """
    from aiohttp import web

    from gateway.delivery.transport import AiohttpTransport

    gets: list[str] = []

    async def moved(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        gets.append(request.method)
        return web.Response(status=200, text="fine")

    app = web.Application()
    app.router.add_post("/declarations", moved)
    app.router.add_route("*", "/elsewhere", elsewhere)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    transport = AiohttpTransport()
    try:
        await _enqueue(store, 1)
        worker = EndpointWorker(
            "ep",
            f"http://127.0.0.1:{port}/declarations",
            store,
            transport,
            policy=RetryPolicy(base_delay=0.01, max_delay=0.02, max_attempts=3, max_age=60),
            breaker=CircuitBreaker(50, 0.2, time.monotonic),
            concurrency=1,
            rng=random.Random(1),
            idle_poll=0.05,
        )
        worker.start()

        async def dead() -> bool:
            return (await store.find_items("RR0"))[0].state == ItemState.DEAD_LETTERED

        await _until(dead)
        await worker.stop()
    finally:
        await transport.close()
        await runner.cleanup()
    item = (await store.find_items("RR0"))[0]
    assert gets == []
    reason = item.deliveries[0].last_error or ""
    assert "HTTP 302" in reason and "/elsewhere" in reason and "does not follow" in reason
