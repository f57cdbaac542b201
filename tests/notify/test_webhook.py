"""Outcome webhooks: event content, signed delivery to a real receiver, bounded retries."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web

from gateway.errors import PermanentDeliveryError, TransientDeliveryError
from gateway.notify import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    WebhookNotifier,
    WebhookPartner,
    backoff_delay,
    build_outcome_event,
    encode_event,
    verify_signature,
)
from gateway.responses import CustomsOutcome

SECRET = "s3cret-for-tests"
OUTCOME = CustomsOutcome("LRN-42", "released", None, "25GB0123456789ABCD",
                         "2025-01-31T11:36:14Z", "09")


@dataclass
class Receiver:
    """A partner's webhook endpoint that verifies signatures like a partner should."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)  # answers to give, then 200
    events: list[dict[str, object]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    attempts: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def handle(request: web.Request) -> web.Response:
        state.attempts += 1
        body = await request.read()
        try:
            verify_signature(SECRET.encode(), body, request.headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            state.refusals.append(str(exc))
            return web.Response(status=401)
        if state.statuses:
            return web.Response(status=state.statuses.pop(0))
        event = json.loads(body)
        assert request.headers[EVENT_ID_HEADER] == event["id"]
        state.events.append(event)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks/customs", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks/customs"
    yield state
    await runner.cleanup()


def test_event_carries_ids_and_outcome_only() -> None:
    moment = datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    event = build_outcome_event(OUTCOME, item_id="RR123456785GB", message_id="m-1",
                                feed="upu-itmatt", destination="uk-cds", event_id="e-1",
                                occurred_at=moment)
    assert event == {
        "id": "e-1",
        "type": "item.customs_outcome",
        "created_at": "2025-02-01T08:00:00Z",
        "data": {
            "item_id": "RR123456785GB",
            "message_id": "m-1",
            "feed": "upu-itmatt",
            "destination": "uk-cds",
            "declaration_ref": "LRN-42",
            "customs_reference": "25GB0123456789ABCD",
            "outcome": "released",
            "customs_issued_at": "2025-01-31T11:36:14Z",
            "customs_function_code": "09",
        },
    }
    assert json.loads(encode_event(event)) == event


async def test_signed_event_reaches_a_verifying_receiver(receiver: Receiver) -> None:
    partner = WebhookPartner("post-a", receiver.url, SECRET)
    event = build_outcome_event(OUTCOME, item_id="RR123456785GB")
    async with WebhookNotifier() as notifier:
        await notifier.notify(partner, event)
    assert receiver.refusals == []
    assert receiver.events == [event]


async def test_receiver_refuses_a_wrongly_signed_event(receiver: Receiver) -> None:
    """The 401 from a receiver whose secret differs is permanent: no retries."""
    partner = WebhookPartner("post-a", receiver.url, "not-the-secret")
    async with WebhookNotifier(max_attempts=5) as notifier:
        with pytest.raises(PermanentDeliveryError, match="HTTP 401"):
            await notifier.notify(partner, build_outcome_event(OUTCOME, item_id="X"))
    assert receiver.attempts == 1
    assert "does not match" in receiver.refusals[0]


async def test_failing_webhook_is_retried_with_backoff_until_it_succeeds(
    receiver: Receiver,
) -> None:
    receiver.statuses = [503, 500, 429]
    delays: list[float] = []

    async def record_sleep(seconds: float) -> None:
        delays.append(seconds)

    notifier = WebhookNotifier(max_attempts=5, base_delay=1.0, max_delay=60, sleep=record_sleep,
                               rng=lambda: 1.0)
    async with notifier:
        await notifier.notify(WebhookPartner("p", receiver.url, SECRET),
                              build_outcome_event(OUTCOME, item_id="X"))
    assert receiver.attempts == 4
    assert len(receiver.events) == 1
    assert delays == [1.0, 2.0, 4.0]


async def test_webhook_that_keeps_failing_gives_up_after_max_attempts(
    receiver: Receiver,
) -> None:
    receiver.statuses = [503] * 10

    async def no_sleep(seconds: float) -> None:
        return None

    async with WebhookNotifier(max_attempts=3, sleep=no_sleep) as notifier:
        with pytest.raises(TransientDeliveryError, match="after 3 attempts; last, it answered HTTP 503"):
            await notifier.notify(WebhookPartner("p", receiver.url, SECRET),
                                  build_outcome_event(OUTCOME, item_id="X"))
    assert receiver.attempts == 3


async def test_unreachable_webhook_is_a_transient_failure() -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    async with WebhookNotifier(max_attempts=2, sleep=no_sleep, timeout=2) as notifier:
        with pytest.raises(TransientDeliveryError, match="request failed"):
            await notifier.notify(WebhookPartner("p", "http://127.0.0.1:9/none", SECRET),
                                  build_outcome_event(OUTCOME, item_id="X"))


async def test_partner_without_webhook_is_skipped_and_without_secret_refused() -> None:
    async with WebhookNotifier() as notifier:
        await notifier.notify(WebhookPartner("pull-only", None, None), {"id": "e"})
        with pytest.raises(PermanentDeliveryError, match="no webhook secret"):
            await notifier.notify(WebhookPartner("p", "http://127.0.0.1:9/", None), {"id": "e"})


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (10, 30.0)])
def test_backoff_is_exponential_with_full_jitter_and_capped(attempt: int, ceiling: float) -> None:
    assert backoff_delay(attempt, base=0.5, cap=30.0, rng=lambda: 1.0) == ceiling
    assert backoff_delay(attempt, base=0.5, cap=30.0, rng=lambda: 0.0) == 0.0
    assert 0 <= backoff_delay(attempt, base=0.5, cap=30.0) <= ceiling
