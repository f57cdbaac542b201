"""The webhook outbox in the SQLite store: written with the outcome, claimed under a lease, in
order per item, every attempt recorded in the item's trail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.lifecycle import ItemState
from gateway.store.base import (
    AttemptOutcome,
    AttemptResult,
    NewWebhookEvent,
    OutcomeRecord,
    OutcomeSubject,
)
from gateway.store.sqlite import SqliteStore
from tests.notify.conftest import apply_outcomes, outcome, submitted_items


async def test_events_are_written_with_the_outcome_for_partners_with_a_webhook(
    store: SqliteStore,
) -> None:
    await submitted_items(store, "post-a", ["RR1"])
    await submitted_items(store, "pull-only", ["RR2"], message_id="m2")
    applied, events = await apply_outcomes(
        store,
        [outcome("RR1", "accepted"), outcome("RR2", "accepted"), outcome("RR1", "acknowledged")],
        at=300.0,
    )
    assert [a.applied for a in applied] == [True, True, False]
    assert events.partners_told == {"post-a"}
    assert await store.webhook_queue_depths() == {"post-a": 1}
    [item] = await store.find_items("RR1")
    assert item.state == ItemState.ACCEPTED
    [webhook] = item.webhooks
    assert (webhook.partner, webhook.outcome, webhook.status, webhook.attempts) == (
        "post-a",
        "accepted",
        "pending",
        0,
    )
    assert webhook.created_at == 300.0
    assert (await store.find_items("RR2"))[0].webhooks == ()


async def test_event_and_state_change_are_one_transaction(store: SqliteStore) -> None:
    """A factory that fails undoes the item's new state too: neither is kept without the other."""
    await submitted_items(store, "post-a", ["RR1"])

    def broken(subject: OutcomeSubject) -> NewWebhookEvent | None:
        raise RuntimeError("the event cannot be made")

    with pytest.raises(StoreError, match="the event cannot be made"):
        await store.record_outcomes(
            "uk-cds", [OutcomeRecord("RR1", "accepted", None, 300.0)], None, broken
        )
    [item] = await store.find_items("RR1")
    assert item.state == ItemState.SUBMITTED and item.webhooks == ()
    assert item.responses == ()


async def test_claim_counts_the_attempt_and_leases_the_event(store: SqliteStore) -> None:
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")], at=300.0)
    [claimed] = await store.claim_webhooks("post-a", 10, lease_seconds=30, now=301.0)
    assert claimed.attempt == 1 and claimed.lease_until == 331.0
    assert claimed.endpoint == "post-a" and claimed.content_type == "application/json"
    assert json.loads(claimed.body)["id"] == claimed.idempotency_key
    assert await store.claim_webhooks("post-a", 10, 30, now=320.0) == [], "leased"
    assert await store.claim_webhooks("post-b", 10, 30, now=400.0) == [], "another partner's"
    [again] = await store.claim_webhooks("post-a", 10, 30, now=331.0)
    assert again.attempt == 2, "an expired lease makes the event claimable again"


async def test_a_later_event_of_an_item_waits_for_the_earlier_one(store: SqliteStore) -> None:
    """Order per item: released is not claimed while accepted is pending (leased or retrying);
    another item's event is not held up."""
    await submitted_items(store, "post-a", ["RR1", "RR2"])
    await apply_outcomes(store, [outcome("RR1", "accepted")], at=300.0)
    await apply_outcomes(store, [outcome("RR1", "released"), outcome("RR2", "accepted")], at=301.0)
    first = await store.claim_webhooks("post-a", 10, 30, now=302.0)
    assert [(c.item_id, json.loads(c.body)["data"]["outcome"]) for c in first] == [
        ("m1-i0", "accepted"),
        ("m1-i1", "accepted"),
    ]
    assert await store.next_webhook_due("post-a") == 332.0, "the waiting event is not counted"
    rr1 = first[0]
    await store.finish_webhook(
        AttemptResult(
            rr1.delivery_id,
            1,
            AttemptOutcome.RETRY,
            302,
            303,
            503,
            "HTTP 503",
            next_attempt_at=310.0,
        )
    )
    assert await store.claim_webhooks("post-a", 10, 30, now=305.0) == []
    [retried] = await store.claim_webhooks("post-a", 10, 30, now=310.0)
    assert retried.delivery_id == rr1.delivery_id and retried.attempt == 2
    await store.finish_webhook(
        AttemptResult(retried.delivery_id, 2, AttemptOutcome.DELIVERED, 310, 311, 204)
    )
    [released] = await store.claim_webhooks("post-a", 10, 30, now=311.0)
    assert json.loads(released.body)["data"]["outcome"] == "released"


