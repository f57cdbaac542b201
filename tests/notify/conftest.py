"""Shared set-up for webhook tests: a real SQLite store, submitted items, a verifying receiver."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gateway.notify import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    OutcomeEvents,
    SignatureError,
    verify_signature,
)
from gateway.responses import CustomsOutcome
from gateway.store.base import (
    AppliedOutcome,
    AttemptOutcome,
    AttemptResult,
    NewDelivery,
    NewItem,
    NewMessage,
    OutcomeRecord,
)
from gateway.store.sqlite import SqliteStore

SECRET = "s3cret-for-tests"


def outcome(reference: str, name: str) -> CustomsOutcome:
    return CustomsOutcome(reference, name, None, "25GB0123456789ABCD", "2025-01-31T11:36:14Z", "09")


async def submitted_items(
    store: SqliteStore, sender: str, references: Sequence[str], *, message_id: str = "m1"
) -> None:
    """Items of ``sender`` delivered to the endpoint ``uk-cds`` (so customs outcomes apply)."""
    items = tuple(
        NewItem(
            f"{message_id}-i{n}",
            n,
            reference,
            None,
            b"<Declaration/>",
            True,
            (),
            (NewDelivery("uk-cds", "uk-cds", f"key-{reference}", reference, b"<d/>"),),
        )
        for n, reference in enumerate(references)
    )
    now = time.time()
    await store.save_message(
        NewMessage(
            message_id,
            "upu-itmatt",
            sender,
            None,
            "h",
            b"<raw/>",
            now,
            "accepted",
            202,
            {},
            (),
            items,
        )
    )
    for claimed in await store.claim_deliveries("uk-cds", 100, 30, now):
        await store.finish_attempt(
            AttemptResult(claimed.delivery_id, 1, AttemptOutcome.DELIVERED, now, now, 202)
        )


async def apply_outcomes(
    store: SqliteStore,
    outcomes: Sequence[CustomsOutcome],
    *,
    partners: Sequence[str] = ("post-a",),
    at: float | None = None,
) -> tuple[list[AppliedOutcome], OutcomeEvents]:
    """Apply outcomes from ``uk-cds`` as the service does, with webhook events for ``partners``."""
    moment = time.time() if at is None else at
    events = OutcomeEvents(outcomes, destination="uk-cds", partners=partners, at=moment)
    records = [OutcomeRecord(o.declaration_ref, o.outcome, o.reason, moment) for o in outcomes]
    return await store.record_outcomes("uk-cds", records, None, events), events


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with SqliteStore(tmp_path / "gateway.db") as store:
        yield store


@dataclass
class Receiver:
    """A partner's webhook endpoint that verifies signatures like a partner should."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    """Answers to give, in turn, before answering 204."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """Events taken (answered 2xx), in the order they arrived."""
    event_ids: list[str] = field(default_factory=list)
    """The Gateway-Event-Id header of every request, answered or not."""
    refusals: list[str] = field(default_factory=list)
    attempts: int = 0
    delay: float = 0.0

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"not reached in time; events: {self.events}"
            await asyncio.sleep(0.01)


async def start_receiver(
    state: Receiver, port: int = 0
) -> tuple[web.AppRunner, Callable[[], Awaitable[None]]]:
    async def handle(request: web.Request) -> web.Response:
        state.attempts += 1
        body = await request.read()
        state.event_ids.append(request.headers.get(EVENT_ID_HEADER, ""))
        try:
            verify_signature(SECRET.encode(), body, request.headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            state.refusals.append(str(exc))
            return web.Response(status=401, text=str(exc))
        if state.delay:
            await asyncio.sleep(state.delay)
        if state.statuses:
            status = state.statuses.pop(0)
            return web.Response(status=status, text=f"answer {status}")
        event = json.loads(body)
        assert request.headers[EVENT_ID_HEADER] == event["id"]
        assert request.headers["Content-Type"] == "application/json"
        state.events.append(event)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks/customs", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks/customs"
    return runner, runner.cleanup


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    _runner, cleanup = await start_receiver(state)
    yield state
    await cleanup()