async def test_attempts_and_final_status_are_in_the_item_trail(store: SqliteStore) -> None:
    await submitted_items(store, "post-a", ["RR1", "RR2"])
    await apply_outcomes(store, [outcome("RR1", "accepted"), outcome("RR2", "accepted")], at=300.0)
    by_item = {c.item_id: c for c in await store.claim_webhooks("post-a", 10, 30, now=301.0)}
    await store.finish_webhook(
        AttemptResult(by_item["m1-i0"].delivery_id, 1, AttemptOutcome.DELIVERED, 301, 302, 204)
    )
    await store.finish_webhook(
        AttemptResult(
            by_item["m1-i1"].delivery_id,
            1,
            AttemptOutcome.DEAD,
            301,
            302,
            400,
            "HTTP 400: unknown item",
        )
    )
    assert await store.webhook_queue_depths() == {}
    [sent] = await store.find_items("RR1")
    [dead] = await store.find_items("RR2")
    assert (sent.webhooks[0].status, sent.webhooks[0].sent_at) == ("sent", 302)
    assert [(a.attempt, a.outcome, a.status_code) for a in sent.webhook_attempts] == [
        (1, "sent", 204)
    ]
    assert dead.webhooks[0].status == "dead"
    assert dead.webhooks[0].last_error == "HTTP 400: unknown item"
    assert dead.state == ItemState.ACCEPTED, "a webhook given up does not touch the item's state"
    assert dead.webhook_attempts[0].event_id == dead.webhooks[0].event_id


async def test_a_stale_attempt_does_not_overwrite_the_newer_one(store: SqliteStore) -> None:
    """An attempt whose lease ran out reports late: recorded in the trail, row left alone."""
    await submitted_items(store, "post-a", ["RR1"])
    await apply_outcomes(store, [outcome("RR1", "accepted")], at=300.0)
    [old] = await store.claim_webhooks("post-a", 10, 5, now=301.0)
    [new] = await store.claim_webhooks("post-a", 10, 30, now=307.0)
    await store.finish_webhook(
        AttemptResult(old.delivery_id, 1, AttemptOutcome.DEAD, 301, 308, 400, "late refusal")
    )
    [item] = await store.find_items("RR1")
    assert item.webhooks[0].status == "pending" and item.webhooks[0].attempts == 2
    await store.finish_webhook(
        AttemptResult(new.delivery_id, 2, AttemptOutcome.DELIVERED, 307, 309, 204)
    )
    [item] = await store.find_items("RR1")
    assert item.webhooks[0].status == "sent"
    assert [a.outcome for a in item.webhook_attempts] == ["dead", "sent"]


async def test_release_webhook_leases_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    async with SqliteStore(path) as store:
        await submitted_items(store, "post-a", ["RR1"])
        await apply_outcomes(store, [outcome("RR1", "accepted")], at=300.0)
        await store.claim_webhooks("post-a", 10, lease_seconds=300, now=301.0)
    async with SqliteStore(path) as store:
        assert await store.claim_webhooks("post-a", 10, 300, now=302.0) == []
        assert await store.release_webhook_leases(now=302.0) == 1
        [again] = await store.claim_webhooks("post-a", 10, 300, now=302.0)
    assert again.attempt == 2, "the attempt count survived the restart"


async def test_events_of_a_partner_without_a_webhook_any_more_are_given_up(
    store: SqliteStore,
) -> None:
    """Nothing would ever send them: they end dead with the reason, the others stay pending."""
    await submitted_items(store, "post-a", ["RR1"])
    await submitted_items(store, "post-b", ["RR2", "RR3"], message_id="m2")
    await apply_outcomes(
        store,
        [outcome("RR1", "accepted"), outcome("RR2", "accepted"), outcome("RR3", "accepted")],
        partners=("post-a", "post-b"),
        at=300.0,
    )
    assert await store.webhook_queue_depths() == {"post-a": 1, "post-b": 2}
    assert await store.give_up_webhooks({"post-a"}, now=400.0) == {"post-b": 2}
    assert await store.webhook_queue_depths() == {"post-a": 1}
    for reference in ("RR2", "RR3"):
        [item] = await store.find_items(reference)
        [webhook] = item.webhooks
        assert webhook.status == "dead"
        assert "'post-b' has no webhook" in (webhook.last_error or "")
    assert await store.claim_webhooks("post-b", 10, 30, now=500.0) == []
    assert await store.give_up_webhooks({"post-a"}, now=401.0) == {}, "once only"
